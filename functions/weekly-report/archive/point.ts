/**
 * `point.json`: one archived week's figures for the trend, a few hundred bytes, so the trend of
 * twelve weeks reads twelve small objects rather than twelve summaries (which run to tens of
 * megabytes in a week of many anomalies). Versioned: `kind` says what it is, `schema` which
 * figures it holds; a later version that adds figures bumps `schema`, and a reader takes the
 * schemas it knows and leaves any other week out of the trend with a warning.
 *
 *   { "kind": "ai-activity-audit.trend-point", "schema": 1,
 *     "window": { "from": "…", "to": "…" }, "timezone": "UTC",
 *     "calls": 2000, "people": 67, "anomalies": { "high": 1, "medium": 3, "low": 0 },
 *     "complete": true }
 */
import type { Severity, Summary } from '../core/types';
import { bool, count, Invalid, isoTime, object, timeZone } from './checks';
import type { SummaryFigures } from './summary-schema';

export const POINT_KIND = 'ai-activity-audit.trend-point';
export const POINT_SCHEMA = 1;

/** One week's figures as `point.json` holds them (schema 1). */
export type WeekPoint = SummaryFigures;

/** The point of a summary: what the trend draws of its week. */
export function pointOfSummary(summary: Summary): WeekPoint {
  const anomalies: Record<Severity, number> = { high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies) anomalies[flag.severity] += 1;
  return {
    window: { from: summary.window.from, to: summary.window.to },
    timezone: summary.timezone,
    calls: summary.total_tool_calls,
    people: summary.unique_users,
    anomalies,
    complete: summary.complete,
  };
}

/** The JSON text of `point.json`. */
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
  })}\n`;
}

const pointCheck = object({
  window: object({ from: isoTime, to: isoTime }),
  timezone: timeZone,
  calls: count,
  people: count,
  anomalies: object({ high: count, medium: count, low: count }),
  complete: bool,
});

/** The point in a parsed `point.json`, checked; throws Invalid naming the first problem. */
export function checkPoint(value: unknown): WeekPoint {
  const doc = value as { kind?: unknown; schema?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || doc.kind !== POINT_KIND) {
    throw new Invalid('', 'is not a trend point');
  }
  if (doc.schema !== POINT_SCHEMA) {
    throw new Invalid('schema', `is ${JSON.stringify(doc.schema)} (this version reads ${POINT_SCHEMA})`);
  }
  return pointCheck(value, '');
}
