/**
 * What a run takes from the report archive before it asks Datadog anything:
 * - the baseline plan: which archived weeks cover the baseline (and previous week) range, so only
 *   the time no complete archived week covers is fetched. Only the weeks' aggregates are read
 *   (what is folded in). A week that is incomplete, of a length that straddles the previous-week
 *   range, or unusable (too large, decompressing past its cap, not gzip or JSON, wrong checksum
 *   or schema) is left out and its time fetched instead, the unusable with a warning naming the
 *   week and the object; so is a week archived with another membership than the report's today
 *   (a team that changed): its time is fetched with today's members, and the warning says so;
 * - how busy the archived weeks were, so the fetch of a quiet range uses fewer time slices;
 * - the trend: up to 12 weekly points (calls, people, anomalies by severity, complete, AI actions) read from
 *   each week's small `point.json`, or, for a week archived before points existed, from the
 *   figures of its summary (capped and checked, one summary at a time); a week with no archived
 *   report is a gap, never an estimate, and a week whose object is unusable is a gap with a
 *   warning naming it;
 * - the triage: the previous week's groups, from its `point.json` (read with the trend), against
 *   which each group of this week is `new` or `recurring` and last week's others `resolved`
 *   (core/groups.ts); without it every group is new, and the summary says why.
 * In a signed archive (docs/archive.md "A tamper-evident archive") a week is used only when it
 * verifies: its manifest's MAC, its objects' SHA-256s and its place in the chain (the archive
 * checks this on every read, report-archive.ts); any other week is fetched, or left out of the
 * trend (and of the triage's comparison), with a warning naming it and why, and a week the chain
 * names but the archive no longer holds (deleted) is named too. Weeks without a manifest
 * (archived before MACs) are named in one warning per use.
 * An archive that cannot be listed at all means: fetch everything, and say so. Nothing here throws.
 */
import { ArchiveObjectError } from '../archive/checks';
import { MANIFEST_FILE } from '../archive/manifest';
import type { ReportArchive } from '../archive/report-archive';
import { MANIFEST_ABSENT } from '../archive/seal';
import type { ArchivedWeek } from '../core/archived-week';
import { mergeRanges } from '../core/gaps';
import { type PreviousReport, trackGroups } from '../core/groups';
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

/** The archived weeks that could cover a report's baseline, read before its membership is known. */
export interface ArchivedBaseline {
  readonly baseline: TimeRange;
  /** Complete, usable weeks inside the baseline, not straddling the previous week, without overlaps; oldest first. */
  readonly weeks: readonly ArchivedWeek[];
  /** What could not be used, and why. */
  readonly warnings: readonly string[];
}

/** Whose calls a report counts, as its archived weeks are compared with: a scoped share's fingerprint (core/scope.ts). */
export interface Membership {
  /** Absent: the whole org. */
  readonly fingerprint?: string;
  /** The scope's label ("team sre"), for warnings. */
  readonly label?: string;
  /** How many people it names, for warnings. */
  readonly people?: number;
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

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** "the week ending 8 Nov 2026": a week by its last local day (its window end is exclusive). */
export function weekName(windowTo: string, timezone: string): string {
  let format = dayFormats.get(timezone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-GB', {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        timeZone: timezone,
      });
    } catch {
      format = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    }
    dayFormats.set(timezone, format);
  }
  const end = Date.parse(windowTo);
  return Number.isFinite(end) ? `the week ending ${format.format(new Date(end - 1))}` : `the week ending ${windowTo}`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `error` says the week has no manifest in a signed archive (archived before MACs, or its manifest removed). */
function isUnsigned(error: unknown): boolean {
  return error instanceof ArchiveObjectError && error.object === MANIFEST_FILE && error.problem === MANIFEST_ABSENT;
}

