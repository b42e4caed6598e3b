/**
 * Delivering one report: its archive first (so what was sent is on record), then email, Slack
 * and Microsoft Teams at the same time; Slack is the channel post, then its thread reply, a
 * channel of its own (`slack_thread`) posted under the post's `ts` (this run's, or the one an
 * earlier run recorded in the ledger), so a rerun after a failed reply posts only the reply, never
 * the post twice. Each channel is claimed in the ledger, sent, and recorded on its own, and one
 * failing never stops the others (a reply waits for its post).
 *
 * At most once per channel (docs/delivery.md): a send whose answer was lost (the sender's error
 * says `answerLost`) is recorded unknown, neither released nor delivered, and the run fails
 * naming it. A later run that finds a channel unknown looks for the Slack post in the channel's
 * history (the thread reply in the thread's replies) by its message metadata and posts only when
 * it is not there; an unknown email or Teams post (a workflow webhook cannot be asked what it
 * received) is not resent unless the invocation asks for it (`resend`). The archive is written
 * again (it is idempotent).
 *
 * Lease arithmetic: a claim lasts the channel's send budget (at most CHANNEL_SEND_MS) plus
 * LEASE_MARGIN_MS, 75 s at most. Lambda retries a failed asynchronous invocation about 1 and then
 * 2 minutes later; a run that finds a claim in progress waits (polling until the holder delivers,
 * releases, or the lease lapses) instead of failing. A lapsed claim means its holder died,
 * perhaps mid-send, so it counts as unknown. A duplicate that runs at the same time as a live
 * delivery waits the same way and reports `skipped_already_delivered`.
 */
import type { ReportArchive } from '../archive/report-archive';
import type { ArchivedWeek } from '../core/archived-week';
import type { Summary } from '../core/types';
import {
  ChannelDeliveryError,
  DeliveryInProgressError,
  DeliveryUnknownError,
  SlackDeliveryError,
  toError,
} from '../errors';
import type {
  CallOptions,
  ClaimResult,
  DeliveryLedger,
  EmailSender,
  Logger,
  LostAnswer,
  RenderedReport,
  SlackPostTag,
  SlackSender,
  TeamsSender,
} from '../ports';
import type { Link } from '../render/view';
import { renderingToSend } from './archived-rendering';
import type { ChannelName, ChannelOutcome, ChannelResult } from './results';

/** The longest one channel's send may take (SES batches, Slack with a Retry-After wait). */
export const CHANNEL_SEND_MS = 60 * 1000;
/** A claim outlives its send budget by this much (clock skew, the record call after the send). */
export const LEASE_MARGIN_MS = 15 * 1000;
/** How often a run that finds a channel in progress looks again. */
const CLAIM_POLL_MS = 2_000;
/** A lost post is looked for from this long before its claim (clock skew between us and Slack). */
export const LOOKUP_MARGIN_MS = 5 * 60 * 1000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where one report goes: each absent when off. */
export interface ReportOutlets {
  readonly email?: EmailSender;
  readonly slack?: { readonly sender: SlackSender; readonly channel: string };
  /** The report's Microsoft Teams channel (its workflow webhook); named so as not to be taken for Datadog Teams. */
  readonly msTeams?: { readonly sender: TeamsSender };
  /** The report's archive: written before delivery, read for the baseline and the trend. */
  readonly archive?: ReportArchive;
  /** Where people open the archive's copy of the week ending `windowTo` (the Teams card's button). */
  readonly archiveCopy?: (windowTo: string) => Link | undefined;
}

