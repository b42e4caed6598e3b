/**
 * The job, with every dependency injected: fetch the window and baseline → summarize → render →
 * deliver.
 * - No report from nothing: when not one page of the report window could be read, nothing is
 *   sent and ReportUnavailableError is thrown (the retry policy, the DLQ and the alarm see it);
 *   a partly read window goes out marked partial.
 * - With an archive, the baseline comes from archived weeks where it can (history.ts), the
 *   summary gets its 12-week trend, and the report is archived before it is delivered.
 * - Channels (the archive, email, Slack) are independent: each is claimed in the ledger, sent,
 *   and recorded on its own, and one failing never stops the others. When any failed, a
 *   DeliveryError naming them is thrown after the others were delivered and recorded, so the
 *   retry sends only what is missing.
 * - Every outgoing call ends by the deadline; ledger bookkeeping after a send has until the
 *   hard deadline (just before Lambda's timeout), so an outcome is recorded before the timeout.
 *
 * Lease arithmetic (README "Delivery, idempotency and failures"): a claim lasts the channel's
 * send budget (at most CHANNEL_SEND_MS) plus LEASE_MARGIN_MS, 75 s at most. Lambda retries a
 * failed asynchronous invocation about 1 and then 2 minutes later; an invocation that died
 * holding a claim leaves it for at most 75 s, and the retry waits for a claim it finds in
 * progress (polling until the holder delivers, releases, or the lease lapses) instead of
 * failing, so the first retry delivers. A duplicate that runs at the same time as a live
 * delivery waits the same way and reports `skipped_already_delivered`.
 */
import type { ReportArchive } from './archive/report-archive';
import { collectReportData } from './collect';
import { summarize } from './core/aggregate';
import { archivedWeek } from './core/archived-week';
import { describeGaps, isUnread } from './core/gaps';
import type { ReportSettings, Summary, SuppressRule, Thresholds } from './core/types';
import { reportWindow, type WindowMode } from './core/windows';
import { DeliveryError, DeliveryInProgressError, ReportUnavailableError, toError } from './errors';
import { withHistory } from './history';
import type {
  AuditEventSource,
  CallOptions,
  ClaimResult,
  DeliveryLedger,
  EmailSender,
  McpUsageSource,
  RenderedReport,
  SlackSender,
} from './ports';
import { renderReport } from './render';

/** Without a deadline (CLI, tests), the job may take this long. */
const DEFAULT_RUN_MS = 15 * 60 * 1000;
/** The longest one channel's send may take (SES batches, Slack with a Retry-After wait). */
export const CHANNEL_SEND_MS = 60 * 1000;
/** A claim outlives its send budget by this much (clock skew, the record call after the send). */
export const LEASE_MARGIN_MS = 15 * 1000;
/** How often a run that finds a channel in progress looks again. */
const CLAIM_POLL_MS = 2_000;

/** The archive is a channel too: claimed, written and recorded like the two deliveries, before them. */
export type ChannelName = 'archive' | 'email' | 'slack';
export type ChannelOutcome = 'delivered' | 'skipped_already_delivered' | 'failed';

export interface ChannelResult {
  readonly channel: ChannelName;
  readonly outcome: ChannelOutcome;
  /** The idempotency key `{org}:{window.to}:{channel}`. */
  readonly key: string;
  readonly durationMs: number;
  readonly error?: Error;
  /** Sent, but the ledger could not record it (a retry could send it again once the claim lapses). */
  readonly recordFailed?: boolean;
}

export interface RunResult {
  readonly summary: Summary;
  readonly report: RenderedReport;
  readonly channels: readonly ChannelResult[];
}

/** The narrow logger the job needs (Powertools Logger fits). */
export interface ReportLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface ReportRunSettings {
  readonly org: string;
  readonly timezone: string;
  /** Datadog site, for the deep links. */
  readonly site: string;
  readonly windowDays: number;
  readonly baselineDays: number;
  /** How the window ends (core/windows.ts). @default 'calendar' */
  readonly window?: WindowMode;
  readonly thresholds: Thresholds;
  readonly suppress: readonly SuppressRule[];
  /** @default 5 */
  readonly topUsers?: number;
  /** @default 200 */
  readonly changesLimit?: number;
}

