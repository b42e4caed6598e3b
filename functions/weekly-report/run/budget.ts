/**
 * How one invocation spends its time. Every outgoing call ends by one of these instants, so a
 * slow dependency costs its own part and never the report:
 * - `readDeadline`: no audit request, wait or retry starts after it. The reads stop short of the
 *   delivery deadline by a reserved tail (`DELIVERY_RESERVE_MS`) that no read may use, so a read
 *   that runs long still leaves time to archive and deliver what was read.
 * - `teamsDeadline` and `usageDeadline`: the Teams API (team members) and the usage metric read
 *   at the same time as the audit events, each on its own share of the read time; a late one is
 *   named as unavailable (the team report fails alone; the tools and clients sections say why).
 * - `deliveryDeadline`: no channel's send may start after it (each send is also capped at
 *   CHANNEL_SEND_MS).
 * - `hardDeadline`: ledger bookkeeping after a send, just before Lambda's timeout, so an outcome
 *   is recorded before the function is stopped.
 *
 * The reserve: a report is archived, then sent by email and to Slack at the same time. Measured on
 * the local stand-ins a delivery takes well under a second; against AWS and Slack a send is a few
 * hundred milliseconds, but a Slack 429 asks to wait (`Retry-After`, seconds to tens of seconds) and
 * SES retries throttling with backoff. 45 s covers the archive write, one rate-limited Slack wait
 * of 30 s and SES's retries; it is at most 40 % of the time there is, so a short run still reads.
 */

/** Time kept for archiving and delivering after the reads (see the file comment). */
export const DELIVERY_RESERVE_MS = 45_000;
/** The share of the read time the Teams API and the usage metric may each take. */
export const TEAMS_SHARE = 0.4;
export const USAGE_SHARE = 0.5;
/** Without a Lambda context (local runs, the command line), the job gets this long. */
export const DEFAULT_REMAINING_MS = 15 * 60 * 1000;
/** Time kept free before the Lambda timeout for recording outcomes and logging. */
export const SAFETY_MARGIN_MS = 10_000;

export interface Budget {
  readonly started: number;
  readonly readDeadline: number;
  readonly teamsDeadline: number;
  readonly usageDeadline: number;
  readonly deliveryDeadline: number;
  readonly hardDeadline: number;
}

/**
 * The budget of an invocation that started at `started` with `remainingMs` left before its
 * timeout. Every instant is a whole millisecond (a fractional deadline makes AbortSignal.timeout
 * throw on every request).
 */
export function invocationBudget(
  started: number,
  remainingMs: number,
  options: { readonly safetyMarginMs?: number; readonly deliveryReserveMs?: number } = {},
): Budget {
  const remaining = Math.floor(remainingMs);
  const safety = options.safetyMarginMs ?? SAFETY_MARGIN_MS;
  const usable = Math.floor(Math.max(remaining - safety, remaining / 2));
  // Ledger bookkeeping after a send may use the margin, up to a second before the timeout.
  return budgetUntil(started, started + usable, Math.max(started + usable, started + remaining - 1_000), options);
}

/**
 * The budget of a run that must have delivered by `deliveryDeadline` and recorded by
 * `hardDeadline` (the command line and tests give these directly).
 */
export function budgetUntil(
  started: number,
  deliveryDeadline: number,
  hardDeadline: number = deliveryDeadline,
  options: { readonly deliveryReserveMs?: number } = {},
): Budget {
  const usable = Math.max(0, Math.floor(deliveryDeadline - started));
  const reserve = Math.floor(Math.min(options.deliveryReserveMs ?? DELIVERY_RESERVE_MS, usable * 0.4));
  const read = usable - reserve;
  return {
    started,
    readDeadline: started + read,
    teamsDeadline: started + Math.floor(read * TEAMS_SHARE),
    usageDeadline: started + Math.floor(read * USAGE_SHARE),
    deliveryDeadline: started + usable,
    hardDeadline: Math.max(started + usable, Math.floor(hardDeadline)),
  };
}
