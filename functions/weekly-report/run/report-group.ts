/**
 * The reports of one fetch group, in one invocation: the reports that read the same org over the
 * same window share one read (pipeline/read.ts), and each gets its own summary of its own share
 * of the calls (a team's report counts only its members), its own archive and its channels.
 * - A team's members are read from the Teams API while the audit events are read (a
 *   DeferredShare); a team that cannot be resolved in its time fails its report alone, naming the
 *   Teams API, and never widens to the org; the other reports are delivered.
 * - No report from nothing: when not one page of the window could be read, nothing is sent and
 *   ReportUnavailableError is thrown (the retry policy, the DLQ and the alarm see it); a partly
 *   read window goes out marked partial.
 * - Reports are isolated: one report's failure (its analysis, its rendering, its archive, its
 *   channels) is its outcome, never another's. Each report is handed on as soon as it is done and
 *   only its small result is kept, so memory does not grow with the number of reports.
 */

import type { ReportDefinition } from '../config/report-definitions';
import { archivedWeek } from '../core/archived-week';
import { DeferredShare, type FanOutShare } from '../core/fan-out';
import { personScope, type Share, scopeLabel, scopeShare, WHOLE_ORG } from '../core/scope';
import { reportWindow } from '../core/windows';
import { DeliveryError, ScopeError, toError } from '../errors';
import { analyzeReport, assertRead } from '../pipeline/analyze';
import { readShares } from '../pipeline/read';
import type { AuditEventSource, Logger, McpUsageSource, TeamDirectory } from '../ports';
import { renderReport } from '../render';
import { type Budget, budgetUntil, DEFAULT_REMAINING_MS } from './budget';
import { type DeliveryDeps, deliverReport, type ReportOutlets } from './delivery';
import type { RunResult } from './results';

/** The dependencies every report of a fetch group shares. */
export interface GroupDeps extends DeliveryDeps {
  readonly source: AuditEventSource;
  /** MCP tool and client usage, read alongside the audit events; absent: the report says it was not read. */
  readonly usage?: McpUsageSource;
  /** Resolves the teams of scoped reports; absent: a report scoped to teams fails. */
  readonly teams?: TeamDirectory;
}

/** One report of the invocation: its definition and where it goes. */
export interface PlannedReport extends ReportOutlets {
  readonly report: ReportDefinition;
}

/** How one report of a group ended: its run (also when a channel failed), or why it has none. */
export interface ReportOutcome {
  readonly name: string;
  readonly result?: RunResult;
  /** A DeliveryError (with `run`) when a channel failed; any other error when it has no run. */
  readonly error?: Error;
}

/**
 * Runs every report of one fetch group: one read, then each report analysed over its share,
 * rendered, archived and delivered, one after the other. `onOutcome` gets each report's outcome as
 * soon as it is done; the returned outcomes keep no run (summaries can be megabytes each).
 * Throws ReportUnavailableError when not one page of the window could be read (no report at all),
 * and what the audit source throws (a refused key).
 */
