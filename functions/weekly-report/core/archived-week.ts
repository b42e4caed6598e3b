/**
 * A report week as the archive keeps it (`aggregate.json.gz`): what later runs need of that week
 * to use it as part of their baseline and previous week instead of reading its raw events from
 * Datadog again — per person the calls, the undated calls, the resource types and countries —
 * plus its window, whether it was complete, a schema version and a checksum. Folding an archived
 * week into a BaselineAggregate gives exactly what fetching the week's events would (a test
 * proves it), which is what makes the archive a cache and not an approximation. Pure.
 *
 * Schema 2 adds:
 * - what a report reading every kind of AI activity (`activity: all`) needs: the activity the week
 *   was read with, each person's events of every kind (their MCP-driven and agent actions count as
 *   theirs), and the week's AI figures for the week-over-week change. A schema-1 week was read with
 *   the seed's query alone (`activity: mcp`): a report of `all` does not fold it in
 *   (pipeline/read.ts fetches its time instead), one of `mcp` still does;
 * - `membership`: the fingerprint of whom a scoped report counted that week (core/scope.ts), null
 *   for the whole org. A week of another membership than today's is fetched again rather than
 *   folded in, so a team's baseline follows the team. Schema 1 weeks are read as having no
 *   recorded membership.
 */
import { createHash } from 'node:crypto';
import type { BaselineAggregate, WindowAggregate } from './aggregate';
import { compareCodePoints } from './order';
import { ACTIVITIES, type Activity } from './types';

export const ARCHIVED_WEEK_KIND = 'ai-activity-audit.week-aggregate';
/** Bump when the `data` shape changes; a reader ignores (and re-fetches) a schema it does not know. */
export const ARCHIVED_WEEK_SCHEMA = 2;
/** Schemas this version reads: 1 (before `activity`, read as `mcp`) and the current one. */
const READABLE_SCHEMAS: readonly unknown[] = [1, ARCHIVED_WEEK_SCHEMA];

export interface ArchivedPerson {
  /** MCP tool calls (the seed's kind). */
  readonly calls: number;
  /** Calls without a usable timestamp (they never count in a previous-week figure). */
  readonly undated: number;
  /** Events of every kind read that are the person's (equal to `calls` in a week read with `activity: mcp`). */
  readonly events: number;
  readonly resourceTypes: readonly string[];
  readonly countries: readonly string[];
}

/** A week's AI activity of every kind (`activity: all`), for the week-over-week change. */
export interface ArchivedAi {
  /** Events of every kind, those with a usable timestamp, and the dated autonomous ones. */
  readonly total: number;
  readonly dated: number;
  readonly autonomous: number;
}

export interface ArchivedWeek {
  readonly org: string;
  /** What the week was read with: `mcp` for every week archived before schema 2. */
  readonly activity: Activity;
  /** Epoch ms `[from, to)`. */
  readonly window: { readonly from: number; readonly to: number };
  readonly complete: boolean;
  readonly total: number;
  readonly undated: number;
  readonly otherEvents: number;
  readonly minTime: number;
  readonly maxTime: number;
  /** By person key (core/normalize.ts), sorted by key. */
  readonly people: ReadonlyArray<readonly [string, ArchivedPerson]>;
  /** Present for a week read with `activity: all`. */
  readonly ai?: ArchivedAi;
  /**
   * Whom the report counted that week: its share's fingerprint (core/scope.ts), null for the
   * whole org, undefined when not recorded (a schema 1 week).
   */
  readonly membership?: string | null;
}

