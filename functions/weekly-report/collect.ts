/**
 * Fetches what one report needs from an AuditEventSource: the report window and, concurrently,
 * the baseline (the `baselineDays` local days before the window, whose last `windowDays` are the
 * previous window of the week-over-week change), each aggregated into its mergeable partial.
 * Ranges count local days of the report's zone (core/windows.ts), so they tile across DST. With
 * a usage source, the MCP usage metric is read over the very same ranges at the same time.
 */
import { BaselineAggregate, WindowAggregate } from './core/aggregate';
import type { McpUsageData } from './core/types';
import { rangeBefore } from './core/windows';
import type { AuditEventSource, McpUsageRanges, McpUsageSource } from './ports';

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
}

export interface CollectedReportData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: { readonly from: Date; readonly to: Date };
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
  const options = params.deadline === undefined ? undefined : { deadline: params.deadline };
  const windowRange = { from: params.window.from.getTime(), to: params.window.to.getTime() };
  const windowPromise = source.collect(params.window, () => new WindowAggregate({ range: windowRange }), options);
  if (!(params.baselineDays > 0)) {
    const usagePromise = readUsage(params.usage, { window: params.window }, params.deadline);
    const [window, usage] = await Promise.allSettled([windowPromise, usagePromise]);
    if (window.status === 'rejected') throw window.reason;
    return { window: window.value, ...(usage.status === 'fulfilled' && usage.value ? { usage: usage.value } : {}) };
  }

  const range = rangeBefore(windowRange, params.timezone, params.baselineDays);
  const previous = rangeBefore(windowRange, params.timezone, params.windowDays);
  const baselineRange = { from: new Date(range.from), to: new Date(range.to) };
  const baselinePromise = source.collect(baselineRange, () => new BaselineAggregate(previous, { range }), options);
  const usagePromise = readUsage(
    params.usage,
    {
      window: params.window,
      previous: { from: new Date(previous.from), to: new Date(previous.to) },
      baseline: baselineRange,
    },
    params.deadline,
  );
  // Wait for all before failing, so no fetch keeps running in the background after an error.
  const [window, baseline, usage] = await Promise.allSettled([windowPromise, baselinePromise, usagePromise]);
  if (window.status === 'rejected') throw window.reason;
  if (baseline.status === 'rejected') throw baseline.reason;
  return {
    window: window.value,
    baseline: baseline.value,
    baselineRange,
    ...(usage.status === 'fulfilled' && usage.value ? { usage: usage.value } : {}),
  };
}
