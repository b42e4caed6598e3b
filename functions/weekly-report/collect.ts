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
import { FanOut } from './core/fan-out';
import type { TimeRange } from './core/time';
import type { CallRecord, McpUsageData } from './core/types';
import { rangeBefore } from './core/windows';
import { type BaselinePlan, baselineSources, planBaseline } from './history';
import type { AuditEventSource, FetchOptions, Logger, McpUsageRanges, McpUsageSource } from './ports';

export interface CollectParams {
  readonly window: TimeRange;
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
  readonly logger?: Logger;
}

export interface CollectedReportData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: TimeRange;
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

/** One report of a fetch group: where its history is, and which calls are its own. */
export interface ReportConsumer {
  /** Its archive (its own prefix): its baseline comes from its archived weeks where it can. */
  readonly archive?: ReportArchive;
  /** Which calls it takes; absent: every call (an org-wide report). */
  readonly accepts?: (record: CallRecord) => boolean;
}

/**
 * Splits `range` where any consumer's fetch ranges start or end, and lists, for each piece, the
 * consumers that need it fetched; neighbouring pieces with the same consumers are joined.
 */
export function fetchPieces(
  range: TimeRange,
  needs: ReadonlyArray<readonly TimeRange[]>,
): Array<{ range: TimeRange; consumers: number[] }> {
  const cuts = new Set<number>([range.from, range.to]);
  for (const list of needs)
    for (const r of list) for (const t of [r.from, r.to]) if (t > range.from && t < range.to) cuts.add(t);
  const points = [...cuts].sort((a, b) => a - b);
  const pieces: Array<{ range: TimeRange; consumers: number[] }> = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const piece = { from: points[k] as number, to: points[k + 1] as number };
    const consumers = needs.flatMap((list, i) =>
      list.some((r) => r.from <= piece.from && r.to >= piece.to) ? [i] : [],
    );
    if (consumers.length === 0) continue;
    const last = pieces[pieces.length - 1];
    if (last && last.range.to === piece.from && last.consumers.join() === consumers.join())
      last.range = { from: last.range.from, to: piece.to };
    else pieces.push({ range: piece, consumers });
  }
  return pieces;
}

/**
 * What every report of one fetch group needs, from one fetch of the window and one of each piece
 * of baseline some report still needs (its archive covering the rest): events go to each
 * report's aggregates through a FanOut, so a team's report counts only its people's calls.
 * Returns one CollectedReportData per consumer, in order.
 */
export async function collectGroupData(
  source: AuditEventSource,
  params: CollectParams & { readonly consumers: readonly ReportConsumer[] },
): Promise<CollectedReportData[]> {
  const { consumers } = params;
  const windowRange = params.window;
  const range = rangeBefore(windowRange, params.timezone, params.baselineDays);
  const previous = rangeBefore(windowRange, params.timezone, params.windowDays);
  const wantBaseline = params.baselineDays > 0;
  const call = params.deadline === undefined ? {} : { deadline: params.deadline };

  // The metric does not depend on the archive: start it first.
  const usagePromise = readUsage(
    params.usage,
    wantBaseline
      ? {
          window: params.window,
          previous,
          baseline: range,
        }
      : { window: params.window },
    params.deadline,
  );

  const plans: Array<BaselinePlan | undefined> = await Promise.all(
    consumers.map((c) =>
      c.archive
        ? planBaseline(
            c.archive,
            { baseline: wantBaseline ? range : { from: windowRange.from, to: windowRange.from }, previous },
            { ...(params.logger ? { logger: params.logger } : {}), call },
          )
        : Promise.resolve(undefined),
    ),
  );
  // The busiest archived pace among the reports (the org-wide one, when there is one) sizes the fetches.
  const rates = plans.flatMap((p) => (p?.eventRate !== undefined ? [p.eventRate] : []));
  const eventRate = rates.length > 0 ? Math.max(...rates) : undefined;
  const hint = (r: { from: number; to: number }): FetchOptions => ({
    ...call,
    ...(eventRate !== undefined ? { expectedEvents: eventRate * (r.to - r.from) } : {}),
  });
  // With no archived pace, a baseline piece may well be empty (a new org, or MCP newly adopted):
  // the source asks once over the piece before slicing it. The window is the report's subject: sliced at once.
  const baselineHint = (r: { from: number; to: number }): FetchOptions =>
    eventRate !== undefined ? hint(r) : { ...call, probeFirst: true };

  const windowPromise = source.collect(
    params.window,
    () =>
      new FanOut(
        consumers.map((c) => ({
          aggregate: new WindowAggregate({ range: windowRange }),
          ...(c.accepts ? { accepts: c.accepts } : {}),
        })),
      ),
    hint(windowRange),
  );
  const needs = consumers.map((_, i) => (wantBaseline ? (plans[i]?.fetch ?? [range]) : []));
  const pieces = fetchPieces(range, needs);
  const fetched = pieces.map((piece) =>
    source.collect(
      piece.range,
      () =>
        new FanOut(
          piece.consumers.map((i) => ({
            aggregate: new BaselineAggregate(previous, { range: piece.range }),
            ...(consumers[i]?.accepts ? { accepts: consumers[i]?.accepts } : {}),
          })),
        ),
      baselineHint(piece.range),
    ),
  );
  // Wait for every fetch before failing, so none keeps running in the background after an error.
  const [window, usage, ...parts] = await Promise.allSettled([windowPromise, usagePromise, ...fetched]);
  if (window?.status === 'rejected') throw window.reason;
  for (const part of parts) if (part.status === 'rejected') throw part.reason;
  const windows = (window as PromiseFulfilledResult<FanOut<WindowAggregate>>).value.parts;
  const usageData = usage?.status === 'fulfilled' && usage.value ? { usage: usage.value } : {};

  return consumers.map((_, i) => {
    const plan = plans[i];
    const windowAggregate = windows[i]?.aggregate as WindowAggregate;
    if (!wantBaseline) return { window: windowAggregate, archiveWarnings: plan?.warnings ?? [], ...usageData };
    const baseline = new BaselineAggregate(previous, { range });
    pieces.forEach((piece, k) => {
      const at = piece.consumers.indexOf(i);
      if (at < 0) return;
      const fanOut = (parts[k] as PromiseFulfilledResult<FanOut<BaselineAggregate>>).value;
      const part = fanOut.parts[at]?.aggregate;
      if (part) baseline.merge(part);
    });
    for (const week of plan?.weeks ?? []) addArchivedWeek(baseline, week);
    return {
      window: windowAggregate,
      baseline,
      baselineRange: range,
      baselineSources: baselineSources(plan ?? { weeks: [], fetch: [range], warnings: [] }),
      archiveWarnings: plan?.warnings ?? [],
      ...usageData,
    };
  });
}

/** What one report needs (the whole org's calls, or `accepts`' only), from its own fetch. */
export async function collectReportData(source: AuditEventSource, params: CollectParams): Promise<CollectedReportData> {
  const [data] = await collectGroupData(source, {
    ...params,
    consumers: [{ ...(params.archive ? { archive: params.archive } : {}) }],
  });
  return data as CollectedReportData;
}
