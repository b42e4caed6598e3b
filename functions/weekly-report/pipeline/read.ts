/**
 * The shared read: what every report of one fetch group needs, from one fetch of the report
 * window and one of each piece of baseline some report still needs (its archive covering the
 * rest), with the MCP usage metric read over the same ranges at the same time. Events go to each
 * report's aggregates through a FanOut (core/fan-out.ts), each report taking its share: the whole
 * org, a team's people, one person. The baseline is the `baselineDays` local days before the
 * window, whose last `windowDays` are the previous window of the week-over-week change; ranges
 * count local days of the report's zone (core/windows.ts), so they tile across DST.
 *
 * With a report archive, each report's baseline is first planned from it (history.ts): complete
 * archived weeks are folded in, and only the time they do not cover is fetched; the archived
 * weeks' pace also sizes the fetches (fewer time slices for a quiet range).
 *
 * Each dependency keeps its own time: the usage metric is read with its own deadline and never
 * holds up the audit read (a late metric is "unavailable", named), and a share whose people are
 * still being read (a DeferredShare) lets the read go on without it.
 *
 * What is read is the group's `activity` (core/activity.ts): every kind of AI activity in one
 * query, or the seed's MCP tool calls alone. An archived week read with another activity than
 * this read's cannot stand in for its time: that time is fetched instead.
 */
import type { ReportArchive } from '../archive/report-archive';
import { BaselineAggregate, WindowAggregate } from '../core/aggregate';
import { addArchivedWeek } from '../core/archived-week';
import { FanOut, type FanOutShare } from '../core/fan-out';
import { mergeRanges } from '../core/gaps';
import type { TimeRange } from '../core/time';
import { type Activity, ANALYSIS_DEFAULTS, type McpUsageData } from '../core/types';
import { rangeBefore } from '../core/windows';
import type { AuditEventSource, FetchOptions, Logger, McpUsageRanges, McpUsageSource } from '../ports';
import { type BaselinePlan, baselineSources, planBaseline } from './history';

export interface ReadParams {
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
  /** What AI activity every report of the read counts. @default ANALYSIS_DEFAULTS.activity ('all') */
  readonly activity?: Activity;
  /** Epoch ms after which no audit request or wait may start (the read's share of the invocation). */
  readonly deadline?: number;
  /** Where MCP tool and client usage comes from; absent: it is not read. */
  readonly usage?: McpUsageSource;
  /** The usage metric's own deadline (never later than `deadline`). @default deadline */
  readonly usageDeadline?: number;
  /** Settles when every deferred share is settled or failed; the read waits for it before handing out the calls it held. */
  readonly sharesSettled?: Promise<unknown>;
  readonly logger?: Logger;
}

/** One report of the read: its share of the calls and its archive (its baseline comes from it where it can). */
export interface ShareRequest {
  readonly share: FanOutShare;
  readonly archive?: ReportArchive;
}

/** What the read gives one report. */
export interface ShareData {
  readonly window: WindowAggregate;
  readonly baseline?: BaselineAggregate;
  readonly baselineRange?: TimeRange;
  /** Days of the baseline from the archive and from Datadog. */
  readonly baselineSources?: { readonly archive_days: number; readonly fetched_days: number };
  /** What the archive could not give, for the summary's warnings. */
  readonly archiveWarnings: readonly string[];
  /** What the MCP usage metric said over the same ranges (the whole org's: each report narrows it to its share). */
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

/**
 * The plan with only the archived weeks read with `activity`: another's time is fetched instead
 * (a week archived before every kind of AI activity was read lacks the agents' and MCP-driven
 * actions that are its people's). Unchanged when every week fits.
 */
export function planFor(plan: BaselinePlan, activity: Activity): BaselinePlan {
  const others = plan.weeks.filter((w) => w.activity !== activity);
  if (others.length === 0) return plan;
  const weeks = plan.weeks.filter((w) => w.activity === activity);
  const fetch = mergeRanges([...plan.fetch, ...others.map((w) => ({ from: w.window.from, to: w.window.to }))]);
  const covered = weeks.reduce((n, w) => n + (w.window.to - w.window.from), 0);
  const events = weeks.reduce((n, w) => n + (w.ai?.total ?? w.total), 0);
  return {
    weeks,
    fetch,
    warnings: plan.warnings,
    ...(covered > 0 ? { eventRate: events / covered } : {}),
  };
}

/**
 * Splits `range` where any report's fetch ranges start or end, and lists, for each piece, the
 * reports that need it fetched; neighbouring pieces with the same reports are joined.
 */
function fetchPieces(
  range: TimeRange,
  needs: ReadonlyArray<readonly TimeRange[]>,
): Array<{ range: TimeRange; readers: number[] }> {
  const cuts = new Set<number>([range.from, range.to]);
  for (const list of needs)
    for (const r of list) for (const t of [r.from, r.to]) if (t > range.from && t < range.to) cuts.add(t);
  const points = [...cuts].sort((a, b) => a - b);
  const pieces: Array<{ range: TimeRange; readers: number[] }> = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const piece = { from: points[k] as number, to: points[k + 1] as number };
    const readers = needs.flatMap((list, i) => (list.some((r) => r.from <= piece.from && r.to >= piece.to) ? [i] : []));
    if (readers.length === 0) continue;
    const last = pieces[pieces.length - 1];
    if (last && last.range.to === piece.from && last.readers.join() === readers.join())
      last.range = { from: last.range.from, to: piece.to };
    else pieces.push({ range: piece, readers });
  }
  return pieces;
}

