/**
 * Fetches what one report needs: the report window and, concurrently, the baseline (the
 * `baselineDays` local days before the window, whose last `windowDays` are the previous window
 * of the week-over-week change), each aggregated into its mergeable partial. Ranges count local
 * days of the report's zone (core/windows.ts), so they tile across DST. With a usage source, the
 * MCP usage metric is read over the very same ranges at the same time.
 *
 * With a report archive, the baseline is first planned from it (history.ts): complete archived
 * weeks are folded in, and only the time they do not cover is fetched from Datadog; the archived
 * weeks' pace also sizes the fetches (fewer time slices for a quiet range).
 */
import type { ReportArchive } from './archive/report-archive';
import { BaselineAggregate, WindowAggregate } from './core/aggregate';
import { addArchivedWeek } from './core/archived-week';
import type { McpUsageData } from './core/types';
import { rangeBefore } from './core/windows';
import { type BaselinePlan, baselineSources, type HistoryLogger, planBaseline } from './history';
import type { AuditEventSource, FetchOptions, McpUsageRanges, McpUsageSource } from './ports';

export interface CollectParams {
  readonly window: { readonly from: Date; readonly to: Date };
  /** IANA zone whose local days the baseline and previous window count. */
  readonly timezone: string;
  /**
   * Length of the report window in local days: the previous window is that many days before it.
   * Absent (a CLI window of any length): the previous window is as long as the window.
   */
  readonly windowDays?: number;
  /** Local days of baseline before the window; 0 → no baseline. */
  readonly baselineDays: number;
  /** Epoch ms after which no request or wait may start (the Lambda's remaining time). */
  readonly deadline?: number;
  /** Where MCP tool and client usage comes from; absent: it is not read. */
  readonly usage?: McpUsageSource;
  /** Where past weeks are kept; the baseline comes from it where it can. */
  readonly archive?: ReportArchive;
  readonly logger?: HistoryLogger;
}

export interface CollectedReportData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: { readonly from: Date; readonly to: Date };
  /** Days of the baseline from the archive and from Datadog. */
  readonly baselineSources?: { readonly archive_days: number; readonly fetched_days: number };
  /** What the archive could not give, for the summary's warnings. */
  readonly archiveWarnings: readonly string[];
  /** What the MCP usage metric said over the same ranges, when a usage source was given. */
  readonly usage?: McpUsageData;
}

/** The usage source's read; it never throws by contract, and a broken one must not fail the report either. */
function readUsage(
  source: McpUsageSource | undefined,
  ranges: McpUsageRanges,
  deadline: number | undefined,
): Promise<McpUsageData | undefined> {
  if (!source) return Promise.resolve(undefined);
  return source.usage(ranges, deadline === undefined ? undefined : { deadline }).catch(
    (error: unknown): McpUsageData => ({
      window: { status: 'unavailable', reason: `the metric could not be read (${String(error).slice(0, 120)})` },
    }),
  );
}

export async function collectReportData(source: AuditEventSource, params: CollectParams): Promise<CollectedReportData> {
  const windowRange = { from: params.window.from.getTime(), to: params.window.to.getTime() };
  const range = rangeBefore(windowRange, params.timezone, params.baselineDays);
  const previous = rangeBefore(windowRange, params.timezone, params.windowDays);
  const wantBaseline = params.baselineDays > 0;
  const call = params.deadline === undefined ? {} : { deadline: params.deadline };
  const baselineRange = { from: new Date(range.from), to: new Date(range.to) };

  // The metric does not depend on the archive: start it first.
  const usagePromise = readUsage(
    params.usage,
    wantBaseline
      ? {
          window: params.window,
          previous: { from: new Date(previous.from), to: new Date(previous.to) },
          baseline: baselineRange,
        }
      : { window: params.window },
    params.deadline,
  );

  let plan: BaselinePlan | undefined;
  if (params.archive) {
    plan = await planBaseline(
      params.archive,
      { baseline: wantBaseline ? range : { from: windowRange.from, to: windowRange.from }, previous },
      { ...(params.logger ? { logger: params.logger } : {}), call },
    );
  }
  const hint = (r: { from: number; to: number }): FetchOptions => ({
    ...call,
    ...(plan?.eventRate !== undefined ? { expectedEvents: plan.eventRate * (r.to - r.from) } : {}),
  });

  const windowPromise = source.collect(
    params.window,
    () => new WindowAggregate({ range: windowRange }),
    hint(windowRange),
  );
  const gaps = wantBaseline ? (plan ? plan.fetch : [range]) : [];
  const fetched = gaps.map((gap) =>
    source.collect(
      { from: new Date(gap.from), to: new Date(gap.to) },
      () => new BaselineAggregate(previous, { range: gap }),
      hint(gap),
    ),
  );
  // Wait for every fetch before failing, so none keeps running in the background after an error.
  const [window, usage, ...parts] = await Promise.allSettled([windowPromise, usagePromise, ...fetched]);
  if (window?.status === 'rejected') throw window.reason;
  const usageData = usage?.status === 'fulfilled' && usage.value ? { usage: usage.value } : {};
  const windowAggregate = (window as PromiseFulfilledResult<WindowAggregate>).value;
  if (!wantBaseline) return { window: windowAggregate, archiveWarnings: plan?.warnings ?? [], ...usageData };

  const baseline = new BaselineAggregate(previous, { range });
  for (const part of parts) {
    if (part.status === 'rejected') throw part.reason;
    baseline.merge(part.value as BaselineAggregate);
  }
  for (const week of plan?.weeks ?? []) addArchivedWeek(baseline, week);
  return {
    window: windowAggregate,
    baseline,
    baselineRange,
    baselineSources: baselineSources(plan ?? { weeks: [], fetch: gaps, warnings: [] }),
    archiveWarnings: plan?.warnings ?? [],
    ...usageData,
  };
}
