/**
 * The job, with every dependency injected: fetch the window and baseline → summarize → render →
 * deliver, for every report of one fetch group (report-definitions.ts): the reports that read the
 * same org over the same window share one fetch, and each gets its own summary of its own
 * people's calls (a team's report counts only its members), its own archive and its channels.
 * - A scoped report whose teams cannot be resolved fails on its own, never widened to the org;
 *   the other reports are delivered.
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
import { collectGroupData, type ReportConsumer } from './collect';
import type { ReportScope } from './config/report-definitions';
import { archivedWeek } from './core/archived-week';
import { describeGaps, isUnread } from './core/gaps';
import { narrowUsageDataBy } from './core/mcp-usage';
import { callerInScope, callInScope, type PersonScope, personScope, scopeLabel } from './core/scope';
import { summarize } from './core/summarize';
import type { McpUsageData, ReportSettings, SuppressRule, Thresholds } from './core/types';
import { reportWindow, type WindowMode } from './core/windows';
import { DeliveryError, DeliveryInProgressError, ReportUnavailableError, ScopeError, toError } from './errors';
import { withHistory } from './history';
import type {
  AuditEventSource,
  CallOptions,
  ClaimResult,
  DeliveryLedger,
  EmailSender,
  Logger,
  McpUsageSource,
  SlackSender,
  TeamDirectory,
} from './ports';
import { renderReport } from './render';
import type { ChannelName, ChannelOutcome, ChannelResult, RunResult } from './results';

/** Without a deadline (CLI, tests), the job may take this long. */
const DEFAULT_RUN_MS = 15 * 60 * 1000;
/** The longest one channel's send may take (SES batches, Slack with a Retry-After wait). */
export const CHANNEL_SEND_MS = 60 * 1000;
/** A claim outlives its send budget by this much (clock skew, the record call after the send). */
export const LEASE_MARGIN_MS = 15 * 1000;
/** How often a run that finds a channel in progress looks again. */
const CLAIM_POLL_MS = 2_000;

