/**
 * One invocation of the function: which reports it runs (the event's `reports`, or all), the
 * window they end at (the schedule's `scheduledTime`, so a retry reports the same week), its time
 * budget (run/budget.ts), and each fetch group run in turn against its org (one org's rate limit
 * at a time). Every report's outcome is published as metrics and handed on as soon as it is done;
 * the invocation returns a small result per report and, when any report failed, fails at the end
 * naming each one, so the retry policy, the DLQ and the alarm see it while every other report of
 * the run was delivered.
 */
import { fetchGroupKey, type ReportDefinition } from '../config/report-definitions';
import { ReportError, ReportUnavailableError, toError } from '../errors';
import type { DeliveryLedger, Logger } from '../ports';
import { redactError } from '../redact';
import { type Budget, invocationBudget } from './budget';
import { type MetricsSink, publishRunMetrics, publishUnavailable } from './metrics';
import { type GroupDeps, type PlannedReport, type ReportOutcome, runReportGroup } from './report-group';
import { type ChannelName, type ReportResult, type RunResult, reportResult } from './results';

/**
 * The schedule's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>", "reports": [...]}`;
 * no `scheduledTime` means "now", no `reports` every report. An operator adds `"resend":
 * ["email"]` (or `"slack"`, `"teams"`; with the run's `scheduledTime`) to send a channel whose outcome is unknown (an
 * answer was lost) again on purpose (docs/delivery.md).
 */
export interface ReportEvent {
  readonly scheduledTime?: string;
  readonly reports?: readonly string[];
  /** Channels to send again although the ledger says their outcome is unknown: `email`, `slack`, `slack_thread`, `teams`. */
  readonly resend?: readonly string[];
}

/** The channels `resend` may name. */
const RESENDABLE: readonly ChannelName[] = ['email', 'slack', 'slack_thread', 'teams'];

/** What an invocation returns: one small result per report; with one report, its fields also at the top level. */
export type InvocationResult = Partial<ReportResult> & { readonly reports: readonly ReportResult[] };

/** What a group of reports of one org reads with and where each goes (adapters; built by the handler). */
export interface ReportWiring {
  wire(
    reports: readonly ReportDefinition[],
  ): Promise<{ readonly readers: Pick<GroupDeps, 'source' | 'usage' | 'teams'>; readonly plans: PlannedReport[] }>;
}

export interface InvocationDeps {
  readonly reports: readonly ReportDefinition[];
  readonly wiring: ReportWiring;
  readonly ledger: DeliveryLedger;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Time kept free before the Lambda timeout. */
  readonly safetyMarginMs?: number;
  /** Called with each report's full run once it is done (`npm start` writes `out/` from it). */
  readonly onResult?: (result: RunResult, report: string) => void | Promise<void>;
}

/** Runs the reports `event` names within `remainingMs`. Throws when any report failed, after all were run. */
export async function runInvocation(
  deps: InvocationDeps,
  event: ReportEvent | null | undefined,
  remainingMs: number,
): Promise<InvocationResult> {
  const { logger } = deps;
  const started = deps.now();
  try {
    const end = windowEnd(event, deps.now);
    const resend = resendChannels(event);
    const groups = fetchGroups(chosenReports(deps.reports, event));
    const budget = invocationBudget(started, remainingMs, {
      ...(deps.safetyMarginMs !== undefined ? { safetyMarginMs: deps.safetyMarginMs } : {}),
    });
    logger.info('report_start', {
      end: new Date(end).toISOString(),
      scheduled: typeof event?.scheduledTime === 'string',
      reports: groups.map((g) => g.map((r) => r.name)),
      remainingMs: Math.floor(remainingMs),
      ...(resend.size > 0 ? { resend: [...resend] } : {}),
    });

    const results: ReportResult[] = [];
    const failures: Error[] = [];
    for (const group of groups) {
      await runGroup(deps, group, end, budget, results, failures, resend);
    }
    if (failures.length > 0) throw failures.length === 1 ? failures[0] : combined(failures);
    logger.info('report_succeeded', { durationMs: deps.now() - started, reports: results.length });
    return results.length === 1 ? { ...(results[0] as ReportResult), reports: results } : { reports: results };
  } catch (error) {
    logger.error('report_failed', { durationMs: deps.now() - started, error: toError(error).message });
    // The error leaves the job (the retry policy, the DLQ record, the alarm's context): no secret in what it says.
    throw redactError(toError(error));
  }
}