export interface DeliveryDeps {
  readonly ledger: DeliveryLedger;
  readonly logger: Logger;
  /** Channels to send although their outcome is unknown (the invocation's `resend`: an operator's decision). */
  readonly resend?: ReadonlySet<ChannelName>;
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
  const { archive, email, slack, msTeams } = outlets;
  if (archive && week) {
    archived.push(
      await channel.deliver('archive', keyOf('archive'), async (call) => {
        const keys = await archive.write(report.summary.window.to, report, week, call);
        return { location: archive.location, objects: String(keys.length) };
      }),
    );
  }
  // The archive is what was sent: a channel still due after an earlier run archived this window gets that rendering.
  const toSend = renderingToSend(
    archived[0],
    archive,
    report,
    deps.logger,
    outlets.archiveCopy?.(report.summary.window.to),
  );
  const attempts: Promise<ChannelResult[]>[] = [];
  if (email) {
    attempts.push(
      channel
        .deliver(
          'email',
          keyOf('email'),
          async (call) => {
            const sent = await toSend(call);
            const { messageIds } = await email.send({ subject: sent.subject, html: sent.html, text: sent.text }, call);
            return { messageIds: messageIds.join(',') };
          },
          deps.resend?.has('email') ? RESEND : { kind: 'refuse', what: `email to ${recipientList(email.recipients)}` },
        )
        .then((r) => [r]),
    );
  }
  if (slack) {
    const tag: SlackPostTag = {
      report: key,
      windowFrom: report.summary.window.from,
      windowTo: report.summary.window.to,
    };
    attempts.push(
      (async () => {
        const post = await channel.deliver(
          'slack',
          keyOf('slack'),
          async (call) => {
            const { ts } = await slack.sender.post((await toSend(call)).slack.post, { ...call, tag });
            return { ts };
          },
          deps.resend?.has('slack')
            ? RESEND
            : { kind: 'find', find: findPost(deps.logger, slack, tag, keyOf('slack')) },
        );
        const thread = await deliverThread(deps, channel, slack, tag, keyOf('slack_thread'), post, toSend, times);
        return thread ? [post, thread] : [post];
      })(),
    );
  }
  if (msTeams) {
    const { sender } = msTeams;
    attempts.push(
      channel
        .deliver(
          'teams',
          keyOf('teams'),
          async (call) => {
            const { status } = await sender.post((await toSend(call)).teams, call);
            return { status: String(status), channel: sender.channel };
          },
          // A webhook has no look-up: a post whose answer was lost is refused, like an email, until resent on purpose.
          deps.resend?.has('teams') ? RESEND : { kind: 'refuse', what: `the Teams card to channel ${sender.channel}` },
        )
        .then((r) => [r]),
    );
  }
  return [...archived, ...(await Promise.all(attempts)).flat()];
}

/**
 * The thread reply, under the post's `ts`: this run's post, or the one an earlier run recorded
 * (the ledger's detail of the `slack` channel). Not sent while the post is not delivered (its
 * result says so; the next run sends it). Undefined when the rendering has no thread (an archived
 * week rendered before threads).
 */
async function deliverThread(
  deps: DeliveryDeps,
  channel: ChannelDelivery,
  slack: NonNullable<ReportOutlets['slack']>,
  tag: SlackPostTag,
  key: string,
  post: ChannelResult,
  toSend: (call: CallOptions) => Promise<RenderedReport>,
  times: DeliveryTimes,
): Promise<ChannelResult | undefined> {
  if (post.outcome !== 'delivered' && post.outcome !== 'skipped_already_delivered') {
    // The reply waits for its post: its ledger item is not touched, so the next run sends it. The
    // post's own failure fails the invocation and names the cause; this one adds none of its own.
    deps.logger.warn('channel_outcome', {
      channel: 'slack_thread',
      outcome: 'failed',
      key,
      durationMs: 0,
      why: `waits for the channel post (${post.outcome})`,
    });
    return { channel: 'slack_thread', outcome: 'failed', key, durationMs: 0 };
  }
  const threadTs = post.detail?.ts;
  // An archived rendering made before threads has none to send. (Read once and kept: the post's
  // send read it already, unless the post was delivered by an earlier run; bounded by the deadline.)
  const replies = await toSend({ deadline: times.deadline }).then(
    (r) => r.slack.thread,
    () => undefined,
  );
  if (replies !== undefined && replies.length === 0) return undefined;
  return channel.deliver(
    'slack_thread',
    key,
    async (call) => {
      if (!threadTs) {
        throw new ChannelDeliveryError(
          'slack_thread',
          'slack_thread: the ledger holds no ts of the channel post to reply under; it was not posted',
        );
      }
      const thread = (await toSend(call)).slack.thread;
      let ts = '';
      for (const [i, reply] of thread.entries()) {
        try {
          ({ ts } = await slack.sender.post(reply, { ...call, tag, threadTs }));
        } catch (error) {
          // A reply after the first was posted: the thread now holds part of it, so never repost blindly.
          if (i > 0 && error instanceof ChannelDeliveryError && !error.answerLost) {
            throw new SlackDeliveryError(`${error.message} (after ${i} of ${thread.length} replies were posted)`, {
              cause: error,
              answerLost: true,
            });
          }
          throw error;
        }
      }
      return { ts, thread_ts: threadTs, replies: String(thread.length) };
    },
    deps.resend?.has('slack_thread')
      ? RESEND
      : {
          kind: 'find',
          find: async (lost, call) => {
            if (!threadTs) return undefined;
            const oldest = lost.since - LOOKUP_MARGIN_MS;
            const found = await slack.sender.findReply(slack.channel, threadTs, tag, oldest, call);
            deps.logger.info('slack_lookup', {
              key,
              channel: slack.channel,
              thread: threadTs,
              since: new Date(lost.since).toISOString(),
              oldest: new Date(oldest).toISOString(),
              pages: found.pages,
              messagesSeen: found.messages,
              found: found.ts ?? null,
            });
            return found.ts === undefined ? undefined : { ts: found.ts, thread_ts: threadTs };
          },
        },
  );
}