/** One warning for the weeks of a signed archive that have no manifest: `then` says what was done instead. */
function unsignedWarning(weekEnds: readonly string[], timezone: string, then: string): string {
  const names = weekEnds.map((w) => weekName(w, timezone).replace(/^the week ending /, ''));
  const listed = names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.length === 1 ? 'The week ending' : 'The weeks ending'} ${listed} could not be verified (${MANIFEST_FILE} ${MANIFEST_ABSENT}): ${then}.`;
}

/** Warnings for the weeks ending in (`after`, `through`] that the chain names but the archive no longer holds. */
async function missingWarnings(
  archive: ReportArchive,
  after: number,
  through: number,
  options: { readonly logger?: Logger; readonly call?: CallOptions; readonly timezone: string; readonly then: string },
): Promise<string[]> {
  let missing: Awaited<ReturnType<ReportArchive['missingWeeks']>>;
  try {
    missing = await archive.missingWeeks(new Date(after).toISOString(), new Date(through).toISOString(), options.call);
  } catch (error) {
    options.logger?.warn('archive_chain_unreadable', { location: archive.location, error: reasonOf(error) });
    return [];
  }
  return missing.map((m) => {
    options.logger?.warn('archive_week_missing', { windowTo: m.windowTo, namedBy: m.namedBy });
    return `${capitalized(weekName(m.windowTo, options.timezone))} is missing from the archive, though ${weekName(m.namedBy, options.timezone)} was chained to it (removed after it was archived): ${options.then}.`;
  });
}

/**
 * Reads the archived weeks that may cover `baseline`: their aggregates only, one at a time (each
 * under its caps). Never throws: an archive that cannot be listed gives no weeks and a warning.
 */
export async function readArchivedBaseline(
  archive: ReportArchive,
  ranges: { readonly baseline: TimeRange; readonly previous: TimeRange },
  options: { readonly logger?: Logger; readonly call?: CallOptions; readonly timezone?: string } = {},
): Promise<ArchivedBaseline> {
  const { baseline, previous } = ranges;
  const timezone = options.timezone ?? 'UTC';
  let listed: Awaited<ReturnType<ReportArchive['list']>>;
  try {
    listed = await archive.list(options.call);
  } catch (error) {
    const reason = reasonOf(error);
    options.logger?.warn('archive_unreadable', { location: archive.location, error: reason });
    return {
      baseline,
      weeks: [],
      warnings: [`The report archive could not be read, so the whole baseline was fetched from Datadog (${reason}).`],
    };
  }
  // A week can only lie in the baseline if it ends inside it.
  const candidates = listed.filter((r) => {
    const to = Date.parse(r.windowTo);
    // A signed week whose aggregate was removed is still a candidate: its manifest says it is missing.
    const held =
      r.files.includes('aggregate.json.gz') || (archive.seal !== undefined && r.files.includes(MANIFEST_FILE));
    return to > baseline.from && to <= baseline.to && held;
  });
  const warnings: string[] = [];
  const read: ArchivedWeek[] = [];
  const unsigned: string[] = [];
  // One at a time: each may decompress to tens of megabytes, and there are only a few.
  for (const r of candidates) {
    try {
      read.push(await archive.readWeek(r.windowTo, options.call));
    } catch (error) {
      const reason = reasonOf(error);
      if (isUnsigned(error)) {
        unsigned.push(r.windowTo);
        options.logger?.warn('archive_week_unusable', { windowTo: r.windowTo, error: reason });
        continue;
      }
      warnings.push(
        `${capitalized(weekName(r.windowTo, timezone))} could not be read from the archive (${reason}): fetched from Datadog.`,
      );
      options.logger?.warn('archive_week_unusable', { windowTo: r.windowTo, error: reason });
    }
  }
  if (unsigned.length > 0) warnings.push(unsignedWarning(unsigned, timezone, 'fetched from Datadog'));
  if (archive.seal) {
    const then = 'fetched from Datadog';
    warnings.push(...(await missingWarnings(archive, baseline.from, baseline.to, { ...options, timezone, then })));
  }
  const usable = read
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
  return { baseline, weeks, warnings };
}

/** True when `week` was archived with `membership`: the same fingerprint, or both the whole org. */
export function sameMembership(week: ArchivedWeek, membership: Membership): boolean {
  // A schema 1 week recorded no membership: the whole org's it was, unless the report is scoped.
  return membership.fingerprint === undefined ? week.membership == null : week.membership === membership.fingerprint;
}

/**
 * The plan for a report of `membership` from its archived weeks: the weeks archived with the same
 * membership are folded in, every other part of the baseline is fetched (`refetch`: the weeks
 * left out because their membership differs, with a warning each). With `membership` 'any'
 * (not known yet: a team whose members are still being read), every week is taken.
 */
export function choosePlan(
  archived: ArchivedBaseline,
  membership: Membership | 'any',
  options: { readonly logger?: Logger; readonly timezone?: string } = {},
): BaselinePlan & { readonly refetch: readonly TimeRange[] } {
  const timezone = options.timezone ?? 'UTC';
  const weeks: ArchivedWeek[] = [];
  const refetch: TimeRange[] = [];
  const warnings = [...archived.warnings];
  for (const w of archived.weeks) {
    if (membership === 'any' || sameMembership(w, membership)) {
      weeks.push(w);
      continue;
    }
    refetch.push(w.window);
    const name = weekName(new Date(w.window.to).toISOString(), timezone);
    const who = membership.label ?? 'the whole org';
    const today =
      membership.fingerprint === undefined
        ? 'the whole org'
        : membership.people === undefined
          ? "today's members"
          : `today's ${membership.people} ${membership.people === 1 ? 'person' : 'people'}`;
    warnings.push(
      w.membership === undefined
        ? `${capitalized(name)} was archived without its membership, so it was fetched from Datadog with ${today} of ${who}.`
        : `The membership of ${who} changed since ${name} was archived, so that week was fetched from Datadog with ${today}.`,
    );
    options.logger?.info('archive_week_other_membership', {
      windowTo: new Date(w.window.to).toISOString(),
      recorded: w.membership ?? null,
      today: membership.fingerprint ?? null,
    });
  }
  const covered = weeks.map((w) => w.window);
  const coveredMs = covered.reduce((n, r) => n + (r.to - r.from), 0);
  // The pace in events of every kind the weeks were read with (their `ai` figures when they hold all kinds).
  const events = weeks.reduce((n, w) => n + (w.ai?.total ?? w.total), 0);
  return {
    weeks,
    fetch: subtract(archived.baseline, covered),
    refetch,
    warnings,
    ...(coveredMs > 0 ? { eventRate: events / coveredMs } : {}),
  };
}