/** One fetch group: its org's readers, then its reports; what fails goes to `failures`, named. */
async function runGroup(
  deps: InvocationDeps,
  group: readonly ReportDefinition[],
  end: number,
  budget: Budget,
  results: ReportResult[],
  failures: Error[],
  resend: ReadonlySet<ChannelName>,
): Promise<void> {
  const names = group.map((r) => r.name);
  try {
    const { readers, plans } = await deps.wiring.wire(group);
    const groupDeps: GroupDeps = {
      ...readers,
      ledger: deps.ledger,
      logger: deps.logger,
      ...(resend.size > 0 ? { resend } : {}),
      now: deps.now,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    };
    await runReportGroup(groupDeps, plans, end, budget, async (outcome: ReportOutcome) => {
      if (outcome.result) {
        publishRunMetrics(deps.metrics, {
          eventsRead: outcome.result.summary.total_tool_calls,
          baselineEvents: outcome.result.summary.baseline?.events ?? null,
          anomalies: outcome.result.summary.anomalies.length,
          complete: outcome.result.summary.complete,
          channels: outcome.result.channels,
        });
        results.push(reportResult(outcome.name, outcome.result));
        if (!outcome.error) await deps.onResult?.(outcome.result, outcome.name);
      }
      if (outcome.error) failures.push(named(outcome.name, outcome.error));
    });
  } catch (error) {
    const reason = toError(error);
    if (reason instanceof ReportUnavailableError) publishUnavailable(deps.metrics);
    deps.logger.error('report_group_failed', { reports: names, error: reason.message });
    failures.push(reason);
  }
}

/** The report's name before the message, unless the message names it already (the error's class is kept then). */
function named(report: string, error: Error): Error {
  return error.message.includes(report)
    ? error
    : new ReportError(`Report ${report}: ${error.message}`, { cause: error });
}

/** Several reports failed: one error naming each, with every cause kept. */
function combined(failures: readonly Error[]): ReportError {
  return new ReportError(`${failures.length} reports failed: ${failures.map((f) => f.message).join(' | ')}`, {
    cause: new AggregateError(failures),
  });
}

/** The reports an event names (all when it names none). */
function chosenReports(
  reports: readonly ReportDefinition[],
  event: ReportEvent | null | undefined,
): readonly ReportDefinition[] {
  const names = event?.reports;
  if (names === undefined || names === null) return reports;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new ReportError('event.reports must be a list of report names');
  }
  const unknown = names.filter((n) => !reports.some((r) => r.name === n));
  if (unknown.length > 0) {
    throw new ReportError(
      `event.reports names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which this deployment does not define (it has ${reports.map((r) => r.name).join(', ')})`,
    );
  }
  return reports.filter((r) => names.includes(r.name));
}

/**
 * The channels the event asks to send again although their outcome is unknown. Only with a
 * `scheduledTime`: without one the window ends now, a week that was never sent.
 */
function resendChannels(event: ReportEvent | null | undefined): ReadonlySet<ChannelName> {
  const raw = event?.resend;
  if (raw === undefined || raw === null) return new Set();
  const usage = `event.resend must be a list of channels to send again although their outcome is unknown (${RESENDABLE.map((c) => JSON.stringify(c)).join(', ')})`;
  if (!Array.isArray(raw)) throw new ReportError(`${usage}; got ${JSON.stringify(raw).slice(0, 60)}`);
  const wrong = raw.filter((c) => !RESENDABLE.includes(c as ChannelName));
  if (wrong.length > 0) {
    throw new ReportError(`${usage}; got ${wrong.map((c) => JSON.stringify(c).slice(0, 40)).join(', ')}`);
  }
  if (raw.length > 0 && (event?.scheduledTime === undefined || event.scheduledTime === null)) {
    throw new ReportError(
      'event.resend needs the scheduledTime of the run whose channel it sends again (without one the window ends now, a week never sent)',
    );
  }
  return new Set(raw as ChannelName[]);
}

/** Reports grouped by shared read (fetchGroupKey), in the order of their first report. */
function fetchGroups(reports: readonly ReportDefinition[]): ReportDefinition[][] {
  const groups = new Map<string, ReportDefinition[]>();
  for (const report of reports) {
    const key = fetchGroupKey(report);
    groups.set(key, [...(groups.get(key) ?? []), report]);
  }
  return [...groups.values()];
}

/** When the run fires (epoch ms): the schedule's `scheduledTime`, or now when the event carries none. */
export function windowEnd(event: ReportEvent | null | undefined, now: () => number = Date.now): number {
  const raw = event?.scheduledTime;
  if (raw === undefined || raw === null) return now();
  const time = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new ReportError(
      `event.scheduledTime must be an ISO 8601 time such as 2026-11-23T09:00:00Z (got ${JSON.stringify(raw).slice(0, 60)})`,
    );
  }
  return time;
}