/**
 * What a channel does when its ledger outcome is unknown: send again (the archive, which is
 * idempotent; a channel the invocation names in `resend`), look for the earlier send first
 * (Slack), or refuse and fail naming it (email, Teams).
 */
export type UnknownOutcomePolicy =
  | { readonly kind: 'resend' }
  | { readonly kind: 'refuse'; readonly what: string }
  | {
      readonly kind: 'find';
      /** The earlier send's record when it is found (then it is not sent again), else undefined. */
      readonly find: (lost: LostAnswer, call: CallOptions) => Promise<Record<string, string> | undefined>;
    };

const RESEND: UnknownOutcomePolicy = { kind: 'resend' };

/** Looks for the post of `tag` in the Slack channel from a little before the lost send, and logs what it found. */
function findPost(
  logger: Logger,
  slack: NonNullable<ReportOutlets['slack']>,
  tag: SlackPostTag,
  key: string,
): (lost: LostAnswer, call: CallOptions) => Promise<Record<string, string> | undefined> {
  return async (lost, call) => {
    const oldest = lost.since - LOOKUP_MARGIN_MS;
    const found = await slack.sender.find(slack.channel, tag, oldest, call);
    logger.info('slack_lookup', {
      key,
      channel: slack.channel,
      since: new Date(lost.since).toISOString(),
      oldest: new Date(oldest).toISOString(),
      pages: found.pages,
      messagesSeen: found.messages,
      found: found.ts ?? null,
    });
    return found.ts === undefined ? undefined : { ts: found.ts };
  };
}