/** The archived form of a report window's aggregate, read with the membership `fingerprint` (none: the whole org). */
export function archivedWeek(
  org: string,
  window: WindowAggregate,
  range: { from: number; to: number },
  fingerprint?: string,
): ArchivedWeek {
  const people = [...window.people.values()]
    .map(
      (p) =>
        [
          p.key,
          {
            calls: p.calls,
            undated: p.undatedCalls,
            events: p.events,
            resourceTypes: [...p.resourceTypes.keys()].sort(compareCodePoints),
            countries: [...p.countries.keys()].sort(compareCodePoints),
          },
        ] as const,
    )
    .sort((a, b) => compareCodePoints(a[0], b[0]));
  const { ai } = window;
  let autonomous = 0;
  for (const n of ai.autonomousBuckets.values()) autonomous += n;
  return {
    org,
    activity: window.activity,
    window: { from: range.from, to: range.to },
    complete: window.incomplete.length === 0,
    total: window.total,
    undated: window.undated,
    otherEvents: window.otherEvents,
    minTime: window.minTime,
    maxTime: window.maxTime,
    people,
    ...(window.activity === 'all' ? { ai: { total: ai.total, dated: ai.total - ai.undated, autonomous } } : {}),
    membership: fingerprint ?? null,
  };
}

/**
 * Folds an archived week into `baseline`, as if its events had been added one by one. The week
 * must lie wholly inside the baseline's previous range or wholly outside it (a previous-week
 * figure cannot be split out of a week); throws otherwise.
 */
export function addArchivedWeek(baseline: BaselineAggregate, week: ArchivedWeek): void {
  const { previous } = baseline;
  const inside = week.window.from >= previous.from && week.window.to <= previous.to;
  const outside = week.window.to <= previous.from || week.window.from >= previous.to;
  if (!inside && !outside) {
    throw new Error('an archived week that straddles the previous-week range cannot be used as baseline');
  }
  if (week.activity !== baseline.activity) {
    throw new Error(
      `an archived week read with activity ${week.activity} cannot be used as the baseline of a report of activity ${baseline.activity}`,
    );
  }
  baseline.total += week.total;
  baseline.aiTotal += week.ai?.total ?? week.total;
  baseline.otherEvents += week.otherEvents;
  baseline.minTime = Math.min(baseline.minTime, week.minTime);
  baseline.maxTime = Math.max(baseline.maxTime, week.maxTime);
  if (inside) {
    baseline.previousTotal += week.total - week.undated;
    if (baseline.activity === 'all') {
      if (week.ai) {
        baseline.previousAi += week.ai.dated;
        baseline.previousAutonomous += week.ai.autonomous;
      } else {
        baseline.previousAiKnown = false;
      }
    }
  }
  for (const [key, p] of week.people) {
    let person = baseline.people.get(key);
    if (!person) {
      person = { calls: 0, previousCalls: 0, events: 0, resourceTypes: new Set(), countries: new Set() };
      baseline.people.set(key, person);
    }
    person.calls += p.calls;
    person.events += p.events;
    if (inside) person.previousCalls += p.calls - p.undated;
    for (const t of p.resourceTypes) person.resourceTypes.add(t);
    for (const c of p.countries) person.countries.add(c);
  }
}

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}

function checksumOf(content: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}

/** The JSON text of an archived week, with its schema and checksum. */
export function encodeArchivedWeek(week: ArchivedWeek): string {
  const content = {
    org: week.org,
    activity: week.activity,
    window: { from: new Date(week.window.from).toISOString(), to: new Date(week.window.to).toISOString() },
    complete: week.complete,
    membership: week.membership ?? null,
    data: {
      total: week.total,
      undated: week.undated,
      otherEvents: week.otherEvents,
      minTime: finiteOrNull(week.minTime),
      maxTime: finiteOrNull(week.maxTime),
      people: week.people.map(([key, p]) => [key, p]),
      ...(week.ai ? { ai: week.ai } : {}),
    },
  };
  return JSON.stringify({
    kind: ARCHIVED_WEEK_KIND,
    schema: ARCHIVED_WEEK_SCHEMA,
    checksum: checksumOf(content),
    ...content,
  });
}

