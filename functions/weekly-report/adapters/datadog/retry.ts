/**
 * Why a Datadog source waits, retries or gives up: one request with its retries, for any Datadog
 * operation (the audit search's pages, the metric queries). Every fault ends as an answer or as a
 * cause the report can show; only a refused key (401/403) or a request Datadog calls invalid
 * (other 4xx) throws, since no retry can fix those.
 * - 429: wait `X-RateLimit-Reset` (capped), halve the requests in flight.
 * - 5xx, 408, network errors, timeouts and 200s that are not what the operation returns: back
 *   off with full jitter, since these are transient by nature.
 * - Nothing starts or sleeps past the deadline.
 * - A circuit breaker per collected range: after `breakerThreshold` failed attempts in a row
 *   with no answer in between (a 429 counts only once it persists after its wait), Datadog is
 *   down for this run and every remaining request of the range gives up at once, so a total
 *   outage ends in seconds instead of every slice spending all its attempts.
 */

import type { Logger } from '../../ports';
import type { AuditLogsSearchEventsRequest } from './api-client';
import type { AuditSearch, SearchResult } from './audit-search';
import { DatadogApiError, DatadogAuthError, HttpStatusError, MalformedResponseError } from './errors';

/** A semaphore whose size can shrink (rate limit running low) and grow back. */
export class Limiter {
  private active = 0;
  /** Requests waiting for a slot, in arrival order; the lowest `priority` goes first. */
  private readonly waiting: Array<{ readonly priority: number; readonly resolve: () => void }> = [];
  constructor(
    private limit: number,
    readonly max: number,
  ) {}

  get current(): number {
    return this.limit;
  }

  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.min(this.max, Math.floor(limit)));
    this.pump();
  }

  /** A slot; among waiting requests the lowest `priority` is served first, equal ones in arrival order. */
  async acquire(priority = 0): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push({ priority, resolve }));
  }

  release(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      let next = 0;
      for (let i = 1; i < this.waiting.length; i++) {
        if ((this.waiting[i]?.priority ?? 0) < (this.waiting[next]?.priority ?? 0)) next = i;
      }
      const [waiter] = this.waiting.splice(next, 1);
      this.active++;
      waiter?.resolve();
    }
  }
}

/** Consecutive failures of one collected range; trips once, then every request of the range gives up. */
export class Breaker {
  private failures = 0;
  /** The cause that tripped it, once tripped. */
  tripped: string | undefined;
  constructor(readonly threshold: number) {}

  success(): void {
    this.failures = 0;
  }

  failure(kind: string): void {
    this.failures++;
    if (this.tripped === undefined && this.failures >= this.threshold) this.tripped = kind;
  }
}

/** An answer of the operation: whatever it returns, with the response's headers (rate limits). */
export interface Answer {
  readonly headers: Readonly<Record<string, string>>;
}

/** How one request ended: its answer, or why it gave up. */
export type CallOutcome<R> = { readonly ok: true; readonly result: R } | { readonly ok: false; readonly cause: string };

export type PageOutcome = CallOutcome<SearchResult>;

export interface RetryPolicyOptions {
  readonly maxAttempts: number;
  readonly maxRateLimitWaitMs: number;
  readonly backoffBaseMs: number;
  readonly requestTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly logger?: Logger;
  /** Builds the error for a refused key (it names the site and the scope). */
  readonly authError: (status: number, cause: unknown) => DatadogAuthError;
  /** What one request is, for log lines and errors. @default 'audit search' */
  readonly what?: string;
}

function networkKind(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'Datadog did not answer in time (request timeout)';
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return `Datadog unreachable (${code ?? message.slice(0, 80)})`;
}

/**
 * Audit search pages with retries, sharing one limiter across every slice and range of a source.
 * The caller gives each request its priority (Limiter.acquire): the audit source serves the
 * slice with the fewest pages read first, as it most likely has the most left to read, so slices
 * advance together and none is left to page alone at the end (measured on the live bench: with a
 * slice's next page always before first pages, one first page waited until ~2.3 s and the run
 * ended ~0.6 s later). A page is decoded after its request's slot is free: decoding (perhaps on a
 * worker) must not hold back the next request, but a malformed page is retried as a 5xx is.
 */
export function createPageFetcher(search: AuditSearch, limiter: Limiter, options: RetryPolicyOptions) {
  return createRetryingCall(
    (body: AuditLogsSearchEventsRequest, timeoutMs) => search.search(body, timeoutMs),
    limiter,
    { what: 'audit search', ...options },
    (raw) => search.decode(raw),
  );
}

/**
 * Requests of one operation (`call`, bounded by its timeout) with retries, sharing `limiter`
 * across every request of a source; `finish` (outside the limiter's slot) turns an answer into
 * the result, and may refuse it with a MalformedResponseError, which is retried. The returned
 * function resolves to the result or to why it gave up; it throws only DatadogAuthError,
 * DatadogApiError, and what else `finish` throws (a bug, never to pass for an outage).
 */