export async function runReportGroup(
  deps: GroupDeps,
  plans: readonly PlannedReport[],
  end: number,
  budget: Budget,
  onOutcome?: (outcome: ReportOutcome) => void | Promise<void>,
): Promise<ReportOutcome[]> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const first = plans[0]?.report;
  if (!first) return [];
  const window = reportWindow(end, first.timezone, first.windowDays, first.windowMode);

  const shares = plans.map((plan) => shareOf(plan.report, deps, budget.teamsDeadline, logger));
  let started = now();
  const read = await readShares(
    deps.source,
    {
      window,
      timezone: first.timezone,
      windowDays: first.windowDays,
      baselineDays: first.baselineDays,
      ...(first.activity ? { activity: first.activity } : {}),
      deadline: budget.readDeadline,
      usageDeadline: budget.usageDeadline,
      sharesSettled: Promise.all(shares.map((s) => s.settled)),
      ...(deps.usage ? { usage: deps.usage } : {}),
      logger,
    },
    plans.map((plan, i) => ({
      share: shares[i]?.share ?? WHOLE_ORG,
      ...(plan.archive ? { archive: plan.archive } : {}),
      // Its baseline plan waits for its members (the archived weeks it may fold depend on them).
      ...(shares[i] ? { settled: shares[i].settled } : {}),
    })),
  );
  logger.info('fetch_done', {
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    reports: plans.length,
    // The widest report's figures (the whole org's when one report is org-wide); each report's own
    // follow in its summarize_done line.
    windowEvents: Math.max(...read.map((d) => d.window.total)),
    baselineEvents: read.some((d) => d.baseline) ? Math.max(...read.map((d) => d.baseline?.events ?? 0)) : null,
    baselineSources: read[0]?.baselineSources ?? null,
    gaps: read[0]?.window.incomplete.length ?? 0,
    toolUsage: read[0]?.usage?.window.status ?? 'not_fetched',
    durationMs: now() - started,
  });
  // Every report shares the window's read, and so its gaps: unread for one is unread for all.
  const firstRead = read[0];
  if (firstRead) assertRead(firstRead.window, window, first.timezone);

  const outcomes: ReportOutcome[] = [];
  for (const [i, plan] of plans.entries()) {
    const data = read[i];
    const share = shares[i];
    // Released as soon as this report is done: the next one does not need it.
    read[i] = undefined as never;
    started = now();
    const settled = share === undefined ? undefined : settledShare(share.share);
    const outcome =
      settled === undefined || data === undefined
        ? failed(plan, settledError(share?.share) ?? new Error('the read gave this report nothing'), logger)
        : await runOne(deps, plan, data, settled, window, budget).catch((error: unknown) =>
            failed(plan, toError(error), logger),
          );
    logger.info('report_done', {
      report: plan.report.name,
      failed: outcome.error !== undefined,
      durationMs: now() - started,
    });
    await onOutcome?.(outcome);
    outcomes.push({ name: outcome.name, ...(outcome.error ? { error: outcome.error } : {}) });
  }
  return outcomes;
}

/** When one report runs: the window's end, and when it must have delivered and recorded (epoch ms). */
export interface RunInput {
  readonly end: number;
  /** @default 15 minutes from now */
  readonly deadline?: number;
  /** @default deadline */
  readonly hardDeadline?: number;
}

/** One report, as a group of one (tests, benchmarks): its result, or what failed it. */
export async function runReport(deps: GroupDeps & PlannedReport, input: RunInput): Promise<RunResult> {
  const started = (deps.now ?? Date.now)();
  const deadline = input.deadline ?? started + DEFAULT_REMAINING_MS;
  const budget = budgetUntil(started, deadline, input.hardDeadline ?? deadline);
  const end = input.end;
  const { report, email, slack, msTeams, archive, archiveCopy, ...group } = deps;
  let outcome: ReportOutcome | undefined;
  await runReportGroup(
    group,
    [
      {
        report,
        ...(email ? { email } : {}),
        ...(slack ? { slack } : {}),
        ...(msTeams ? { msTeams } : {}),
        ...(archive ? { archive } : {}),
        ...(archiveCopy ? { archiveCopy } : {}),
      },
    ],
    end,
    budget,
    (o) => {
      outcome = o;
    },
  );
  if (outcome?.error) throw outcome.error;
  if (!outcome?.result) throw new Error('the report produced no result');
  return outcome.result;
}

/** A report's share of the read: the whole org, its listed people, or its teams' members once the Teams API answers. */
function shareOf(
  report: ReportDefinition,
  deps: GroupDeps,
  teamsDeadline: number,
  logger: Logger,
): { share: FanOutShare; settled: Promise<unknown> } {
  const scope = report.scope;
  if (!scope) return { share: WHOLE_ORG, settled: Promise.resolve() };
  const teams = scope.teams ?? [];
  const people = scope.people ?? [];
  const label = scopeLabel(teams, people);
  if (teams.length === 0) return { share: scopeShare(personScope(label, [], people)), settled: Promise.resolve() };
  const deferred = new DeferredShare();
  const directory = deps.teams;
  const settled = (async () => {
    try {
      if (!directory) throw new Error('no Datadog Teams directory is configured');
      const resolved = await directory.resolve(teams, { deadline: teamsDeadline });
      deferred.settle(
        scopeShare(
          personScope(
            label,
            resolved.flatMap((t) => t.members),
            people,
          ),
        ),
      );
    } catch (error) {
      const why = `the Datadog Teams API: ${toError(error).message}`;
      logger.error('report_scope_unresolved', { report: report.name, error: why });
      deferred.fail(new ScopeError(report.name, label, why, { cause: error }));
    }
  })();
  return { share: deferred, settled };
}

