/**
 * What a report could not see. A source that fails to read part of a time range records a gap
 * (its cause and the range) instead of a free-text reason per time slice, so the report can say
 * it once per cause with the time it lost ("Datadog unavailable (HTTP 503): lost Mon 16 Nov
 * 09:00 to Tue 17 Nov 21:00"), and so the run can tell a week it could not read at all (no
 * report: fail visibly) from a quiet week (a report of zero calls). Pure.
 */
import { compareCodePoints } from './order';
import { localMinute } from './time';

/**
 * `lost`: nothing of the range was read (the fetch gave up); `partial`: pages were read but
 * Datadog said they may miss events (query timeout, warnings), or the input was damaged.
 */
export type GapKind = 'lost' | 'partial';

export interface DataGap {
  /** The cause, worded the same for every slice it hits so gaps group by it: "Datadog unavailable (HTTP 503)". */
  readonly cause: string;
  readonly kind: GapKind;
  /** Epoch ms `[from, to)` affected; absent when the gap is not a time range (a damaged input file). */
  readonly from?: number;
  readonly to?: number;
}

/** A gap of the summary JSON: one per cause and kind, its ranges merged and sorted. */
export interface SummaryGap {
  readonly cause: string;
  readonly kind: GapKind;
  readonly ranges: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

/** A free-text reason (file inputs, older callers) as a gap without a range. */
export function toGap(reason: string | DataGap): DataGap {
  return typeof reason === 'string' ? { cause: reason, kind: 'partial' } : reason;
}

function sameGap(a: DataGap, b: DataGap): boolean {
  return a.cause === b.cause && a.kind === b.kind && a.from === b.from && a.to === b.to;
}

/** Adds `gaps` to `into`, skipping exact repeats (one cause can hit one range from two pages). */
export function addGaps(into: DataGap[], gaps: Iterable<DataGap>): void {
  for (const gap of gaps) if (!into.some((g) => sameGap(g, gap))) into.push(gap);
}

type Range = { from: number; to: number };

/** Sorted, overlapping or touching ranges joined. */
export function mergeRanges(ranges: Iterable<Range>): Range[] {
  const sorted = [...ranges].filter((r) => r.to > r.from).sort((a, b) => a.from - b.from || a.to - b.to);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

function hasRange(gap: DataGap): gap is DataGap & { from: number; to: number } {
  return Number.isFinite(gap.from) && Number.isFinite(gap.to);
}

/**
 * True when the `lost` gaps cover all of `[from, to)`: not one page of the range could be read.
 * An empty range is never unread.
 */
export function isUnread(gaps: readonly DataGap[], from: number, to: number): boolean {
  if (!(to > from)) return false;
  const lost = mergeRanges(gaps.filter((g) => g.kind === 'lost' && hasRange(g)) as Range[]);
  return lost.some((r) => r.from <= from && r.to >= to);
}

/** Gaps grouped by cause and kind (lost first, then by cause), each with its ranges merged. */
export function groupGaps(gaps: readonly DataGap[]): Array<{ cause: string; kind: GapKind; ranges: Range[] }> {
  const groups = new Map<string, { cause: string; kind: GapKind; ranges: Range[] }>();
  for (const gap of gaps) {
    const id = `${gap.kind}\u0000${gap.cause}`;
    let group = groups.get(id);
    if (!group) {
      group = { cause: gap.cause, kind: gap.kind, ranges: [] };
      groups.set(id, group);
    }
    if (hasRange(gap)) group.ranges.push({ from: gap.from, to: gap.to });
  }
  return [...groups.values()]
    .map((g) => ({ ...g, ranges: mergeRanges(g.ranges) }))
    .sort((a, b) => (a.kind === b.kind ? compareCodePoints(a.cause, b.cause) : a.kind === 'lost' ? -1 : 1));
}

/** The summary JSON's form of the gaps. */
export function summaryGaps(gaps: readonly DataGap[]): SummaryGap[] {
  return groupGaps(gaps).map((g) => ({
    cause: g.cause,
    kind: g.kind,
    ranges: g.ranges.map((r) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() })),
  }));
}

/** Ranges listed in one line before "and N more". */
const RANGES_SHOWN = 3;

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 10
    ? `${Math.round(h)} h`
    : h >= 1
      ? `${Math.round(h * 10) / 10} h`
      : `${Math.max(1, Math.round(h * 60))} min`;
}

/**
 * One line per cause: "Datadog unavailable (HTTP 503): lost 2026-11-16 09:00 to 2026-11-17 21:00
 * and 2026-11-19 00:00 to 2026-11-19 06:00 (42 h in all)". `prefix` names the range ("Baseline").
 */
export function describeGaps(gaps: readonly DataGap[], timeZone: string, prefix = ''): string[] {
  return groupGaps(gaps).map((g) => {
    const lead = prefix ? `${prefix}: ${g.cause}` : g.cause;
    if (g.ranges.length === 0) return lead;
    const verb = g.kind === 'lost' ? 'events missing from' : 'some events may be missing from';
    const shown = g.ranges
      .slice(0, RANGES_SHOWN)
      .map((r) => `${localMinute(r.from, timeZone)} to ${localMinute(r.to, timeZone)}`);
    const more = g.ranges.length - shown.length;
    const total = g.ranges.reduce((n, r) => n + (r.to - r.from), 0);
    const list = more > 0 ? `${shown.join(', ')} and ${more} more range${more === 1 ? '' : 's'}` : shown.join(' and ');
    return `${lead}: ${verb} ${list} (${hours(total)}${g.ranges.length > 1 ? ' in all' : ''}, ${timeZone})`;
  });
}