/** Plans a report's baseline from the archive: which weeks to use, which time to fetch. Never throws. */
export async function planBaseline(
  archive: ReportArchive,
  ranges: { readonly baseline: TimeRange; readonly previous: TimeRange },
  membership: Membership,
  options: { readonly logger?: Logger; readonly call?: CallOptions; readonly timezone?: string } = {},
): Promise<BaselinePlan> {
  return choosePlan(await readArchivedBaseline(archive, ranges, options), membership, options);
}

/** Days of the baseline taken from the archive and fetched from Datadog, to a tenth of a day. */
export function baselineSources(plan: BaselinePlan): { archive_days: number; fetched_days: number } {
  const days = (ranges: readonly TimeRange[]): number =>
    Math.round((ranges.reduce((n, r) => n + (r.to - r.from), 0) / DAY_MS) * 10) / 10;
  return { archive_days: days(plan.weeks.map((w) => w.window)), fetched_days: days(plan.fetch) };
}

/** One week of the trend: its figures, or a gap where no report was archived or it could not be read. */
export interface TrendPoint {
  readonly week_end: string;
  readonly calls: number | null;
  readonly people: number | null;
  readonly anomalies: Readonly<Record<Severity, number>> | null;
  readonly complete: boolean | null;
  /** The week's AI actions of every kind and the autonomous ones; null where the week has none (a gap, never a zero). */
  readonly ai_activity: { readonly total: number; readonly autonomous: number } | null;
}