export function createRetryingCall<Q, R extends Answer, F extends Answer = R>(
  call: (request: Q, timeoutMs: number) => Promise<R>,
  limiter: Limiter,
  options: RetryPolicyOptions,
  finish: (answer: R) => Promise<F> = (answer) => Promise.resolve(answer as unknown as F),
): (request: Q, deadline: number, breaker: Breaker, priority?: number) => Promise<CallOutcome<F>> {
  const { logger } = options;
  const what = options.what ?? 'audit search';

  /** Reads the rate limit budget of a response and adapts the concurrency. */
  function adapt(headers: Readonly<Record<string, string>>): void {
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (!Number.isFinite(remaining)) return;
    if (remaining <= limiter.current * 2) {
      const lowered = Math.max(1, Math.floor(limiter.current / 2));
      if (lowered < limiter.current) {
        logger?.warn('Datadog rate limit running low; lowering concurrency', { remaining, concurrency: lowered });
        limiter.setLimit(lowered);
      }
    } else if (remaining > limiter.max * 10 && limiter.current < limiter.max) {
      limiter.setLimit(limiter.current + 1);
    }
  }

  const backoff = (attempt: number): number =>
    options.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + options.random() / 2);

  /** What a failed attempt was, and how long to wait before the next; throws what retrying cannot fix. */
  function classify(error: unknown, attempt: number): { kind: string; waitMs: number; counts: boolean } {
    if (error instanceof HttpStatusError) {
      if (error.status === 401 || error.status === 403) throw options.authError(error.status, error);
      adapt(error.headers);
      if (error.status === 429) {
        const reset = Number(error.headers['x-ratelimit-reset']);
        // The budget is spent: fewer requests at a time after the reset. A first 429 is the
        // limit doing its job; one that persists after its wait counts toward the breaker.
        limiter.setLimit(Math.max(1, Math.floor(limiter.current / 2)));
        return {
          kind: 'Datadog rate limit (HTTP 429)',
          waitMs: Math.min(options.maxRateLimitWaitMs, (Number.isFinite(reset) && reset > 0 ? reset : 1) * 1000),
          counts: attempt > 1,
        };
      }
      if (error.status >= 500 || error.status === 408) {
        return { kind: `Datadog unavailable (HTTP ${error.status})`, waitMs: backoff(attempt), counts: true };
      }
      throw new DatadogApiError(error.status, `Datadog rejected the ${what}: ${error.message}`, { cause: error });
    }
    if (error instanceof MalformedResponseError) {
      // A 200 that is not a search response: a proxy, a gateway page or a fault upstream. Transient as a 5xx is.
      return { kind: `Datadog sent a malformed response (${error.problem})`, waitMs: backoff(attempt), counts: true };
    }
    if (error instanceof DatadogAuthError || error instanceof DatadogApiError) throw error;
    return { kind: networkKind(error), waitMs: backoff(attempt), counts: true };
  }

  return async function callWithRetries(
    request: Q,
    deadline: number,
    breaker: Breaker,
    /** The request's place among those waiting for a slot (Limiter.acquire: the lowest first). */
    priority = 0,
  ): Promise<CallOutcome<F>> {
    let kind: string | undefined;
    for (let attempt = 1; ; attempt++) {
      if (breaker.tripped !== undefined) {
        return { ok: false, cause: `${breaker.tripped}; gave up after ${breaker.threshold} failures in a row` };
      }
      if (Date.now() >= deadline) {
        return { ok: false, cause: kind ? `${kind}; stopped at the deadline` : 'the fetch reached its deadline' };
      }
      let failed: { kind: string; waitMs: number; counts: boolean } | undefined;
      let answer: R | undefined;
      await limiter.acquire(priority);
      try {
        // Checked again once a slot is free: slices queued here while the breaker tripped must not ask.
        if (breaker.tripped !== undefined || Date.now() >= deadline) continue;
        const timeoutMs = Math.min(options.requestTimeoutMs, deadline - Date.now());
        answer = await call(request, timeoutMs);
        adapt(answer.headers);
      } catch (error) {
        failed = classify(error, attempt);
      } finally {
        limiter.release();
      }
      if (answer !== undefined) {
        try {
          const result = await finish(answer);
          breaker.success();
          return { ok: true, result };
        } catch (error) {
          // A malformed answer is Datadog's (or a proxy's) fault, retried as a 5xx is; anything else
          // here is a fault of ours (a decoder's bug) and must fail the run, never pass for an outage.
          if (!(error instanceof MalformedResponseError)) throw error;
          failed = classify(error, attempt);
        }
      }
      // Here the attempt failed: `call` or `finish` threw, and classify said what it was.
      const failure = failed as NonNullable<typeof failed>;
      kind = failure.kind;
      const { waitMs } = failure;
      if (failure.counts) breaker.failure(kind);
      if (attempt >= options.maxAttempts) {
        return { ok: false, cause: `${kind}; gave up after ${attempt} attempts` };
      }
      if (Date.now() + waitMs > deadline) return { ok: false, cause: `${kind}; stopped at the deadline` };
      logger?.warn(`Datadog ${what} failed; retrying`, { problem: kind, attempt, waitMs: Math.round(waitMs) });
      await options.sleep(waitMs);
    }
  };
}