export interface ReportDeps {
  readonly source: AuditEventSource;
  /** MCP tool and client usage, read alongside the audit events; absent: the report says it was not read. */
  readonly usage?: McpUsageSource;
  readonly ledger: DeliveryLedger;
  /** Absent when email is off. */
  readonly email?: EmailSender;
  /** Absent when Slack is off. */
  readonly slack?: { readonly sender: SlackSender; readonly channel: string };
  /** The report archive: written before delivery, read for the baseline and the trend. Absent: off. */
  readonly archive?: ReportArchive;
  readonly settings: ReportRunSettings;
  readonly logger: ReportLogger;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RunInput {
  /** When the run fires (the schedule's scheduled time, or now): the window is derived from it. */
  readonly end: Date;
  /** Epoch ms after which no fetch request, send or wait may start. */
  readonly deadline?: number;
  /** Epoch ms by which ledger bookkeeping must be done (just before the function times out). @default deadline */
  readonly hardDeadline?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runReport(deps: ReportDeps, input: RunInput): Promise<RunResult> {
  const { logger, settings } = deps;
  const now = deps.now ?? Date.now;
  const range = reportWindow(
    input.end.getTime(),
    settings.timezone,
    settings.windowDays,
    settings.window ?? 'calendar',
  );
  const window = { from: new Date(range.from), to: new Date(range.to) };
  const deadline = input.deadline ?? now() + DEFAULT_RUN_MS;
  const hardDeadline = Math.max(deadline, input.hardDeadline ?? deadline);

  let started = now();
  const data = await collectReportData(deps.source, {
    window,
    timezone: settings.timezone,
    windowDays: settings.windowDays,
    baselineDays: settings.baselineDays,
    deadline,
    ...(deps.archive ? { archive: deps.archive } : {}),
    ...(deps.usage ? { usage: deps.usage } : {}),
    logger,
  });
  logger.info('fetch_done', {
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    windowEvents: data.window.events,
    baselineEvents: data.baseline?.events ?? null,
    baselineSources: data.baselineSources ?? null,
    gaps: data.window.incomplete.length,
    toolUsage: data.usage?.window.status ?? 'not_fetched',
    durationMs: now() - started,
  });
  if (isUnread(data.window.incomplete, range.from, range.to)) {
    // A total outage must never look like a quiet week: no report at all, and a failed run.
    throw new ReportUnavailableError(window, describeGaps(data.window.incomplete, settings.timezone));
  }

  started = now();
  const reportSettings: ReportSettings = {
    org: settings.org,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    timezone: settings.timezone,
    site: settings.site,
    thresholds: settings.thresholds,
    suppress: settings.suppress,
    topUsers: settings.topUsers ?? 5,
    changesLimit: settings.changesLimit ?? 200,
    ...(data.baselineRange
      ? { baselineWindow: { from: data.baselineRange.from.toISOString(), to: data.baselineRange.to.toISOString() } }
      : {}),
  };
  const summary = await withHistory(
    summarize(data.window, data.baseline, reportSettings, data.usage),
    data,
    deps.archive,
    settings.windowDays,
    { logger, call: { deadline } },
  );
  logger.info('summarize_done', {
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    changes: summary.changes.total,
    warnings: summary.warnings.length,
    durationMs: now() - started,
  });
  if (!summary.complete) logger.warn('report_incomplete', { reasons: summary.warnings.slice(0, 20) });

  started = now();
  const report = renderReport(summary, { slackChannel: deps.slack?.channel ?? '' });
  logger.info('render_done', {
    htmlBytes: Buffer.byteLength(report.html, 'utf8'),
    textBytes: Buffer.byteLength(report.text, 'utf8'),
    slackBlocks: report.slack.blocks.length,
    durationMs: now() - started,
  });

  const channel = new ChannelDelivery(deps, deadline, hardDeadline);
  const key = (name: ChannelName): string => `${settings.org}:${summary.window.to}:${name}`;
  // The archive first, so what was sent is on record; its failure does not stop the deliveries.
  const archived: ChannelResult[] = [];
  const archive = deps.archive;
  if (archive) {
    const week = archivedWeek(settings.org, data.window, range);
    archived.push(
      await channel.deliver('archive', key('archive'), async (call) => {
        const keys = await archive.write(summary.window.to, report, week, call);
        return { location: archive.location, objects: String(keys.length) };
      }),
    );
  }
  const attempts: Promise<ChannelResult>[] = [];
  const email = deps.email;
  if (email) {
    attempts.push(
      channel.deliver('email', key('email'), async (call) => {
        const { messageIds } = await email.send(
          { subject: report.subject, html: report.html, text: report.text },
          call,
        );
        return { messageIds: messageIds.join(',') };
      }),
    );
  }
  const slack = deps.slack;
  if (slack) {
    attempts.push(
      channel.deliver('slack', key('slack'), async (call) => {
        const { ts } = await slack.sender.post(report.slack, call);
        return { ts };
      }),
    );
  }
  const channels = [...archived, ...(await Promise.all(attempts))];

  const failures = channels.flatMap((c) =>
    c.outcome === 'failed' && c.error ? [{ channel: c.channel, error: c.error }] : [],
  );
  logger.info('report_done', {
    delivered: channels.filter((c) => c.outcome === 'delivered').length,
    skipped: channels.filter((c) => c.outcome === 'skipped_already_delivered').length,
    failed: failures.length,
  });
  const result = { summary, report, channels };
  if (failures.length > 0) throw new DeliveryError(failures, result);
  return result;
}

/** One channel at a time: claim (waiting out a claim in progress) → send → record, or release. Never throws. */
class ChannelDelivery {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: ReportDeps,
    private readonly deadline: number,
    private readonly hardDeadline: number,
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
        await ledger.release(key, { deadline: this.hardDeadline });
      } catch (releaseError) {
        // The claim then lapses with its lease; the retry after that sends.
        logger.warn('ledger_release_failed', { channel, key, error: toError(releaseError).message });
      }
      return result('failed', toError(error));
    }
    try {
      await ledger.recordDelivered(key, detail, { deadline: this.hardDeadline });
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
   * the invocation's deadline); the lease covers it plus a margin. Finding the key in progress,
   * it polls until the holder records it delivered (→ `delivered`), releases it or lets the lease
   * lapse (→ `claimed`), or this run's deadline comes (→ `in_progress`).
   */
  private async claim(key: string): Promise<{ claim: ClaimResult; sendDeadline: number }> {
    const { ledger, logger } = this.deps;
    for (let polls = 0; ; polls++) {
      const sendDeadline = Math.min(this.deadline, this.now() + CHANNEL_SEND_MS);
      const leaseUntil = Math.max(this.now(), sendDeadline) + LEASE_MARGIN_MS;
      const claim = await ledger.claim(key, leaseUntil, { deadline: this.deadline });
      if (claim !== 'in_progress') return { claim, sendDeadline };
      const waitMs = Math.min(CLAIM_POLL_MS, this.deadline - this.now());
      if (waitMs <= 0) return { claim, sendDeadline };
      if (polls === 0) logger.info('channel_in_progress_waiting', { key });
      await this.sleep(waitMs);
    }
  }
}