/**
 * Reads the window and the baseline pieces once for every report of `requests` and returns one
 * ShareData per request, in order. Throws only what the audit source throws (a refused key).
 */
export async function readShares(
  source: AuditEventSource,
  params: ReadParams,
  requests: readonly ShareRequest[],
): Promise<ShareData[]> {
  const windowRange = params.window;
  const range = rangeBefore(windowRange, params.timezone, params.baselineDays);
  const previous = rangeBefore(windowRange, params.timezone, params.windowDays);
  const wantBaseline = params.baselineDays > 0;
  const activity = params.activity ?? ANALYSIS_DEFAULTS.activity;
  const call = params.deadline === undefined ? {} : { deadline: params.deadline };

  // The metric does not depend on the archive: start it first, on its own deadline.
  const usagePromise = readUsage(
    params.usage,
    wantBaseline ? { window: windowRange, previous, baseline: range } : { window: windowRange },
    params.usageDeadline ?? params.deadline,
  );

  const plans: Array<BaselinePlan | undefined> = await Promise.all(
    requests.map((r) =>
      r.archive
        ? planBaseline(
            r.archive,
            { baseline: wantBaseline ? range : { from: windowRange.from, to: windowRange.from }, previous },
            { ...(params.logger ? { logger: params.logger } : {}), call },
          ).then((plan) => planFor(plan, activity))
        : Promise.resolve(undefined),
    ),
  );
  // The busiest archived pace among the reports (the org-wide one, when there is one) sizes the fetches.
  const rates = plans.flatMap((p) => (p?.eventRate !== undefined ? [p.eventRate] : []));
  const eventRate = rates.length > 0 ? Math.max(...rates) : undefined;
  const hint = (r: TimeRange): FetchOptions => ({
    ...call,
    activity,
    ...(eventRate !== undefined ? { expectedEvents: eventRate * (r.to - r.from) } : {}),
  });
  // With no archived pace, a baseline piece may well be empty (a new org, or MCP newly adopted):
  // the source asks once over the piece before slicing it. The window is the report's subject: sliced at once.
  const baselineHint = (r: TimeRange): FetchOptions =>
    eventRate !== undefined ? hint(r) : { ...call, activity, probeFirst: true };

  const shares = requests.map((r) => r.share);
  // One fan-out per range, fed by every slice (FanOut.sink): one aggregate per report and range.
  const windowFan = new FanOut(shares, () => new WindowAggregate({ range: windowRange, activity }));
  const windowPromise = source.collect(windowRange, () => windowFan.sink(), hint(windowRange));
  const needs = requests.map((_, i) => (wantBaseline ? (plans[i]?.fetch ?? [range]) : []));
  const pieces = fetchPieces(range, needs);
  const pieceFans = pieces.map(
    (piece) =>
      new FanOut(
        piece.readers.map((i) => shares[i] as FanOutShare),
        () => new BaselineAggregate(previous, { range: piece.range, activity }),
      ),
  );
  const fetched = pieces.map((piece, k) =>
    source.collect(piece.range, () => (pieceFans[k] as FanOut<BaselineAggregate>).sink(), baselineHint(piece.range)),
  );
  // Wait for every fetch before failing, so none keeps running in the background after an error.
  const [window, usage, ...parts] = await Promise.allSettled([windowPromise, usagePromise, ...fetched]);
  if (window?.status === 'rejected') throw window.reason;
  for (const part of parts) if (part.status === 'rejected') throw part.reason;
  // Calls held for shares whose people were still being read go to them now.
  await params.sharesSettled;
  for (const fan of [windowFan, ...pieceFans]) fan.settle();
  const usageData = usage?.status === 'fulfilled' && usage.value ? { usage: usage.value } : {};

  return requests.map((_, i) => {
    const plan = plans[i];
    const windowAggregate = windowFan.aggregates[i] as WindowAggregate;
    if (!wantBaseline) return { window: windowAggregate, archiveWarnings: plan?.warnings ?? [], ...usageData };
    const baseline = new BaselineAggregate(previous, { range, activity });
    pieces.forEach((piece, k) => {
      const at = piece.readers.indexOf(i);
      const part = at < 0 ? undefined : pieceFans[k]?.aggregates[at];
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