export const TREND_WEEKS = 12;

const gap = (weekEnd: string): TrendPoint => ({
  week_end: weekEnd,
  calls: null,
  people: null,
  anomalies: null,
  complete: null,
  ai_activity: null,
});

function currentPoint(summary: Summary): TrendPoint {
  const anomalies = { high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies) anomalies[flag.severity] += 1;
  const ai = summary.ai_activity;
  return {
    week_end: summary.window.to,
    calls: summary.total_tool_calls,
    people: summary.unique_users,
    anomalies,
    complete: summary.complete,
    ai_activity: ai ? { total: ai.total, autonomous: ai.autonomous } : null,
  };
}

/** The previous report as the groups' comparison needs it, from what the trend read (or could not). */
function previousReport(
  weekEnd: string,
  timezone: string,
  read: { readonly found: boolean; readonly groups?: PreviousReport & { found: true } } | undefined,
  unreadable: string | undefined,
): PreviousReport {
  const week = weekName(weekEnd, timezone);
  if (read?.groups) return read.groups;
  if (unreadable !== undefined)
    return {
      found: false,
      note: `${capitalized(week)} could not be read from the archive (${unreadable}), so there is no previous week to compare with: every group is new.`,
    };
  if (read?.found)
    return {
      found: false,
      note: `${capitalized(week)} was archived before groups were recorded, so there is no previous week to compare with: every group is new.`,
    };
  return {
    found: false,
    note: `No archived report of ${week} to compare with: every group is new.`,
  };
}

/**
 * The trend up to and including `current`: the weeks ending `windowDays` local days apart before
 * it, from the oldest archived one among the last TREND_WEEKS − 1; a week without an archived
 * report is a gap (null figures), and so is one whose point (or, before points, summary) cannot
 * be used, with a warning naming it. Never throws: an unreadable archive gives this week alone.
 */
