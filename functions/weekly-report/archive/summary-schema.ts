/**
 * The archived `summary.json` read back: the summary JSON, schema 1 (DESIGN.md "Summary JSON",
 * core/types.ts), checked field by field before anything shows or sends it. Two readers:
 * - `checkSummary`, the whole summary (the command line's `show`, and a retried run sending the
 *   archived rendering): every field the renderers read, with its type;
 * - `checkSummaryFigures`, only what the trend and `history` draw (window, zone, calls, people,
 *   anomalies by severity, complete, the AI actions), for weeks archived before `point.json` existed.
 * Summaries written by earlier versions of schema 1 lack some later keys: the optional ones
 * (`tools`, `clients`, `tool_usage`, `trend`, `scope`, `ai_activity`, `anomaly_groups`,
 * `resolved_groups`, `group_history`, a trend week's `ai_activity`) stay absent, and an anomaly kind missing
 * from `anomaly_counts` (`new_client`, added later) reads as null, "not evaluated", which is what
 * that version did.
 */
import { AI_KINDS, ANOMALY_KINDS, type AnomalyKind, type Severity, type Summary } from '../core/types';
import {
  bool,
  type Check,
  count,
  Invalid,
  integer,
  isoDay,
  isoTime,
  isPlainObject,
  list,
  nullable,
  object,
  oneOf,
  record,
  text,
  timeZone,
} from './checks';

export const SUMMARY_SCHEMA = 1;
const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** An ISO time, or `(unknown)` where the call had no usable time. */
const timeOrUnknown: Check<string> = (value, at) => (value === '(unknown)' ? value : isoTime(value, at));

const schemaOne: Check<1> = (value, at) => {
  if (value !== SUMMARY_SCHEMA) {
    throw new Invalid(
      at,
      `is ${JSON.stringify(value)}, not ${SUMMARY_SCHEMA} (this version reads summary schema ${SUMMARY_SCHEMA})`,
    );
  }
  return SUMMARY_SCHEMA;
};

const window = object({ from: isoTime, to: isoTime });

const anomaly = object(
  {
    kind: oneOf(ANOMALY_KINDS),
    severity: oneOf(SEVERITIES),
    timestamp: timeOrUnknown,
    user: text(),
    action: text(),
    resource_type: text(),
    resource_id: text(),
    count,
    detail: text(),
    link: text(),
  },
  { client: text(), agent: text(), mode: text() },
);

/**
 * Every kind, with its count or null. A kind the summary's version did not evaluate is absent:
 * `new_client` (added later to schema 1) reads as null, "not evaluated"; `autonomous_change`
 * exists only in a report of every kind of AI activity (`ai_activity` present) and stays absent
 * otherwise, as it was written.
 */
const anomalyCounts: Check<Partial<Record<AnomalyKind, number | null>>> = (value, at) => {
  const given = record(nullable(count))(value, at);
  const out: Partial<Record<AnomalyKind, number | null>> = {};
  for (const kind of ANOMALY_KINDS) {
    if (kind === 'autonomous_change' && !(kind in given)) continue;
    out[kind] = given[kind] ?? null;
  }
  return out;
};

/** `ai_activity` (`activity: all`): every kind of AI activity of the window. */
const aiActivity = object(
  {
    query: text(),
    total: count,
    by_kind: object({ mcp_tool_call: count, mcp_action: count, agent_action: count }),
    autonomous: count,
    interactive: count,
    agents: list(object({ agent: text(), events: count, interactive: count, autonomous: count, people: count })),
    attribution: object({ agent_events: count, with_delegator: count, share: nullable(nonNegative()) }),
    daily: list(object({ date: isoDay, events: count, autonomous: count })),
    link: text(),
  },
  { previous_window: nullable(object({ total: count, autonomous: count })) },
);

const gap = object({
  cause: text(),
  kind: oneOf(['lost', 'partial'] as const),
  ranges: list(object({ from: timeOrUnknown, to: timeOrUnknown })),
});

/** The AI figures of a week: its `ai_activity.total` and `.autonomous`. */
const aiFigures = object({ total: count, autonomous: count });

const trendPoint = object(
  {
    week_end: isoTime,
    calls: nullable(count),
    people: nullable(count),
    anomalies: nullable(object({ high: count, medium: count, low: count })),
    complete: nullable(bool),
  },
  // Trends made before it was kept have none.
  { ai_activity: nullable(aiFigures) },
);

/** A calendar day `YYYY-MM-DD` (an exception's last day). */
const exception = object({ owner: text(), reason: text(), expires: isoDay });

const groupId: Check<string> = (value, at) => {
  if (typeof value !== 'string' || !/^[0-9a-f]{16}$/.test(value)) throw new Invalid(at, 'is not a group id');
  return value;
};

const weeks: Check<number> = (value, at) => {
  const n = count(value, at);
  if (n < 1) throw new Invalid(at, 'is not a number of weeks');
  return n;
};

