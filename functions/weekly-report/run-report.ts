/**
 * The job, with every dependency injected: fetch the window and baseline → summarize → render →
 * deliver. Channels are independent: each is claimed in the ledger, sent, and recorded on its
 * own, and one failing never stops the other. When any failed, a DeliveryError naming them is
 * thrown after the others were delivered and recorded, so the schedule's retry, the DLQ and the
 * alarm see it and the retry sends only what is missing.
 */
import { collectReportData } from './collect';
import { summarize } from './core/aggregate';
import type { ReportSettings, Summary, SuppressRule, Thresholds } from './core/types';
import { DeliveryError, DeliveryInProgressError, toError } from './errors';
import type { AuditEventSource, DeliveryLedger, EmailSender, RenderedReport, SlackSender } from './ports';
import { renderReport } from './render';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Without a deadline (CLI, tests), a claim lasts as long as the longest Lambda run. */
const DEFAULT_RUN_MS = 15 * 60 * 1000;
/** A claim outlives the deadline by this much, covering the handler's safety margin. */
const LEASE_MARGIN_MS = 60 * 1000;

export type ChannelName = 'email' | 'slack';
export type ChannelOutcome = 'delivered' | 'skipped_already_delivered' | 'failed';

export interface ChannelResult {
  readonly channel: ChannelName;
  readonly outcome: ChannelOutcome;
  /** The idempotency key `{org}:{window.to}:{channel}`. */
  readonly key: string;
  readonly durationMs: number;
  readonly error?: Error;
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
  readonly thresholds: Thresholds;
  readonly suppress: readonly SuppressRule[];
  /** @default 5 */
  readonly topUsers?: number;
  /** @default 200 */
  readonly changesLimit?: number;
}

export interface ReportDeps {
  readonly source: AuditEventSource;
  readonly ledger: DeliveryLedger;
  /** Absent when email is off. */
  readonly email?: EmailSender;
  /** Absent when Slack is off. */
  readonly slack?: { readonly sender: SlackSender; readonly channel: string };
  readonly settings: ReportRunSettings;
  readonly logger: ReportLogger;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface RunInput {
  /** End of the report window (the schedule's scheduled time). */
  readonly end: Date;
  /** Epoch ms after which no fetch request or Slack wait may start. */
  readonly deadline?: number;
}

export async function runReport(deps: ReportDeps, input: RunInput): Promise<RunResult> {
  const { logger, settings } = deps;
  const now = deps.now ?? Date.now;
  const window = { from: new Date(input.end.getTime() - settings.windowDays * DAY_MS), to: input.end };

  let started = now();
  const data = await collectReportData(deps.source, {
    window,
    windowDays: settings.windowDays,
    baselineDays: settings.baselineDays,
    ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
  });
  logger.info('fetch_done', {
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    windowEvents: data.window.events,
    baselineEvents: data.baseline?.events ?? null,
    durationMs: now() - started,
  });

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
  const summary = summarize(data.window, data.baseline, reportSettings);
  logger.info('summarize_done', {
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    changes: summary.changes.total,
    warnings: summary.warnings.length,
    durationMs: now() - started,
  });

  started = now();
  const report = renderReport(summary, { slackChannel: deps.slack?.channel ?? '' });
  logger.info('render_done', {
    htmlBytes: Buffer.byteLength(report.html, 'utf8'),
    textBytes: Buffer.byteLength(report.text, 'utf8'),
    slackBlocks: report.slack.blocks.length,
    durationMs: now() - started,
  });

  const leaseUntil = (input.deadline ?? now() + DEFAULT_RUN_MS) + LEASE_MARGIN_MS;
  const deliver = (channel: ChannelName, send: () => Promise<Record<string, string>>) =>
    deliverChannel(deps, `${settings.org}:${summary.window.to}:${channel}`, channel, leaseUntil, send);
  const attempts: Promise<ChannelResult>[] = [];
  const email = deps.email;
  if (email) {
    attempts.push(
      deliver('email', async () => {
        const { messageIds } = await email.send({ subject: report.subject, html: report.html, text: report.text });
        return { messageIds: messageIds.join(',') };
      }),
    );
  }
  const slack = deps.slack;
  if (slack) {
    attempts.push(
      deliver('slack', async () => {
        const { ts } = await slack.sender.post(report.slack, {
          ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
        });
        return { ts };
      }),
    );
  }
  const channels = await Promise.all(attempts);

  const failures = channels.flatMap((c) =>
    c.outcome === 'failed' && c.error ? [{ channel: c.channel, error: c.error }] : [],
  );
  logger.info('report_done', {
    delivered: channels.filter((c) => c.outcome === 'delivered').length,
    skipped: channels.filter((c) => c.outcome === 'skipped_already_delivered').length,
    failed: failures.length,
  });
  if (failures.length > 0) throw new DeliveryError(failures);
  return { summary, report, channels };
}

/** One channel: claim → send → record, or release the claim when the send failed. Never throws. */
async function deliverChannel(
  deps: ReportDeps,
  key: string,
  channel: ChannelName,
  leaseUntil: number,
  send: () => Promise<Record<string, string>>,
): Promise<ChannelResult> {
  const { ledger, logger } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const result = (outcome: ChannelOutcome, error?: Error): ChannelResult => {
    const durationMs = now() - started;
    if (error) logger.error('channel_outcome', { channel, outcome, key, durationMs, error: error.message });
    else logger.info('channel_outcome', { channel, outcome, key, durationMs });
    return { channel, outcome, key, durationMs, ...(error ? { error } : {}) };
  };

  let claim: Awaited<ReturnType<DeliveryLedger['claim']>>;
  try {
    claim = await ledger.claim(key, leaseUntil);
  } catch (error) {
    // Without the ledger we cannot promise "never twice", so we do not send.
    return result('failed', toError(error));
  }
  if (claim === 'delivered') return result('skipped_already_delivered');
  if (claim === 'in_progress') return result('failed', new DeliveryInProgressError(channel, key));

  let detail: Record<string, string>;
  try {
    detail = await send();
  } catch (error) {
    try {
      await ledger.release(key);
    } catch (releaseError) {
      // The claim then lapses with its lease; the retry after that sends.
      logger.warn('ledger_release_failed', { channel, key, error: toError(releaseError).message });
    }
    return result('failed', toError(error));
  }
  try {
    await ledger.recordDelivered(key, detail);
  } catch (error) {
    // It was sent: failing the invocation would make the retry send it again once the claim
    // lapses. The claim still blocks a resend for its lease; the error is logged for the alarm.
    logger.error('ledger_record_failed', { channel, key, error: toError(error).message });
  }
  return result('delivered');
}
