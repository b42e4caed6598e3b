/**
 * `point.json`: one archived week's figures for the trend and its groups for the next week's
 * comparison, a few KB, so the trend of twelve weeks reads twelve small objects rather than twelve
 * summaries (which run to tens of megabytes in a week of many anomalies), and the next week's
 * triage reads one. Versioned: `kind` says what it is, `schema` which figures it holds; a later
 * version that adds figures bumps `schema`, and a reader takes the schemas it knows (1 and 2) and
 * leaves any other week out of the trend with a warning.
 *
 *   schema 1: { "kind": "ai-activity-audit.trend-point", "schema": 1,
 *               "window": { "from": "…", "to": "…" }, "timezone": "UTC",
 *               "calls": 2000, "people": 67, "anomalies": { "high": 1, "medium": 3, "low": 0 },
 *               "complete": true }
 *   schema 2 adds: "ai_activity": { "total": 2341, "autonomous": 171 } | null (a report that did
 *               not read every kind), and "groups": { "total": 9, "items": [ { "id", "kind",
 *               "person", "severity", "weeks" }, … ] } (the first 500 in card order; core/groups.ts).
 * A schema 1 point reads as `ai_activity` null (a gap) and no groups recorded.
 */
import { RECORDED_GROUPS_MAX, RECORDED_PERSON_MAX, type RecordedGroups, recordGroups } from '../core/groups';
import { ANOMALY_KINDS, type Severity, type Summary } from '../core/types';
import { bool, count, Invalid, isoTime, list, nullable, object, oneOf, text, timeZone } from './checks';
import type { SummaryFigures } from './summary-schema';

export const POINT_KIND = 'ai-activity-audit.trend-point';
/** The schema this version writes. */
export const POINT_SCHEMA = 2;
/** The schemas this version reads. */
export const POINT_SCHEMAS_READ: readonly number[] = [1, 2];

/** One week's figures as `point.json` holds them. */
export interface WeekPoint extends SummaryFigures {
  /** Its groups (schema 2); absent from a schema 1 point, which recorded none. */
  readonly groups?: RecordedGroups;
}

/** The point of a summary: what the trend draws of its week, and its groups. */
export function pointOfSummary(summary: Summary): WeekPoint {
  const anomalies: Record<Severity, number> = { high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies) anomalies[flag.severity] += 1;
  const ai = summary.ai_activity;
  return {
    window: { from: summary.window.from, to: summary.window.to },
    timezone: summary.timezone,
    calls: summary.total_tool_calls,
    people: summary.unique_users,
    anomalies,
    complete: summary.complete,
    ai_activity: ai ? { total: ai.total, autonomous: ai.autonomous } : null,
    groups: recordGroups(summary.anomaly_groups ?? []),
  };
}

/** The JSON text of `point.json` (schema 2). */
export function encodePoint(point: WeekPoint): string {
  return `${JSON.stringify({
    kind: POINT_KIND,
    schema: POINT_SCHEMA,
    window: point.window,
    timezone: point.timezone,
    calls: point.calls,
    people: point.people,
    anomalies: point.anomalies,
    complete: point.complete,
    ai_activity: point.ai_activity ?? null,
    groups: point.groups ?? { total: 0, items: [] },
  })}\n`;
}

const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

const figures = {
  window: object({ from: isoTime, to: isoTime }),
  timezone: timeZone,
  calls: count,
  people: count,
  anomalies: object({ high: count, medium: count, low: count }),
  complete: bool,
};

const pointOne = object(figures);

const recordedGroup = object({
  id: (value: unknown, at: string) => {
    if (typeof value !== 'string' || !/^[0-9a-f]{16}$/.test(value)) throw new Invalid(at, 'is not a group id');
    return value;
  },
  kind: oneOf(ANOMALY_KINDS),
  person: text(RECORDED_PERSON_MAX * 2),
  severity: oneOf(SEVERITIES),
  weeks: (value: unknown, at: string) => {
    const n = count(value, at);
    if (n < 1) throw new Invalid(at, 'is not a number of weeks');
    return n;
  },
});

const pointTwo = object({
  ...figures,
  ai_activity: nullable(object({ total: count, autonomous: count })),
  groups: object({ total: count, items: list(recordedGroup, RECORDED_GROUPS_MAX) }),
});

/** The point in a parsed `point.json`, checked; throws Invalid naming the first problem. */
export function checkPoint(value: unknown): WeekPoint {
  const doc = value as { kind?: unknown; schema?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || doc.kind !== POINT_KIND) {
    throw new Invalid('', 'is not a trend point');
  }
  if (doc.schema === 1) return { ...pointOne(value, ''), ai_activity: null };
  if (doc.schema === 2) {
    const point = pointTwo(value, '');
    if (point.groups.items.length > point.groups.total)
      throw new Invalid('groups.total', 'is less than the groups it lists');
    return point;
  }
  throw new Invalid('schema', `is ${JSON.stringify(doc.schema)} (this version reads ${POINT_SCHEMAS_READ.join(', ')})`);
}
