/**
 * One read of a Datadog source that any failure makes unavailable, with the reason the report
 * shows (the MCP usage metric of a run, the teams of a resolve), where the audit source records
 * gaps instead. The read's requests share a deadline, a circuit breaker (retry.ts) and the first
 * refusal: once Datadog refused the keys (or, for the metric, a query), the read's requests not
 * yet sent never go out, since the same keys would be refused again.
 * - ReadScope.retrying: an operation with retries, behind the first refusal.
 * - ReadScope.result: one request's result, or ReadFailed saying why not.
 * - failureReason: the reason of whatever a request of the read threw.
 */

import { DatadogApiError, DatadogAuthError } from './errors';
import type { SourceRetry } from './options';
import { type Answer, Breaker, type CallOutcome, createRetryingCall } from './retry';

/** Why a request of the read gave nothing: its `reason` is what the report shows. */
export class ReadFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ReadFailed';
  }
}

/** A request not sent because the read was refused before; a DatadogApiError, so the retry policy passes it on untouched. */
class AlreadyRefused extends DatadogApiError {
  constructor(reason: string) {
    super(0, reason);
    this.name = 'AlreadyRefused';
  }
}

/**
 * The reason of an error a request of the read threw: ReadFailed's own, else `unexpected` with
 * the error's name and message (a fault of ours: it still makes the read unavailable, visibly).
 */
export function failureReason(error: unknown, unexpected: string): string {
  if (error instanceof ReadFailed) return error.reason;
  const e = error as Error | undefined;
  return `${unexpected} (${e?.name ?? 'Error'}: ${String(e?.message).slice(0, 120)})`;
}

/** One read's deadline, breaker and first refusal. */
export class ReadScope {
  private readonly breaker: Breaker;
  /** The first refusal's message, once refused. */
  private refused: string | undefined;

  constructor(
    private readonly retry: SourceRetry,
    private readonly deadline: number,
    /** Which errors refuse the whole read (a refused key; for the metric, a rejected query too). */
    private readonly refuses: (error: Error) => boolean,
  ) {
    this.breaker = new Breaker(retry.breakerThreshold);
  }

  /**
   * `call` with the source's retries, under this read's deadline and breaker. A request is not
   * sent once the read was refused: that is checked once it has its slot in the limiter, and a
   * refusal is known before its request gives up its slot (`onFatal`), so the requests queued
   * behind a refusal never go out.
   */
  retrying<Q, R extends Answer>(
    call: (request: Q, timeoutMs: number) => Promise<R>,
    what: string,
  ): (request: Q) => Promise<CallOutcome<R>> {
    const guarded = (request: Q, timeoutMs: number): Promise<R> =>
      this.refused === undefined ? call(request, timeoutMs) : Promise.reject(new AlreadyRefused(this.refused));
    const onFatal = (error: Error): void => {
      if (this.refuses(error)) this.refused ??= error.message;
    };
    const retrying = createRetryingCall(guarded, this.retry.limiter, { ...this.retry.policy, what, onFatal });
    return (request) => retrying(request, this.deadline, this.breaker);
  }

  /**
   * The result of `request`, or ReadFailed: the read's first refusal, or why this request failed
   * (after `doing`, when given). Any other error (a fault of ours) is thrown as it is.
   */
  async result<Q, R>(call: (request: Q) => Promise<CallOutcome<R>>, request: Q, doing?: string): Promise<R> {
    const failed = (why: string): ReadFailed => new ReadFailed(doing ? `${doing} failed: ${why}` : why);
    let outcome: CallOutcome<R>;
    try {
      outcome = await call(request);
    } catch (error) {
      if (error instanceof AlreadyRefused) throw new ReadFailed(error.message);
      if (error instanceof Error && this.refuses(error)) {
        this.refused ??= error.message;
        throw new ReadFailed(this.refused);
      }
      if (error instanceof DatadogAuthError || error instanceof DatadogApiError) throw failed(error.message);
      throw error;
    }
    if (!outcome.ok) throw failed(outcome.cause);
    return outcome.result;
  }
}
