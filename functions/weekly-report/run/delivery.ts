/**
 * Delivering one report: its archive first (so what was sent is on record), then email and
 * Slack at the same time. Each channel is claimed in the ledger, sent, and recorded on its own,
 * and one failing never stops the others.
 *
 * Lease arithmetic (docs: "Delivery, idempotency and failures"): a claim lasts the channel's send
 * budget (at most CHANNEL_SEND_MS) plus LEASE_MARGIN_MS, 75 s at most. Lambda retries a failed
 * asynchronous invocation about 1 and then 2 minutes later; an invocation that died holding a
 * claim leaves it for at most 75 s, and the retry waits for a claim it finds in progress (polling
 * until the holder delivers, releases, or the lease lapses) instead of failing, so the first retry
 * delivers. A duplicate that runs at the same time as a live delivery waits the same way and
 * reports `skipped_already_delivered`.
 */
import type { ReportArchive } from '../archive/report-archive';
import type { ArchivedWeek } from '../core/archived-week';
import type { Summary } from '../core/types';
import { DeliveryInProgressError, toError } from '../errors';
import type {
  CallOptions,
  ClaimResult,
  DeliveryLedger,
  EmailSender,
  Logger,
  RenderedReport,
  SlackSender,
} from '../ports';
import { renderingToSend } from './archived-rendering';
import type { ChannelName, ChannelOutcome, ChannelResult } from './results';

/** The longest one channel's send may take (SES batches, Slack with a Retry-After wait). */
export const CHANNEL_SEND_MS = 60 * 1000;
/** A claim outlives its send budget by this much (clock skew, the record call after the send). */
export const LEASE_MARGIN_MS = 15 * 1000;
/** How often a run that finds a channel in progress looks again. */
const CLAIM_POLL_MS = 2_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where one report goes: each absent when off. */
export interface ReportOutlets {
  readonly email?: EmailSender;
  readonly slack?: { readonly sender: SlackSender; readonly channel: string };
  /** The report's archive: written before delivery, read for the baseline and the trend. */
  readonly archive?: ReportArchive;
}

export interface DeliveryDeps {
  readonly ledger: DeliveryLedger;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryTimes {
  /** No send may start after it. */
  readonly deadline: number;
  /** Ledger bookkeeping after a send ends by it. */
  readonly hardDeadline: number;
}

/**
 * Archives and delivers one rendered report under the ledger key prefix `key` (`{key}:{window
 * end}:{channel}`). Never throws: each channel's outcome is in the result.
 */
export async function deliverReport(
  deps: DeliveryDeps,
  outlets: ReportOutlets,
  key: string,
  report: RenderedReport & { readonly summary: Summary },
  week: ArchivedWeek | undefined,
  times: DeliveryTimes,
): Promise<ChannelResult[]> {
  const channel = new ChannelDelivery(deps, times);
  const keyOf = (name: ChannelName): string => `${key}:${report.summary.window.to}:${name}`;
  const archived: ChannelResult[] = [];
  const { archive, email, slack } = outlets;
  if (archive && week) {
    archived.push(
      await channel.deliver('archive', keyOf('archive'), async (call) => {
        const keys = await archive.write(report.summary.window.to, report, week, call);
        return { location: archive.location, objects: String(keys.length) };
      }),
    );
  }
  // The archive is what was sent: a channel still due after an earlier run archived this window gets that rendering.
  const toSend = renderingToSend(archived[0], archive, report, deps.logger);
  const attempts: Promise<ChannelResult>[] = [];
  if (email) {
    attempts.push(
      channel.deliver('email', keyOf('email'), async (call) => {
        const sent = await toSend(call);
        const { messageIds } = await email.send({ subject: sent.subject, html: sent.html, text: sent.text }, call);
        return { messageIds: messageIds.join(',') };
      }),
    );
  }
  if (slack) {
    attempts.push(
      channel.deliver('slack', keyOf('slack'), async (call) => {
        const { ts } = await slack.sender.post((await toSend(call)).slack, call);
        return { ts };
      }),
    );
  }
  return [...archived, ...(await Promise.all(attempts))];
}

/** One channel at a time: claim (waiting out a claim in progress) → send → record, or release. Never throws. */
export class ChannelDelivery {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly times: DeliveryTimes,
  ) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? defaultSleep;
  }

  async deliver(
    channel: ChannelName,
    key: string,
    send: (call: CallOptions) => Promise<Record<string, string>>,
  ): Promise<ChannelResult> {
    const { ledger, logger } = this.deps;
    const started = this.now();
    const result = (outcome: ChannelOutcome, error?: Error, recordFailed = false): ChannelResult => {
      const durationMs = this.now() - started;
      if (error) logger.error('channel_outcome', { channel, outcome, key, durationMs, error: error.message });
      else logger.info('channel_outcome', { channel, outcome, key, durationMs });
      return {
        channel,
        outcome,
        key,
        durationMs,
        ...(error ? { error } : {}),
        ...(recordFailed ? { recordFailed } : {}),
      };
    };

    let claim: ClaimResult;
    let sendDeadline: number;
    try {
      ({ claim, sendDeadline } = await this.claim(key));
    } catch (error) {
      // Without the ledger we cannot promise "never twice", so we do not send.
      return result('failed', toError(error));
    }
    if (claim === 'delivered') return result('skipped_already_delivered');
    if (claim === 'in_progress') return result('failed', new DeliveryInProgressError(channel, key));

    let detail: Record<string, string>;
    try {
      detail = await send({ deadline: sendDeadline });
    } catch (error) {
      try {
        await ledger.release(key, { deadline: this.times.hardDeadline });
      } catch (releaseError) {
        // The claim then lapses with its lease; the retry after that sends.
        logger.warn('ledger_release_failed', { channel, key, error: toError(releaseError).message });
      }
      return result('failed', toError(error));
    }
    try {
      await ledger.recordDelivered(key, detail, { deadline: this.times.hardDeadline });
    } catch (error) {
      // It was sent: failing the invocation would make the retry send it again once the claim
      // lapses. The claim still blocks a resend for its lease; the metric and alarm see this.
      logger.error('ledger_record_failed', { channel, key, error: toError(error).message });
      return result('delivered', undefined, true);
    }
    return result('delivered');
  }

  /**
   * Claims `key` for a send that must end by the returned `sendDeadline` (its budget, never past
   * the delivery deadline); the lease covers it plus a margin. Finding the key in progress, it
   * polls until the holder records it delivered (→ `delivered`), releases it or lets the lease
   * lapse (→ `claimed`), or the deadline comes (→ `in_progress`).
   */
  private async claim(key: string): Promise<{ claim: ClaimResult; sendDeadline: number }> {
    const { ledger, logger } = this.deps;
    const { deadline } = this.times;
    for (let polls = 0; ; polls++) {
      const sendDeadline = Math.min(deadline, this.now() + CHANNEL_SEND_MS);
      const leaseUntil = Math.max(this.now(), sendDeadline) + LEASE_MARGIN_MS;
      const claim = await ledger.claim(key, leaseUntil, { deadline });
      if (claim !== 'in_progress') return { claim, sendDeadline };
      const waitMs = Math.min(CLAIM_POLL_MS, deadline - this.now());
      if (waitMs <= 0) return { claim, sendDeadline };
      if (polls === 0) logger.info('channel_in_progress_waiting', { key });
      await this.sleep(waitMs);
    }
  }
}
