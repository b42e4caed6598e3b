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
 * weeks' pace also sizes the fetches (fewer time slices for a quiet range). A week is folded in
 * only when it was archived with the membership the report counts today (its share's
 * fingerprint); another week's time is fetched with today's members. A team whose members are
 * still being read (a DeferredShare) cannot be compared yet: its archived weeks are read at once,
 * the time they do not cover is fetched with the others, and once its members are known the weeks
 * of another membership are fetched as well, in a second round. The window read never waits for
 * a team, nor does any other report's baseline.
 *
 * Each dependency keeps its own time: the usage metric is read with its own deadline and never
 * holds up the audit read (a late metric is "unavailable", named), and a share whose people are
 * still being read (a DeferredShare) lets the read go on without it.
 *
 * What is read is the group's `activity`: every kind of AI activity in one query, or the seed's
 * MCP tool calls alone. An archived week read with another activity than this read's cannot stand
 * in for its time: that time is fetched instead.
 */
import type { ReportArchive } from '../archive/report-archive';
import { BaselineAggregate, WindowAggregate } from '../core/aggregate';
import { addArchivedWeek } from '../core/archived-week';
import { DeferredShare, FanOut, type FanOutShare } from '../core/fan-out';
import { type Share, WHOLE_ORG } from '../core/scope';
import type { TimeRange } from '../core/time';
import { type Activity, ANALYSIS_DEFAULTS, type McpUsageData } from '../core/types';
import { rangeBefore } from '../core/windows';
import type { AuditEventSource, FetchOptions, Logger, McpUsageRanges, McpUsageSource } from '../ports';
import {
  type ArchivedBaseline,
  type BaselinePlan,
  baselineSources,
  choosePlan,
  type Membership,
  readArchivedBaseline,
} from './history';