/** The share as it ended up: itself, or a deferred share once settled (undefined when it failed or is pending). */
function settledShare(share: FanOutShare): Share | undefined {
  return share instanceof DeferredShare ? share.share : share;
}

function settledError(share: FanOutShare | undefined): Error | undefined {
  if (!(share instanceof DeferredShare)) return undefined;
  return share.error ?? (share.pending ? new Error('its team members were still being read') : undefined);
}

function failed(plan: PlannedReport, error: Error, logger: Logger): ReportOutcome {
  logger.error('report_failed_alone', { report: plan.report.name, error: error.message });
  return { name: plan.report.name, error };
}

/** One report from its share of the read: analyse → render → archive → deliver. */
async function runOne(
  deps: GroupDeps,
  plan: PlannedReport,
  data: NonNullable<Awaited<ReturnType<typeof readShares>>[number]>,
  share: Share,
  window: { from: number; to: number },
  budget: Budget,
): Promise<ReportOutcome> {
  const { logger } = deps;
  const { report } = plan;
  const now = deps.now ?? Date.now;
  let started = now();
  const summary = await analyzeReport(data, share, report, {
    window,
    windowDays: report.windowDays,
    ...(plan.archive ? { archive: plan.archive } : {}),
    logger,
    call: { deadline: budget.readDeadline },
  });
  logger.info('summarize_done', {
    report: report.name,
    complete: summary.complete,
    totalToolCalls: summary.total_tool_calls,
    uniqueUsers: summary.unique_users,
    anomalies: summary.anomalies.length,
    changes: summary.changes.total,
    warnings: summary.warnings.length,
    durationMs: now() - started,
  });
  if (!summary.complete)
    logger.warn('report_incomplete', { report: report.name, reasons: summary.warnings.slice(0, 20) });

  started = now();
  const archiveCopy = plan.archiveCopy?.(summary.window.to);
  const rendered = renderReport(summary, {
    slackChannel: plan.slack?.channel ?? '',
    ...(archiveCopy ? { archive: archiveCopy } : {}),
  });
  logger.info('render_done', {
    report: report.name,
    htmlBytes: Buffer.byteLength(rendered.html, 'utf8'),
    textBytes: Buffer.byteLength(rendered.text, 'utf8'),
    slackBlocks: rendered.slack.post.blocks.length,
    slackThreadBlocks: rendered.slack.thread.reduce((n, m) => n + m.blocks.length, 0),
    teamsBytes: Buffer.byteLength(JSON.stringify(rendered.teams), 'utf8'),
    durationMs: now() - started,
  });

  // Archived with the membership it was read with, so a later run folds it in only for the same one.
  const week = plan.archive ? archivedWeek(report.org, data.window, window, share.fingerprint) : undefined;
  const channels = await deliverReport(deps, plan, report.key, rendered, week, {
    deadline: budget.deliveryDeadline,
    hardDeadline: budget.hardDeadline,
  });
  const failures = channels.flatMap((c) =>
    (c.outcome === 'failed' || c.outcome === 'unknown') && c.error ? [{ channel: c.channel, error: c.error }] : [],
  );
  logger.info('channels_done', {
    report: report.name,
    delivered: channels.filter((c) => c.outcome === 'delivered').length,
    skipped: channels.filter((c) => c.outcome === 'skipped_already_delivered').length,
    failed: failures.length,
  });
  const result: RunResult = { summary, report: rendered, channels };
  return failures.length > 0
    ? { name: report.name, result, error: new DeliveryError(failures, result, report.name) }
    : { name: report.name, result };
}