export interface ReportRunSettings {
  /** The report's name (logs, errors). @default 'default' */
  readonly name?: string;
  /** What its ledger keys start with. @default the org name */
  readonly key?: string;
  /** Whose calls it counts (teams, listed people); absent: the whole org. */
  readonly scope?: ReportScope;
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

/** The dependencies every report of a fetch group shares. */
export interface GroupDeps {
  readonly source: AuditEventSource;
  /** MCP tool and client usage, read alongside the audit events; absent: the report says it was not read. */
  readonly usage?: McpUsageSource;
  /** Resolves the teams of scoped reports; absent: a report scoped to teams fails. */
  readonly teams?: TeamDirectory;
  readonly ledger: DeliveryLedger;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One report of a group: its settings and where it goes. */
export interface ReportUnit {
  readonly settings: ReportRunSettings;
  /** Absent when email is off. */
  readonly email?: EmailSender;
  /** Absent when Slack is off. */
  readonly slack?: { readonly sender: SlackSender; readonly channel: string };
  /** The report's archive: written before delivery, read for the baseline and the trend. Absent: off. */
  readonly archive?: ReportArchive;
}

/** One report, alone (the CLI, tests): the group of one. */
export interface ReportDeps extends GroupDeps, ReportUnit {}

export interface RunInput {
  /** When the run fires (the schedule's scheduled time, or now): the window is derived from it. */
  readonly end: Date;
  /** Epoch ms after which no fetch request, send or wait may start. */
  readonly deadline?: number;
  /** Epoch ms by which ledger bookkeeping must be done (just before the function times out). @default deadline */
  readonly hardDeadline?: number;
}

/** How one report of a group ended: its run (also when a channel failed), or why it has none. */
export interface ReportOutcome {
  readonly name: string;
  readonly result?: RunResult;
  /** A DeliveryError (with `run`) when a channel failed; a ScopeError when its scope could not be resolved. */
  readonly error?: Error;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One report, as a group of one: throws what its outcome holds. */
export async function runReport(deps: ReportDeps, input: RunInput): Promise<RunResult> {
  const { settings, email, slack, archive, ...group } = deps;
  const [outcome] = await runReportGroup(
    { ...group },
    [{ settings, ...(email ? { email } : {}), ...(slack ? { slack } : {}), ...(archive ? { archive } : {}) }],
    input,
  );
  if (outcome?.error) throw outcome.error;
  if (!outcome?.result) throw new Error('the report produced no result');
  return outcome.result;
}

/** A scoped report's people: its teams' members (resolved now) and its listed people. */
async function resolveScope(
  deps: GroupDeps,
  settings: ReportRunSettings,
  deadline: number,
): Promise<PersonScope | undefined> {
  const scope = settings.scope;
  if (!scope) return undefined;
  const teams = scope.teams ?? [];
  const people = scope.people ?? [];
  const label = scopeLabel(teams, people);
  if (teams.length === 0) return personScope(label, [], people);
  if (!deps.teams) throw new ScopeError(settings.name ?? 'default', label, 'no Datadog Teams directory is configured');
  try {
    const resolved = await deps.teams.resolve(teams, { deadline });
    return personScope(
      label,
      resolved.flatMap((t) => t.members),
      people,
    );
  } catch (error) {
    throw new ScopeError(settings.name ?? 'default', label, toError(error).message, { cause: error });
  }
}

/**
 * Runs every report of one fetch group: one fetch, then each report summarized over its own
 * people, rendered, archived and delivered. Throws ReportUnavailableError when not one page of
 * the window could be read (no report at all); otherwise returns one outcome per report.
 */
export async function runReportGroup(
  deps: GroupDeps,
  units: readonly ReportUnit[],
  input: RunInput,
): Promise<ReportOutcome[]> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const first = units[0]?.settings;
  if (!first) return [];
  const range = reportWindow(input.end.getTime(), first.timezone, first.windowDays, first.window ?? 'calendar');
  const window = { from: new Date(range.from), to: new Date(range.to) };
  const deadline = input.deadline ?? now() + DEFAULT_RUN_MS;
  const hardDeadline = Math.max(deadline, input.hardDeadline ?? deadline);

  // Scopes first: a report whose teams cannot be resolved is not fetched for, and fails alone.
  const scopes = await Promise.allSettled(units.map((u) => resolveScope(deps, u.settings, deadline)));
  const live = units.flatMap((unit, i) => {
    const scope = scopes[i];
    return scope?.status === 'fulfilled' ? [{ unit, scope: scope.value }] : [];
  });
  const outcomes = new Map<ReportUnit, ReportOutcome>();
  units.forEach((unit, i) => {
    const scope = scopes[i];
    if (scope?.status === 'rejected') {
      const error = toError(scope.reason);
      logger.error('report_scope_unresolved', { report: unit.settings.name ?? 'default', error: error.message });
      outcomes.set(unit, { name: unit.settings.name ?? 'default', error });
    }
  });

