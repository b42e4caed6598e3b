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
 * - An error no retry can fix is told to `onFatal` before its request gives up its slot, so a
 *   caller can hold back the requests queued behind it (read-scope.ts: the first refusal).
 * The parts: Limiter (requests in flight), Breaker (failures in a row), RetryingCall (one
 * request's attempts: `run`, and `classify`, what a failed attempt was).
 */

import type { Logger } from '../../ports';
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
  /**
   * Told of an error no retry can fix (a refused key, a rejected request) as soon as it is known,
   * while its request still holds its slot in the limiter: requests queued behind it can then be
   * held back before they get a slot (read-scope.ts).
   */
  readonly onFatal?: (error: Error) => void;
}

function networkKind(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'Datadog did not answer in time (request timeout)';
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return `Datadog unreachable (${code ?? message.slice(0, 80)})`;
}

/** A failed attempt: what it was, how long to wait before the next, and whether it counts toward the breaker. */
interface Failure {
  readonly kind: string;
  readonly waitMs: number;
  readonly counts: boolean;
}

/** How one attempt ended: the result, a failure, or not sent (the breaker or the deadline came first). */
type Attempt<F> =
  | { readonly ok: true; readonly result: F }
  | { readonly ok: false; readonly failure: Failure }
  | 'not sent';

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
  const retrying = new RetryingCall(call, limiter, options, finish);
  return (request, deadline, breaker, priority) => retrying.run(request, deadline, breaker, priority);
}

/** One operation's requests with their retries (see createRetryingCall). */
class RetryingCall<Q, R extends Answer, F extends Answer> {
  private readonly what: string;

  constructor(
    private readonly call: (request: Q, timeoutMs: number) => Promise<R>,
    private readonly limiter: Limiter,
    private readonly options: RetryPolicyOptions,
    private readonly finish: (answer: R) => Promise<F>,
  ) {
    this.what = options.what ?? 'audit search';
  }

  /**
   * One request: attempts until an answer, a cause to give up (the attempts spent, the deadline,
   * the breaker), or an error no retry can fix (thrown). `priority` is the request's place among
   * those waiting for a slot (Limiter.acquire: the lowest first).
   */
  async run(request: Q, deadline: number, breaker: Breaker, priority = 0): Promise<CallOutcome<F>> {
    let kind: string | undefined;
    for (let attempt = 1; ; attempt++) {
      if (breaker.tripped !== undefined) {
        return { ok: false, cause: `${breaker.tripped}; gave up after ${breaker.threshold} failures in a row` };
      }
      if (Date.now() >= deadline) {
        return { ok: false, cause: kind ? `${kind}; stopped at the deadline` : 'the fetch reached its deadline' };
      }
      const tried = await this.attempt(request, deadline, breaker, priority, attempt);
      if (tried === 'not sent') continue;
      if (tried.ok) {
        breaker.success();
        return tried;
      }
      const { waitMs, counts } = tried.failure;
      kind = tried.failure.kind;
      if (counts) breaker.failure(kind);
      if (attempt >= this.options.maxAttempts)
        return { ok: false, cause: `${kind}; gave up after ${attempt} attempts` };
      if (Date.now() + waitMs > deadline) return { ok: false, cause: `${kind}; stopped at the deadline` };
      this.options.logger?.warn(`Datadog ${this.what} failed; retrying`, {
        problem: kind,
        attempt,
        waitMs: Math.round(waitMs),
      });
      await this.options.sleep(waitMs);
    }
  }

  /** One attempt: a slot in the limiter for the request alone, then the answer finished outside it. */
  private async attempt(
    request: Q,
    deadline: number,
    breaker: Breaker,
    priority: number,
    attempt: number,
  ): Promise<Attempt<F>> {
    let answer: R;
    await this.limiter.acquire(priority);
    try {
      // Checked again once a slot is free: slices queued here while the breaker tripped must not ask.
      if (breaker.tripped !== undefined || Date.now() >= deadline) return 'not sent';
      const timeoutMs = Math.min(this.options.requestTimeoutMs, deadline - Date.now());
      answer = await this.call(request, timeoutMs);
      this.adapt(answer.headers);
    } catch (error) {
      return { ok: false, failure: this.classifyOrThrow(error, attempt) };
    } finally {
      this.limiter.release();
    }
    try {
      return { ok: true, result: await this.finish(answer) };
    } catch (error) {
      // A malformed answer is Datadog's (or a proxy's) fault, retried as a 5xx is; anything else
      // here is a fault of ours (a decoder's bug) and must fail the run, never pass for an outage.
      if (!(error instanceof MalformedResponseError)) throw error;
      return { ok: false, failure: this.classify(error, attempt) };
    }
  }

  /** `classify`, and `onFatal` told of what it throws before the slot is released. */
  private classifyOrThrow(error: unknown, attempt: number): Failure {
    try {
      return this.classify(error, attempt);
    } catch (fatal) {
      if (fatal instanceof Error) this.options.onFatal?.(fatal);
      throw fatal;
    }
  }

  /** What a failed attempt was, and how long to wait before the next; throws what retrying cannot fix. */
  private classify(error: unknown, attempt: number): Failure {
    if (error instanceof HttpStatusError) {
      if (error.status === 401 || error.status === 403) throw this.options.authError(error.status, error);
      this.adapt(error.headers);
      if (error.status === 429) {
        const reset = Number(error.headers['x-ratelimit-reset']);
        // The budget is spent: fewer requests at a time after the reset. A first 429 is the
        // limit doing its job; one that persists after its wait counts toward the breaker.
        this.limiter.setLimit(Math.max(1, Math.floor(this.limiter.current / 2)));
        return {
          kind: 'Datadog rate limit (HTTP 429)',
          waitMs: Math.min(this.options.maxRateLimitWaitMs, (Number.isFinite(reset) && reset > 0 ? reset : 1) * 1000),
          counts: attempt > 1,
        };
      }
      if (error.status >= 500 || error.status === 408) {
        return { kind: `Datadog unavailable (HTTP ${error.status})`, waitMs: this.backoff(attempt), counts: true };
      }
      throw new DatadogApiError(error.status, `Datadog rejected the ${this.what}: ${error.message}`, { cause: error });
    }
    if (error instanceof MalformedResponseError) {
      // A 200 that is not a search response: a proxy, a gateway page or a fault upstream. Transient as a 5xx is.
      return {
        kind: `Datadog sent a malformed response (${error.problem})`,
        waitMs: this.backoff(attempt),
        counts: true,
      };
    }
    if (error instanceof DatadogAuthError || error instanceof DatadogApiError) throw error;
    return { kind: networkKind(error), waitMs: this.backoff(attempt), counts: true };
  }

  /** Full jitter: half to all of the base, doubled per attempt. */
  private backoff(attempt: number): number {
    return this.options.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + this.options.random() / 2);
  }

  /** Reads the rate limit budget of a response and adapts the concurrency. */
  private adapt(headers: Readonly<Record<string, string>>): void {
    const { limiter } = this;
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (!Number.isFinite(remaining)) return;
    if (remaining <= limiter.current * 2) {
      const lowered = Math.max(1, Math.floor(limiter.current / 2));
      if (lowered < limiter.current) {
        this.options.logger?.warn('Datadog rate limit running low; lowering concurrency', {
          remaining,
          concurrency: lowered,
        });
        limiter.setLimit(lowered);
      }
    } else if (remaining > limiter.max * 10 && limiter.current < limiter.max) {
      limiter.setLimit(limiter.current + 1);
    }
  }
}
