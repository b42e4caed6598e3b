/**
 * Fetches what one report needs from an AuditEventSource: the report window and, concurrently,
 * the baseline (the `baselineDays` before the window), each aggregated into its mergeable partial.
 */
import { BaselineAggregate, WindowAggregate } from './core/aggregate';
import type { AuditEventSource } from './ports';

const DAY_MS = 86_400_000;

export interface CollectParams {
  readonly window: { readonly from: Date; readonly to: Date };
  /** Length of the report window in days; the baseline's last `windowDays` are the week-over-week comparison. */
  readonly windowDays: number;
  /** Days of baseline before the window; 0 → no baseline. */
  readonly baselineDays: number;
  /** Epoch ms after which no request or wait may start (the Lambda's remaining time). */
  readonly deadline?: number;
}

export interface CollectedReportData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: { readonly from: Date; readonly to: Date };
}

export async function collectReportData(source: AuditEventSource, params: CollectParams): Promise<CollectedReportData> {
  const options = params.deadline === undefined ? undefined : { deadline: params.deadline };
  const windowFrom = params.window.from.getTime();
  const windowRange = { from: windowFrom, to: params.window.to.getTime() };
  const windowPromise = source.collect(params.window, () => new WindowAggregate({ range: windowRange }), options);
  if (!(params.baselineDays > 0)) return { window: await windowPromise };

  const baselineRange = { from: new Date(windowFrom - params.baselineDays * DAY_MS), to: new Date(windowFrom) };
  const previous = { from: windowFrom - params.windowDays * DAY_MS, to: windowFrom };
  const range = { from: baselineRange.from.getTime(), to: windowFrom };
  const baselinePromise = source.collect(baselineRange, () => new BaselineAggregate(previous, { range }), options);
  // Wait for both before failing, so no fetch keeps running in the background after an error.
  const [window, baseline] = await Promise.allSettled([windowPromise, baselinePromise]);
  if (window.status === 'rejected') throw window.reason;
  if (baseline.status === 'rejected') throw baseline.reason;
  return { window: window.value, baseline: baseline.value, baselineRange };
}