/** A group of flags (core/groups.ts, docs/triage.md). */
const anomalyGroup = object(
  {
    id: groupId,
    kind: oneOf(ANOMALY_KINDS),
    person: text(),
    severity: oneOf(SEVERITIES),
    severity_reason: text(),
    count,
    flags: count,
    first: timeOrUnknown,
    last: timeOrUnknown,
    resource_types: list(object({ type: text(), count })),
    resources: object({
      total: count,
      items: list(object({ type: text(), id: text() }, { name: text() })),
    }),
    status: oneOf(['new', 'recurring'] as const),
    weeks,
    link: text(),
  },
  {
    resource_type: text(),
    country: text(),
    client: text(),
    detail: text(),
    agent: text(),
    accepted: exception,
    exception_expired: exception,
  },
);

const resolvedGroup = object({
  id: groupId,
  kind: oneOf(ANOMALY_KINDS),
  person: text(),
  severity: oneOf(SEVERITIES),
  weeks,
});

const groupHistory = object({ previous_week_end: nullable(isoTime) }, { note: text() });

const toolUsageSource = object(
  {
    metric: oneOf(['datadog.mcp.tool.usage'] as const),
    status: oneOf(['ok', 'unavailable', 'not_fetched'] as const),
    link: text(),
  },
  { reason: text(), total_calls: count, truncated: bool },
);

const scope = object(
  { label: text() },
  { membership: object({ people: nullable(count), fingerprint: text(200), read: oneOf(['at run time'] as const) }) },
);

const summaryCheck = object(
  {
    schema: schemaOne,
    org: text(),
    window,
    timezone: timeZone,
    complete: bool,
    total_tool_calls: count,
    unique_users: count,
    top_users: list(object({ user: text(), calls: count })),
    actions_breakdown: list(object({ action: text(), count })),
    resource_types: list(object({ type: text(), count })),
    daily_calls: list(object({ date: isoDay, calls: count })),
    anomalies: list(anomaly),
    anomaly_counts: anomalyCounts,
    changes: object({
      total: count,
      items: list(
        object(
          {
            timestamp: timeOrUnknown,
            user: text(),
            action: text(),
            resource_type: text(),
            resource_id: text(),
            resource_name: text(),
          },
          { kind: oneOf(AI_KINDS), agent: text(), mode: text() },
        ),
      ),
    }),
    malformed_events: count,
    data_gaps: object({ window: list(gap) }, { baseline: list(gap) }),
    link: text(),
    warnings: list(text()),
  },
  {
    scope,
    previous_window: object({ total_tool_calls: count, unique_users: count }),
    baseline: object(
      { from: timeOrUnknown, to: timeOrUnknown, events: count },
      { sources: object({ archive_days: nonNegative(), fetched_days: nonNegative() }) },
    ),
    tools: nullable(
      list(
        object({
          tool: text(),
          calls: count,
          previous_calls: nullable(count),
          change: nullable(integer),
        }),
      ),
    ),
    clients: nullable(
      list(
        object({
          client: text(),
          calls: count,
          people: count,
          previous_calls: nullable(count),
          previous_people: nullable(count),
        }),
      ),
    ),
    tool_usage: toolUsageSource,
    trend: list(trendPoint, 60),
    ai_activity: aiActivity,
    // Summaries made before groups have none of these three.
    anomaly_groups: list(anomalyGroup),
    resolved_groups: list(resolvedGroup),
    group_history: groupHistory,
  },
);

function nonNegative(): Check<number> {
  return (value, at) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new Invalid(at, 'is not a number of days');
    return value;
  };
}

/** The whole archived summary, checked; throws Invalid naming the first problem. */
export function checkSummary(value: unknown): Summary {
  // The checked copy has exactly the Summary's keys, each of its type.
  return summaryCheck(value, '') as Summary;
}

/** What the trend and `history` draw of one archived week. */
export interface SummaryFigures {
  readonly window: { readonly from: string; readonly to: string };
  readonly timezone: string;
  readonly calls: number;
  readonly people: number;
  readonly anomalies: Readonly<Record<Severity, number>>;
  readonly complete: boolean;
  /** The week's AI actions and autonomous ones; null when it did not read every kind (a gap in the trend). */
  readonly ai_activity: { readonly total: number; readonly autonomous: number } | null;
}

const figuresCheck = object(
  {
    schema: schemaOne,
    window,
    timezone: timeZone,
    complete: bool,
    total_tool_calls: count,
    unique_users: count,
    anomalies: list((value: unknown, at: string) => {
      if (!isPlainObject(value)) throw new Invalid(at, 'is not an object');
      return oneOf(SEVERITIES)(value.severity, `${at}.severity`);
    }),
  },
  // Only its two figures are read; the rest of the section is not checked (nor kept).
  { ai_activity: aiFigures },
);

/** The figures of an archived summary, each checked (nothing else of it is read); throws Invalid. */
export function checkSummaryFigures(value: unknown): SummaryFigures {
  const s = figuresCheck(value, '');
  const anomalies = { high: 0, medium: 0, low: 0 };
  for (const severity of s.anomalies) anomalies[severity] += 1;
  return {
    window: s.window,
    timezone: s.timezone,
    calls: s.total_tool_calls,
    people: s.unique_users,
    anomalies,
    complete: s.complete,
    ai_activity: s.ai_activity ?? null,
  };
}