/** `a@x, b@y` or `a@x, b@y, c@z and 7 more`. */
function recipientList(recipients: readonly string[]): string {
  const shown = recipients.slice(0, 3).join(', ');
  return recipients.length > 3 ? `${shown} and ${recipients.length - 3} more` : shown;
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
    onUnknown: UnknownOutcomePolicy = RESEND,
  ): Promise<ChannelResult> {
    const { ledger, logger } = this.deps;
    const started = this.now();
    const result = (
      outcome: ChannelOutcome,
      error?: Error,
      flags: { recordFailed?: boolean; found?: boolean; detail?: Readonly<Record<string, string>> } = {},
    ): ChannelResult => {
      const durationMs = this.now() - started;
      const { detail, ...logged } = flags;
      if (error) logger.error('channel_outcome', { channel, outcome, key, durationMs, error: error.message });
      else logger.info('channel_outcome', { channel, outcome, key, durationMs, ...logged });
      return {
        channel,
        outcome,
        key,
        durationMs,
        ...(error ? { error } : {}),
        ...(flags.recordFailed ? { recordFailed: true } : {}),
        ...(flags.found ? { found: true } : {}),
        ...(detail ? { detail } : {}),
      };
    };

    let claim: ClaimResult;
    let sendDeadline: number;
    try {
      ({ claim, sendDeadline } = await this.claim(key, onUnknown.kind !== 'refuse'));
    } catch (error) {
      // Without the ledger we cannot promise "never twice", so we do not send.
      return result('failed', toError(error));
    }
    if (claim.status === 'delivered')
      return result('skipped_already_delivered', undefined, claim.detail ? { detail: claim.detail } : {});
    if (claim.status === 'in_progress') return result('failed', new DeliveryInProgressError(channel, key));
    if (claim.status === 'unknown') {
      const what = onUnknown.kind === 'refuse' ? onUnknown.what : channel;
      return result('unknown', new DeliveryUnknownError(channel, unknownMessage(channel, what, claim.lost)));
    }

    const { lost } = claim;
    if (lost && onUnknown.kind === 'find') {
      let found: Record<string, string> | undefined;
      try {
        found = await onUnknown.find(lost, { deadline: sendDeadline });
      } catch (error) {
        await this.release(channel, key);
        return result(
          'unknown',
          new DeliveryUnknownError(
            channel,
            `${channel}: could not look for the send whose answer was lost at ${new Date(lost.since).toISOString()}, so it was not sent again: ${toError(error).message}`,
            { cause: error },
          ),
        );
      }
      if (found)
        return this.record(channel, key, { ...found, found: 'true' }, (recordFailed) =>
          result('delivered', undefined, { recordFailed, found: true, detail: found }),
        );
    }
    if (lost)
      logger.warn('channel_sending_again', {
        channel,
        key,
        since: new Date(lost.since).toISOString(),
        why: onUnknown.kind === 'find' ? 'not_found' : 'resend',
      });

    let detail: Record<string, string>;
    try {
      detail = await send({ deadline: sendDeadline });
    } catch (error) {
      const reason = toError(error);
      if (reason instanceof ChannelDeliveryError && reason.answerLost) {
        try {
          await ledger.recordUnknown(
            key,
            { error: reason.message.slice(0, 1000) },
            { deadline: this.times.hardDeadline },
          );
        } catch (recordError) {
          // The claim then lapses with its lease, which reads as unknown all the same.
          logger.error('ledger_record_failed', { channel, key, error: toError(recordError).message });
        }
        return result('unknown', reason);
      }
      await this.release(channel, key);
      return result('failed', reason);
    }
    return this.record(channel, key, detail, (recordFailed) =>
      result('delivered', undefined, { recordFailed, detail }),
    );
  }

  /** Records `key` delivered; a failed record is logged, never a failure (it was sent). */
  private async record(
    channel: ChannelName,
    key: string,
    detail: Record<string, string>,
    done: (recordFailed: boolean) => ChannelResult,
  ): Promise<ChannelResult> {
    try {
      await this.deps.ledger.recordDelivered(key, detail, { deadline: this.times.hardDeadline });
    } catch (error) {
      // It was sent: failing the invocation would make the retry look at or send it again. The
      // claim lapses into "unknown" (a Slack post is then found; an email waits for a resend).
      this.deps.logger.error('ledger_record_failed', { channel, key, error: toError(error).message });
      return done(true);
    }
    return done(false);
  }

  /** Drops our claim after a send that did not happen (back to unknown when it was taken over one). */
  private async release(channel: ChannelName, key: string): Promise<void> {
    try {
      await this.deps.ledger.release(key, { deadline: this.times.hardDeadline });
    } catch (releaseError) {
      // The claim then lapses with its lease, and the retry after that treats it as unknown.
      this.deps.logger.warn('ledger_release_failed', { channel, key, error: toError(releaseError).message });
    }
  }

  /**
   * Claims `key` for a send that must end by the returned `sendDeadline` (its budget, never past
   * the delivery deadline); the lease covers it plus a margin. Finding the key in progress, it
   * polls until the holder records it delivered (→ `delivered`), releases it (→ `claimed`), lets
   * the lease lapse or records it unknown (→ `unknown`, or `claimed` with `lost` when
   * `takeUnknown`), or the deadline comes (→ `in_progress`).
   */
  private async claim(key: string, takeUnknown: boolean): Promise<{ claim: ClaimResult; sendDeadline: number }> {
    const { ledger, logger } = this.deps;
    const { deadline } = this.times;
    for (let polls = 0; ; polls++) {
      const sendDeadline = Math.min(deadline, this.now() + CHANNEL_SEND_MS);
      const leaseUntil = Math.max(this.now(), sendDeadline) + LEASE_MARGIN_MS;
      const claim = await ledger.claim(key, leaseUntil, { deadline, takeUnknown });
      if (claim.status !== 'in_progress') return { claim, sendDeadline };
      const waitMs = Math.min(CLAIM_POLL_MS, deadline - this.now());
      if (waitMs <= 0) return { claim, sendDeadline };
      if (polls === 0) logger.info('channel_in_progress_waiting', { key });
      await this.sleep(waitMs);
    }
  }
}

/** The error of a channel this run did not send because an earlier send's outcome is unknown. */
function unknownMessage(channel: ChannelName, what: string, lost: LostAnswer): string {
  const why = lost.detail.error ? ` (${lost.detail.error})` : '';
  return (
    `${what} may have been sent at ${new Date(lost.since).toISOString()}; its answer was lost${why}. ` +
    `It is not sent again by itself: if it did not arrive, invoke the function with this run's event plus "resend": ["${channel}"] (docs/delivery.md)`
  );
}