  if (live.length > 0) {
    let started = now();
    const consumers: ReportConsumer[] = live.map(({ unit, scope }) => ({
      ...(unit.archive ? { archive: unit.archive } : {}),
      ...(scope ? { accepts: (record) => callInScope(record, scope) } : {}),
    }));
    const collected = await collectGroupData(deps.source, {
      window: range,
      timezone: first.timezone,
      windowDays: first.windowDays,
      baselineDays: first.baselineDays,
      deadline,
      ...(deps.usage ? { usage: deps.usage } : {}),
      logger,
      consumers,
    });
    // Every report shares the window's fetch, and so its gaps: unread for one is unread for all.
    const gaps = collected[0]?.window.incomplete ?? [];
    logger.info('fetch_done', {
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      reports: live.length,
      // The widest report's figures (the whole org's when one report is org-wide); each report's own
      // follow in its summarize_done line.
      windowEvents: Math.max(...collected.map((d) => d.window.events)),
      baselineEvents: wantsBaseline(collected) ? Math.max(...collected.map((d) => d.baseline?.events ?? 0)) : null,
      baselineSources: collected[0]?.baselineSources ?? null,
      gaps: gaps.length,
      toolUsage: collected[0]?.usage?.window.status ?? 'not_fetched',
      durationMs: now() - started,
    });
    if (isUnread(gaps, range.from, range.to)) {
      // A total outage must never look like a quiet week: no report at all, and a failed run.
      throw new ReportUnavailableError(window, describeGaps(gaps, first.timezone));
    }
    started = now();
    for (const [i, { unit, scope }] of live.entries()) {
      const data = collected[i];
      if (!data) continue;
      const usage: McpUsageData | undefined =
        data.usage && scope
          ? narrowUsageDataBy(data.usage, (caller) => callerInScope(caller, scope), scope.label)
          : data.usage;
      outcomes.set(
        unit,
        await deliverReport(deps, unit, { ...data, ...(usage ? { usage } : {}) }, scope, range, deadline, hardDeadline),
      );
    }
  }
  return units.map((unit) => outcomes.get(unit) ?? { name: unit.settings.name ?? 'default' });
}

function wantsBaseline(collected: ReadonlyArray<{ readonly baseline?: unknown }>): boolean {
  return collected.some((d) => d.baseline !== undefined);
}

/** One report of the group, from its collected data: summarize → render → archive → deliver. Never throws. */
async function deliverReport(
  deps: GroupDeps,
  unit: ReportUnit,
  data: Awaited<ReturnType<typeof collectGroupData>>[number],
  scope: PersonScope | undefined,
  range: { from: number; to: number },
  deadline: number,
  hardDeadline: number,
): Promise<ReportOutcome> {
  const { logger } = deps;
  const { settings } = unit;
  const name = settings.name ?? 'default';
  const now = deps.now ?? Date.now;
  let started = now();
  const reportSettings: ReportSettings = {
    org: settings.org,
    window: range,
    timezone: settings.timezone,
    site: settings.site,
    thresholds: settings.thresholds,
    suppress: settings.suppress,
    topUsers: settings.topUsers ?? 5,
    changesLimit: settings.changesLimit ?? 200,
    ...(scope ? { scopeLabel: scope.label } : {}),
    ...(data.baselineRange ? { baselineWindow: data.baselineRange } : {}),
  };
  const summary = await withHistory(
    summarize(data.window, data.baseline, reportSettings, data.usage),
    data,
    unit.archive,
    settings.windowDays,
    { logger, call: { deadline } },
  );
  logger.info('summarize_done', {
    report: name,
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    changes: summary.changes.total,
    warnings: summary.warnings.length,
    durationMs: now() - started,
  });
  if (!summary.complete) logger.warn('report_incomplete', { report: name, reasons: summary.warnings.slice(0, 20) });

  started = now();
  const report = renderReport(summary, { slackChannel: unit.slack?.channel ?? '' });
  logger.info('render_done', {
    report: name,
    htmlBytes: Buffer.byteLength(report.html, 'utf8'),
    textBytes: Buffer.byteLength(report.text, 'utf8'),
    slackBlocks: report.slack.blocks.length,
    durationMs: now() - started,
  });

  const channel = new ChannelDelivery(deps, deadline, hardDeadline);
  const key = (channelName: ChannelName): string =>
    `${settings.key ?? settings.org}:${summary.window.to}:${channelName}`;
  // The archive first, so what was sent is on record; its failure does not stop the deliveries.
  const archived: ChannelResult[] = [];
  const archive = unit.archive;
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
  const email = unit.email;
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
  const slack = unit.slack;
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
    report: name,
    delivered: channels.filter((c) => c.outcome === 'delivered').length,
    skipped: channels.filter((c) => c.outcome === 'skipped_already_delivered').length,
    failed: failures.length,
  });
  const result = { summary, report, channels };
  return failures.length > 0 ? { name, result, error: new DeliveryError(failures, result) } : { name, result };
}

/** One channel at a time: claim (waiting out a claim in progress) → send → record, or release. Never throws. */
class ChannelDelivery {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: GroupDeps,
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
