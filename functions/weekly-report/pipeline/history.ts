/**
 * What a run takes from the report archive before it asks Datadog anything:
 * - the baseline plan: which archived weeks cover the baseline (and previous week) range, so only
 *   the time no complete archived week covers is fetched; a week that is incomplete, of a length
 *   that straddles the previous-week range, or unreadable (bad gzip, bad JSON, wrong checksum,
 *   unknown schema) is left out and its time fetched instead, with a warning for the unreadable;
 * - how busy the archived weeks were, so the fetch of a quiet range uses fewer time slices;
 * - the trend: up to 12 weekly points (calls, people, anomalies by severity) read from the
 *   archived summaries; a week with no archived report is a gap, never an estimate.
 * An archive that cannot be listed at all means: fetch everything, and say so.
 */
import type { ReportArchive } from '../archive/report-archive';
import type { ArchivedWeek } from '../core/archived-week';
import { mergeRanges } from '../core/gaps';
import { DAY_MS, type TimeRange } from '../core/time';
import type { Severity, Summary } from '../core/types';
import { addLocalDays } from '../core/windows';
import type { CallOptions, Logger } from '../ports';

export interface BaselinePlan {
  /** Complete archived weeks that together cover part of the baseline, without overlaps. */
  readonly weeks: readonly ArchivedWeek[];
  /** The parts of the baseline no chosen week covers: these are fetched from Datadog. */
  readonly fetch: readonly TimeRange[];
  /** For the summary: what could not be used, and why. */
  readonly warnings: readonly string[];
  /** Events per millisecond in the chosen weeks, when there are any (a hint for slicing fetches). */
  readonly eventRate?: number;
}

function subtract(range: TimeRange, covered: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let cursor = range.from;
  for (const c of mergeRanges(covered)) {
    if (c.to <= cursor || c.from >= range.to) continue;
    if (c.from > cursor) out.push({ from: cursor, to: Math.min(c.from, range.to) });
    cursor = Math.max(cursor, c.to);
  }
  if (cursor < range.to) out.push({ from: cursor, to: range.to });
  return out;
}

/** Plans the baseline from the archive: which weeks to use, which time to fetch. Never throws. */
export async function planBaseline(
  archive: ReportArchive,
  ranges: { readonly baseline: TimeRange; readonly previous: TimeRange },
  options: { readonly logger?: Logger; readonly call?: CallOptions } = {},
): Promise<BaselinePlan> {
  const { baseline, previous } = ranges;
  const everything: BaselinePlan = { weeks: [], fetch: [baseline], warnings: [] };
  let listed: Awaited<ReturnType<ReportArchive['list']>>;
  try {
    listed = await archive.list(options.call);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    options.logger?.warn('archive_unreadable', { location: archive.location, error: reason });
    return {
      ...everything,
      warnings: [`The report archive could not be read, so the whole baseline was fetched from Datadog (${reason}).`],
    };
  }
  // A week can only lie in the baseline if it ends inside it.
  const candidates = listed.filter((r) => {
    const to = Date.parse(r.windowTo);
    return to > baseline.from && to <= baseline.to && r.files.includes('aggregate.json.gz');
  });
  const warnings: string[] = [];
  const read = await Promise.all(
    candidates.map(async (r) => {
      try {
        return await archive.readWeek(r.windowTo, options.call);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        warnings.push(
          `The archived week ending ${r.windowTo} could not be used (${reason}); its time was fetched from Datadog instead.`,
        );
        options.logger?.warn('archive_week_unusable', { windowTo: r.windowTo, error: reason });
        return undefined;
      }
    }),
  );
  const usable = read
    .filter((w): w is ArchivedWeek => w !== undefined)
    .filter((w) => {
      const reason = !w.complete
        ? 'incomplete'
        : w.window.from < baseline.from || w.window.to > baseline.to
          ? 'outside the baseline'
          : w.window.from < previous.to &&
              w.window.to > previous.from &&
              !(w.window.from >= previous.from && w.window.to <= previous.to)
            ? 'straddles the previous week'
            : undefined;
      if (reason)
        options.logger?.info('archive_week_skipped', { windowTo: new Date(w.window.to).toISOString(), reason });
      return reason === undefined;
    })
    .sort((a, b) => a.window.from - b.window.from || b.window.to - a.window.to);
  const weeks: ArchivedWeek[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const w of usable) {
    if (w.window.from < end) continue; // overlaps a week already chosen
    weeks.push(w);
    end = w.window.to;
  }
  const covered = weeks.map((w) => w.window);
  const coveredMs = covered.reduce((n, r) => n + (r.to - r.from), 0);
  const events = weeks.reduce((n, w) => n + w.total, 0);
  return {
    weeks,
    fetch: subtract(baseline, covered),
    warnings,
    ...(coveredMs > 0 ? { eventRate: events / coveredMs } : {}),
  };
}

