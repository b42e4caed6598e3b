/**
 * Why the Datadog source waits, retries or gives up: one page request with its retries. Every
 * fault ends as a page or as a cause the report can show; only a refused key (401/403) or a
 * request Datadog calls invalid (other 4xx) throws, since no retry can fix those.
 * - 429: wait `X-RateLimit-Reset` (capped), halve the requests in flight.
 * - 5xx, 408, network errors, timeouts and 200s that are not search responses: back off with
 *   full jitter, since these are transient by nature.
 * - Nothing starts or sleeps past the deadline.
 * - A circuit breaker per collected range: after `breakerThreshold` failed attempts in a row
 *   with no page in between (a 429 counts only once it persists after its wait), Datadog is
 *   down for this run and every remaining request of the range gives up at once, so a total
 *   outage ends in seconds instead of every slice spending all its attempts.
 */

import type { AuditLogsSearchEventsRequest } from './datadog-api-client';
import {
  type AuditSearch,
  DatadogApiError,
  DatadogAuthError,
  HttpStatusError,
  MalformedResponseError,
  type SearchResult,
} from './datadog-http';

export interface SourceLogger {
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
}

/** A semaphore whose size can shrink (rate limit running low) and grow back. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
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

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()?.();
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

export type PageOutcome =
  | { readonly ok: true; readonly result: SearchResult }
  | { readonly ok: false; readonly cause: string };

export interface RetryPolicyOptions {
  readonly maxAttempts: number;
  readonly maxRateLimitWaitMs: number;
  readonly backoffBaseMs: number;
  readonly requestTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly logger?: SourceLogger;
  /** Builds the error for a refused key (it names the site and the scope). */
  readonly authError: (status: number, cause: unknown) => DatadogAuthError;
}

function networkKind(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'Datadog did not answer in time (request timeout)';
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return `Datadog unreachable (${code ?? message.slice(0, 80)})`;
}

/** Page requests with retries, sharing one limiter across every slice and range of a source. */
export function createPageFetcher(search: AuditSearch, limiter: Limiter, options: RetryPolicyOptions) {
  const { logger } = options;

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

  /** One page: resolves to it or to why it gave up. Throws only DatadogAuthError and DatadogApiError. */
  return async function fetchPage(
    body: AuditLogsSearchEventsRequest,
    deadline: number,
    breaker: Breaker,
  ): Promise<PageOutcome> {
    let kind: string | undefined;
    for (let attempt = 1; ; attempt++) {
      if (breaker.tripped !== undefined) {
        return { ok: false, cause: `${breaker.tripped}; gave up after ${breaker.threshold} failures in a row` };
      }
      if (Date.now() >= deadline) {
        return { ok: false, cause: kind ? `${kind}; stopped at the deadline` : 'the fetch reached its deadline' };
      }
      let waitMs: number;
      let counts = true;
      await limiter.acquire();
      try {
        // Checked again once a slot is free: slices queued here while the breaker tripped must not ask.
        if (breaker.tripped !== undefined || Date.now() >= deadline) continue;
        const timeoutMs = Math.min(options.requestTimeoutMs, deadline - Date.now());
        const result = await search.search(body, timeoutMs);
        adapt(result.headers);
        breaker.success();
        return { ok: true, result };
      } catch (error) {
        if (error instanceof HttpStatusError) {
          if (error.status === 401 || error.status === 403) throw options.authError(error.status, error);
          adapt(error.headers);
          if (error.status === 429) {
            kind = 'Datadog rate limit (HTTP 429)';
            const reset = Number(error.headers['x-ratelimit-reset']);
            waitMs = Math.min(options.maxRateLimitWaitMs, (Number.isFinite(reset) && reset > 0 ? reset : 1) * 1000);
            // The budget is spent: fewer requests at a time after the reset. A first 429 is the
            // limit doing its job; one that persists after its wait counts toward the breaker.
            limiter.setLimit(Math.max(1, Math.floor(limiter.current / 2)));
            counts = attempt > 1;
          } else if (error.status >= 500 || error.status === 408) {
            kind = `Datadog unavailable (HTTP ${error.status})`;
            waitMs = backoff(attempt);
          } else {
            throw new DatadogApiError(error.status, `Datadog rejected the audit search: ${error.message}`, {
              cause: error,
            });
          }
        } else if (error instanceof MalformedResponseError) {
          // A 200 that is not a search response: a proxy, a gateway page or a fault upstream. Transient as a 5xx is.
          kind = `Datadog sent a malformed response (${error.problem})`;
          waitMs = backoff(attempt);
        } else if (error instanceof DatadogAuthError || error instanceof DatadogApiError) {
          throw error;
        } else {
          kind = networkKind(error);
          waitMs = backoff(attempt);
        }
      } finally {
        limiter.release();
      }
      if (counts) breaker.failure(kind);
      if (attempt >= options.maxAttempts) {
        return { ok: false, cause: `${kind}; gave up after ${attempt} attempts` };
      }
      if (Date.now() + waitMs > deadline) return { ok: false, cause: `${kind}; stopped at the deadline` };
      logger?.warn('Datadog audit search failed; retrying', { problem: kind, attempt, waitMs: Math.round(waitMs) });
      await options.sleep(waitMs);
    }
  };
}