export interface ReadParams {
  readonly window: TimeRange;
  /** What AI activity every report of the read counts. @default ANALYSIS_DEFAULTS.activity ('all') */
  readonly activity?: Activity;
  /** IANA zone whose local days the baseline and previous window count. */
  readonly timezone: string;
  /**
   * Length of the report window in local days: the previous window is that many days before it.
   * Absent (a CLI window of any length): the previous window is as long as the window.
   */
  readonly windowDays?: number;
  /** Local days of baseline before the window; 0 → no baseline. */
  readonly baselineDays: number;
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
  /**
   * Settles once a deferred share is settled or failed: its baseline plan waits for it (which
   * archived weeks it may fold depends on its members). @default ReadParams.sharesSettled
   */
  readonly settled?: Promise<unknown>;
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
  /** Whom a scoped report counted (its share's fingerprint and size), for its summary; absent for the whole org. */
  readonly membership?: Membership;
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
 * The archived weeks read with `activity`, the others left out so that their time is fetched (a
 * week archived before every kind of AI activity was read lacks the agents' and MCP-driven
 * actions that are its people's). The same object when every week fits.
 */
export function archivedWithActivity(archived: ArchivedBaseline, activity: Activity): ArchivedBaseline {
  const weeks = archived.weeks.filter((w) => w.activity === activity);
  return weeks.length === archived.weeks.length ? archived : { ...archived, weeks };
}

/** Whom `share` counts, as its archived weeks are compared with. */
function membershipOf(share: Share): Membership {
  return {
    ...(share.fingerprint !== undefined ? { fingerprint: share.fingerprint } : {}),
    ...(share.label !== undefined ? { label: share.label } : {}),
    ...(share.people !== undefined ? { people: share.people } : {}),
  };
}

/** The share as known now: itself, a deferred one once settled; undefined while pending or failed. */
function knownShare(share: FanOutShare): Share | undefined {
  return share instanceof DeferredShare ? share.share : share;
}

/** A report's baseline plan: known at once, or (a team still being read) once its members are. */
interface PlanState {
  /** The time fetched in the first round, with every report. */
  readonly first: readonly TimeRange[];
  /**
   * The final plan: set at once, or once the share settles (its weeks of another membership are
   * then fetched in a second round); undefined for a share that failed.
   */
  plan?: BaselinePlan;
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
  const logger = params.logger;
  const planOptions = { ...(logger ? { logger } : {}), timezone: params.timezone };

  // The metric does not depend on the archive: start it first, on its own deadline.
  const usagePromise = readUsage(
    params.usage,
    wantBaseline ? { window: windowRange, previous, baseline: range } : { window: windowRange },
    params.usageDeadline ?? params.deadline,
  );

  // Each report's archived weeks, read before anyone's members are known (they do not depend on them).
  const archived: Array<ArchivedBaseline | undefined> = await Promise.all(
    requests.map((r) =>
      r.archive
        ? readArchivedBaseline(
            r.archive,
            { baseline: wantBaseline ? range : { from: windowRange.from, to: windowRange.from }, previous },
            { ...planOptions, call },
          ).then((weeks) => archivedWithActivity(weeks, activity))
        : Promise.resolve(undefined),
    ),
  );
  const states: PlanState[] = requests.map((r, i) => {
    const weeks = archived[i];
    if (!weeks) return { first: [range], plan: { weeks: [], fetch: [range], warnings: [] } };
    const share = knownShare(r.share);
    if (share) {
      const plan = choosePlan(weeks, membershipOf(share), planOptions);
      return { first: plan.fetch, plan };
    }
    // Members still being read: the time no archived week covers is needed whoever they are.
    return { first: choosePlan(weeks, 'any').fetch };
  });
  // The busiest archived pace among the reports (the org-wide one, when there is one) sizes the fetches.
  const rates = archived.flatMap((a) => {
    const p = a && choosePlan(a, 'any');
    return p?.eventRate !== undefined ? [p.eventRate] : [];
  });
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
  const fetchRound = (readers: readonly FanOutShare[], needs: ReadonlyArray<readonly TimeRange[]>) => {
    const pieces = fetchPieces(range, needs);
    const fans = pieces.map(
      (piece) =>
        new FanOut(
          piece.readers.map((i) => readers[i] as FanOutShare),
          () => new BaselineAggregate(previous, { range: piece.range, activity }),
        ),
    );
    return {
      pieces,
      fans,
      reads: pieces.map((piece, k) =>
        source.collect(piece.range, () => (fans[k] as FanOut<BaselineAggregate>).sink(), baselineHint(piece.range)),
      ),
    };
  };
  const first = fetchRound(
    shares,
    states.map((s) => (wantBaseline ? s.first : [])),
  );
  // The second round: the weeks each team (once its members are known) cannot take from the archive.
  const pending = states.flatMap((state, i) => (state.plan === undefined ? [i] : []));
  const secondRound = (async () => {
    if (pending.length === 0) return undefined;
    await Promise.all(pending.map((i) => requests[i]?.settled ?? params.sharesSettled));
    const settled: Share[] = [];
    const needs: TimeRange[][] = [];
    for (const i of pending) {
      const state = states[i] as PlanState;
      const share = knownShare(requests[i]?.share as FanOutShare);
      const weeks = archived[i];
      if (!share || !weeks) continue; // it failed: its report fails, naming the Teams API
      const plan = choosePlan(weeks, membershipOf(share), planOptions);
      state.plan = plan;
      settled[i] = share;
      needs[i] = wantBaseline ? [...plan.refetch] : [];
    }
    // A report with nothing to fetch again reads no piece: its place is never used.
    const readers = requests.map((_, i) => settled[i] ?? WHOLE_ORG);
    const round = fetchRound(
      readers,
      requests.map((_, i) => needs[i] ?? []),
    );
    return { pieces: round.pieces, fans: round.fans, reads: await Promise.allSettled(round.reads) };
  })();

  // Wait for every fetch before failing, so none keeps running in the background after an error.
  const [window, usage, second, ...parts] = await Promise.allSettled([
    windowPromise,
    usagePromise,
    secondRound,
    ...first.reads,
  ]);
  if (window?.status === 'rejected') throw window.reason;
  for (const part of parts) if (part.status === 'rejected') throw part.reason;
  if (second?.status === 'rejected') throw second.reason;
  const secondValue = second?.status === 'fulfilled' ? second.value : undefined;
  for (const part of secondValue?.reads ?? []) if (part.status === 'rejected') throw part.reason;
  const firstFans = first.fans;
  const secondFans = secondValue?.fans ?? [];
  // Calls held for shares whose people were still being read go to them now.
  await params.sharesSettled;
  await Promise.all(requests.map((r) => r.settled));
  for (const fan of [windowFan, ...firstFans]) fan.settle();
  const usageData = usage?.status === 'fulfilled' && usage.value ? { usage: usage.value } : {};

  return requests.map((request, i) => {
    const state = states[i] as PlanState;
    const plan = state.plan;
    const windowAggregate = windowFan.aggregates[i] as WindowAggregate;
    const share = knownShare(request.share);
    const membership = share?.fingerprint !== undefined ? { membership: membershipOf(share) } : {};
    const warnings = plan?.warnings ?? archived[i]?.warnings ?? [];
    if (!wantBaseline) return { window: windowAggregate, archiveWarnings: warnings, ...membership, ...usageData };
    const baseline = new BaselineAggregate(previous, { range, activity });
    const add = (pieces: ReadonlyArray<{ readers: number[] }>, fans: ReadonlyArray<FanOut<BaselineAggregate>>) =>
      pieces.forEach((piece, k) => {
        const at = piece.readers.indexOf(i);
        const part = at < 0 ? undefined : fans[k]?.aggregates[at];
        if (part) baseline.merge(part);
      });
    add(first.pieces, firstFans);
    if (secondValue) add(secondValue.pieces, secondFans);
    for (const week of plan?.weeks ?? []) addArchivedWeek(baseline, week);
    return {
      window: windowAggregate,
      baseline,
      baselineRange: range,
      baselineSources: baselineSources(plan ?? { weeks: [], fetch: [range], warnings: [] }),
      archiveWarnings: warnings,
      ...membership,
      ...usageData,
    };
  });
}