/** Why an archived week could not be used; the caller fetches that time instead. */
export class ArchivedWeekError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchivedWeekError';
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks an archived week (schema 1 or 2); throws ArchivedWeekError naming the first problem. */
export function decodeArchivedWeek(text: string): ArchivedWeek {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ArchivedWeekError('not JSON');
  }
  if (!isObject(parsed) || parsed.kind !== ARCHIVED_WEEK_KIND) {
    throw new ArchivedWeekError('not an archived week aggregate');
  }
  const schema = parsed.schema;
  if (!READABLE_SCHEMAS.includes(schema)) {
    throw new ArchivedWeekError(
      `unknown schema version ${JSON.stringify(schema)} (this version reads ${READABLE_SCHEMAS.join(' and ')})`,
    );
  }
  const v1 = schema === 1;
  const { kind: _kind, schema: _schema, checksum, ...content } = parsed;
  if (checksum !== checksumOf(content)) throw new ArchivedWeekError('checksum mismatch');
  const window = isObject(content.window) ? content.window : {};
  const from = typeof window.from === 'string' ? Date.parse(window.from) : Number.NaN;
  const to = typeof window.to === 'string' ? Date.parse(window.to) : Number.NaN;
  if (!(to > from)) throw new ArchivedWeekError('window is not a range of two ISO times');
  if (typeof content.org !== 'string') throw new ArchivedWeekError('org is not text');
  if (typeof content.complete !== 'boolean') throw new ArchivedWeekError('complete is not true or false');
  const membership = content.membership;
  if (!v1 && membership !== null && typeof membership !== 'string') {
    throw new ArchivedWeekError('membership is not a fingerprint or null');
  }
  const data = content.data;
  if (!isObject(data)) throw new ArchivedWeekError('data is not an object');
  for (const key of ['total', 'undated', 'otherEvents'] as const) {
    if (!isCount(data[key])) throw new ArchivedWeekError(`data.${key} is not a whole number`);
  }
  if (!Array.isArray(data.people)) throw new ArchivedWeekError('data.people is not a list');
  const activity = v1 ? 'mcp' : ACTIVITIES.find((a) => a === content.activity);
  if (activity === undefined) throw new ArchivedWeekError('activity is not one of ' + ACTIVITIES.join(', '));
  let ai: ArchivedAi | undefined;
  if (!v1 && data.ai !== undefined) {
    const a = data.ai;
    if (!isObject(a) || !isCount(a.total) || !isCount(a.dated) || !isCount(a.autonomous)) {
      throw new ArchivedWeekError('data.ai is not the AI activity counts');
    }
    ai = { total: a.total, dated: a.dated, autonomous: a.autonomous };
  }
  if (activity === 'all' && ai === undefined)
    throw new ArchivedWeekError('a week read with activity all lacks its AI counts');
  const people: Array<readonly [string, ArchivedPerson]> = [];
  for (const [i, entry] of (data.people as unknown[]).entries()) {
    const [key, p] = (Array.isArray(entry) ? entry : []) as [unknown, unknown];
    const events = isObject(p) ? (v1 ? p.calls : p.events) : undefined;
    if (
      typeof key !== 'string' ||
      !isObject(p) ||
      !isCount(p.calls) ||
      !isCount(p.undated) ||
      p.undated > p.calls ||
      !isCount(events) ||
      !isStringList(p.resourceTypes) ||
      !isStringList(p.countries)
    ) {
      throw new ArchivedWeekError(`data.people[${i}] is not a person's figures`);
    }
    people.push([
      key,
      { calls: p.calls, undated: p.undated, events, resourceTypes: p.resourceTypes, countries: p.countries },
    ]);
  }
  const time = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  return {
    org: content.org,
    activity,
    window: { from, to },
    complete: content.complete,
    total: data.total as number,
    undated: data.undated as number,
    otherEvents: data.otherEvents as number,
    minTime: time(data.minTime, Number.POSITIVE_INFINITY),
    maxTime: time(data.maxTime, Number.NEGATIVE_INFINITY),
    people,
    ...(ai ? { ai } : {}),
    ...(!v1 ? { membership: membership as string | null } : {}),
  };
}
