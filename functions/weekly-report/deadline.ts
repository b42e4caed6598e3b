/**
 * Time budgets of outgoing calls. Every call the function makes gets a timeout that ends by the
 * invocation's deadline, in whole milliseconds (AbortSignal.timeout throws on a fraction, and a
 * deadline computed as "half the remaining time" can be one).
 */

/** Whole milliseconds left until `deadline` (epoch ms), at least 1, at most `capMs`. */
export function msUntil(deadline: number, capMs = Number.POSITIVE_INFINITY, now = Date.now()): number {
  const left = Math.min(capMs, deadline - now);
  return Number.isFinite(left) ? Math.max(1, Math.floor(left)) : Math.max(1, Math.floor(capMs));
}

/** An AbortSignal that fires at `deadline` or after `capMs`, whichever comes first. */
export function signalUntil(deadline: number | undefined, capMs: number): AbortSignal {
  return AbortSignal.timeout(msUntil(deadline ?? Number.POSITIVE_INFINITY, capMs));
}