export async function readTrend(
  archive: ReportArchive,
  current: Summary,
  windowDays: number,
  options: { readonly logger?: Logger; readonly call?: CallOptions } = {},
): Promise<{ points: TrendPoint[]; warnings: string[]; previous: PreviousReport }> {
  const end = Date.parse(current.window.to);
  const weekEnds = Array.from({ length: TREND_WEEKS - 1 }, (_, i) =>
    new Date(addLocalDays(end, -(TREND_WEEKS - 1 - i) * windowDays, current.timezone)).toISOString(),
  );
  // The previous report is the week that ends where this one starts; its point holds its groups.
  const previousEnd = current.window.from;
  let previousRead: { found: boolean; groups?: PreviousReport & { found: true } } | undefined;
  let previousUnreadable: string | undefined;
  let archived: Map<string, readonly string[]>;
  try {
    archived = new Map(
      (await archive.list(options.call))
        .filter(
          (r) =>
            r.files.includes('point.json') ||
            r.files.includes('summary.json') ||
            (archive.seal !== undefined && r.files.includes(MANIFEST_FILE)),
        )
        .map((r) => [r.windowTo, r.files]),
    );
  } catch (error) {
    const reason = reasonOf(error);
    options.logger?.warn('archive_unreadable', { error: reason });
    return {
      points: [currentPoint(current)],
      warnings: [],
      previous: {
        found: false,
        note: `The report archive could not be read (${reason.slice(0, 300)}), so there is no previous week to compare with: every group is new.`,
      },
    };
  }
  const first = weekEnds.findIndex((w) => archived.has(w));
  const earlier = first < 0 ? [] : weekEnds.slice(first);
  const warnings: string[] = [];
  const points: TrendPoint[] = [];
  const unsigned: string[] = [];
  // One at a time: a week archived before points is read from its summary, which may be large.
  for (const weekEnd of earlier) {
    const files = archived.get(weekEnd);
    if (!files) {
      points.push(gap(weekEnd));
      continue;
    }
    try {
      const point = files.includes('point.json') ? await archive.readPoint(weekEnd, options.call) : undefined;
      const figures = point ?? (await archive.readSummaryFigures(weekEnd, options.call));
      if (weekEnd === previousEnd) {
        previousRead = {
          found: figures !== undefined,
          ...(point?.groups ? { groups: { found: true, weekEnd, groups: point.groups } } : {}),
        };
      }
      points.push(
        figures
          ? {
              week_end: weekEnd,
              calls: figures.calls,
              people: figures.people,
              anomalies: figures.anomalies,
              complete: figures.complete,
              ai_activity: figures.ai_activity ?? null,
            }
          : gap(weekEnd),
      );
    } catch (error) {
      const reason = reasonOf(error);
      if (weekEnd === previousEnd) previousUnreadable = reason;
      if (isUnsigned(error)) unsigned.push(weekEnd);
      else
        warnings.push(
          `${capitalized(weekName(weekEnd, current.timezone))} could not be read from the archive (${reason}): left out of the trend.`,
        );
      options.logger?.warn('archive_week_unusable', { windowTo: weekEnd, use: 'trend', error: reason });
      points.push(gap(weekEnd));
    }
  }
  if (unsigned.length > 0) warnings.push(unsignedWarning(unsigned, current.timezone, 'left out of the trend'));
  const oldest = weekEnds[0];
  if (archive.seal && oldest !== undefined) {
    const then = 'left out of the trend';
    const timezone = current.timezone;
    warnings.push(...(await missingWarnings(archive, Date.parse(oldest) - 1, end, { ...options, timezone, then })));
  }
  // A previous week outside the trend's weeks (a window of another length) is read on its own.
  if (!weekEnds.includes(previousEnd) && archived.has(previousEnd)) {
    try {
      const point = await archive.readPoint(previousEnd, options.call);
      previousRead = {
        found: true,
        ...(point?.groups ? { groups: { found: true, weekEnd: previousEnd, groups: point.groups } } : {}),
      };
    } catch (error) {
      previousUnreadable = reasonOf(error);
    }
  }
  return {
    points: [...points, currentPoint(current)],
    warnings,
    previous: previousReport(previousEnd, current.timezone, previousRead, previousUnreadable),
  };
}

/**
 * The summary with what the archive adds: where the baseline came from, what the archive could
 * not give (warnings), which membership a scoped report counted, and, with an archive, the trend.
 * Never throws.
 */
export async function withHistory(
  summary: Summary,
  data: {
    readonly baselineSources?: { readonly archive_days: number; readonly fetched_days: number };
    readonly archiveWarnings: readonly string[];
    readonly membership?: Membership;
  },
  archive: ReportArchive | undefined,
  windowDays: number,
  options: { readonly logger?: Logger; readonly call?: CallOptions } = {},
): Promise<Summary> {
  let out = summary;
  if (out.baseline && data.baselineSources)
    out = { ...out, baseline: { ...out.baseline, sources: data.baselineSources } };
  const fingerprint = data.membership?.fingerprint;
  if (out.scope && fingerprint !== undefined) {
    out = {
      ...out,
      scope: {
        ...out.scope,
        membership: { people: data.membership?.people ?? null, fingerprint, read: 'at run time' },
      },
    };
  }
  const warnings = [...data.archiveWarnings];
  if (archive) {
    const trend = await readTrend(archive, out, windowDays, options);
    warnings.push(...trend.warnings);
    // Each group against the previous week's report: new, recurring (for how many weeks), or resolved.
    const tracked = trackGroups(out.anomaly_groups ?? [], trend.previous);
    out = {
      ...out,
      trend: trend.points,
      anomaly_groups: tracked.groups,
      resolved_groups: tracked.resolved,
      group_history: tracked.history,
    };
  }
  if (warnings.length > 0) out = { ...out, warnings: [...out.warnings, ...warnings] };
  return out;
}