/** Days of the baseline taken from the archive and fetched from Datadog, to a tenth of a day. */
export function baselineSources(plan: BaselinePlan): { archive_days: number; fetched_days: number } {
  const days = (ranges: readonly TimeRange[]): number =>
    Math.round((ranges.reduce((n, r) => n + (r.to - r.from), 0) / DAY_MS) * 10) / 10;
  return { archive_days: days(plan.weeks.map((w) => w.window)), fetched_days: days(plan.fetch) };
}

/** One week of the trend: its figures, or a gap where no report was archived. */
export interface TrendPoint {
  readonly week_end: string;
  readonly calls: number | null;
  readonly people: number | null;
  readonly anomalies: Readonly<Record<Severity, number>> | null;
  readonly complete: boolean | null;
}

export const TREND_WEEKS = 12;

function pointOf(weekEnd: string, summary: Summary | undefined): TrendPoint {
  if (!summary) return { week_end: weekEnd, calls: null, people: null, anomalies: null, complete: null };
  const anomalies = { high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies ?? []) if (flag.severity in anomalies) anomalies[flag.severity] += 1;
  return {
    week_end: weekEnd,
    calls: summary.total_tool_calls,
    people: summary.unique_users,
    anomalies,
    complete: summary.complete,
  };
}

/**
 * The trend up to and including `current`: the weeks ending `windowDays` local days apart before
 * it, from the oldest archived one among the last TREND_WEEKS − 1; a week without an archived
 * report is a gap (null figures). Never throws: an unreadable archive gives this week alone.
 */
export async function readTrend(
  archive: ReportArchive,
  current: Summary,
  windowDays: number,
  options: { readonly logger?: Logger; readonly call?: CallOptions } = {},
): Promise<TrendPoint[]> {
  const end = Date.parse(current.window.to);
  const weekEnds = Array.from({ length: TREND_WEEKS - 1 }, (_, i) =>
    new Date(addLocalDays(end, -(TREND_WEEKS - 1 - i) * windowDays, current.timezone)).toISOString(),
  );
  let archived: Set<string>;
  try {
    archived = new Set(
      (await archive.list(options.call)).filter((r) => r.files.includes('summary.json')).map((r) => r.windowTo),
    );
  } catch (error) {
    options.logger?.warn('archive_unreadable', { error: error instanceof Error ? error.message : String(error) });
    return [pointOf(current.window.to, current)];
  }
  const first = weekEnds.findIndex((w) => archived.has(w));
  const earlier = first < 0 ? [] : weekEnds.slice(first);
  const points = await Promise.all(
    earlier.map(async (weekEnd) =>
      pointOf(
        weekEnd,
        archived.has(weekEnd) ? await archive.readSummary(weekEnd, options.call).catch(() => undefined) : undefined,
      ),
    ),
  );
  return [...points, pointOf(current.window.to, current)];
}

/**
 * The summary with what the archive adds: where the baseline came from, what the archive could
 * not give (warnings), and, with an archive, the trend. Never throws.
 */
export async function withHistory(
  summary: Summary,
  data: {
    readonly baselineSources?: { readonly archive_days: number; readonly fetched_days: number };
    readonly archiveWarnings: readonly string[];
  },
  archive: ReportArchive | undefined,
  windowDays: number,
  options: { readonly logger?: Logger; readonly call?: CallOptions } = {},
): Promise<Summary> {
  let out = summary;
  if (out.baseline && data.baselineSources)
    out = { ...out, baseline: { ...out.baseline, sources: data.baselineSources } };
  if (data.archiveWarnings.length > 0) out = { ...out, warnings: [...out.warnings, ...data.archiveWarnings] };
  if (archive) out = { ...out, trend: await readTrend(archive, out, windowDays, options) };
  return out;
}
