/**
 * Builders of valid `Summary` values (schema 1) for render tests and the browser check, so
 * those tests do not depend on the aggregate: a realistic busy week, a hostile one, a huge one.
 */
import { groupsOfFlags } from '../../functions/weekly-report/core/groups';
import {
  ANOMALY_KINDS,
  type AnomalyFlag,
  type AnomalyGroup,
  type AnomalyKind,
  type ChangeItem,
  type ClientUsage,
  DEFAULT_THRESHOLDS,
  type Severity,
  type Summary,
  type ToolUsage,
} from '../../functions/weekly-report/core/types';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DAY = 86_400_000;
const LINK =
  'https://app.datadoghq.com/audit-trail?query=%40evt.name%3A%22MCP%20Server%22&from_ts=1794819600000&to_ts=1795424400000&live=false';

export interface FlagInput {
  readonly kind?: AnomalyKind;
  readonly severity?: Severity;
  readonly user?: string;
  readonly action?: string;
  readonly resource_type?: string;
  readonly resource_id?: string;
  readonly detail?: string;
  readonly count?: number;
  readonly timestamp?: string;
}

/** One anomaly flag with sensible defaults. */
export function makeFlag(input: FlagInput = {}, index = 0): AnomalyFlag {
  const kind = input.kind ?? 'destructive_action';
  return {
    kind,
    severity: input.severity ?? 'high',
    timestamp: input.timestamp ?? new Date(Date.UTC(2026, 10, 17, 10, 0, 0) + index * 60_000).toISOString(),
    user: input.user ?? `user${index}@example.com`,
    action: input.action ?? 'deleted',
    resource_type: input.resource_type ?? 'monitor',
    resource_id: input.resource_id ?? `mon-${1000 + index}`,
    count: input.count ?? 1,
    detail: input.detail ?? 'Deleted a monitor',
    link: `${LINK}&flag=${index}`,
  };
}

/** The group of one flag (as the core makes it, core/groups.ts), with `overrides`. */
export function makeGroup(flag: AnomalyFlag, overrides: Partial<AnomalyGroup> = {}): AnomalyGroup {
  const [group] = groupsOfFlags([flag], DEFAULT_THRESHOLDS);
  if (!group) throw new Error('no group');
  return { ...group, ...overrides };
}

/**
 * A week of triage against last week: one group recurring for 3 weeks (user0@example.com), one an
 * expired exception matched (cy@example.com), one an exception accepts (bo@example.com, until
 * 2026-12-31, owner secops@example.com), and one group resolved since last week (chen@example.com).
 */
export function makeTriageSummary(): Summary {
  const flags = [makeFlag({}, 0), makeFlag({ user: 'bo@example.com' }, 1), makeFlag({ user: 'cy@example.com' }, 2)];
  return makeSummary({
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    anomaly_groups: [
      makeGroup(flags[0]!, { status: 'recurring', weeks: 3 }),
      makeGroup(flags[2]!, {
        exception_expired: { owner: 'secops@example.com', reason: 'clean-up', expires: '2026-11-20' },
      }),
      makeGroup(flags[1]!, { accepted: { owner: 'secops@example.com', reason: 'clean-up', expires: '2026-12-31' } }),
    ],
    resolved_groups: [
      { id: 'ab'.repeat(8), kind: 'high_volume', person: 'chen@example.com', severity: 'medium', weeks: 2 },
    ],
    group_history: { previous_week_end: '2026-11-16T00:00:00.000Z' },
  });
}

const METRIC_LINK =
  'https://app.datadoghq.com/metric/explorer?exp_metric=datadog.mcp.tool.usage&exp_scope=%2A&exp_agg=count&exp_row_type=metric&exp_group=tool_name&from_ts=1794787200000&to_ts=1795392000000&live=false';

/** The MCP tools of Datadog's MCP server, for realistic tool sections. */
export const TOOL_NAMES: readonly string[] = [
  'search_datadog_logs',
  'get_datadog_metric',
  'search_datadog_monitors',
  'get_datadog_dashboard',
  'search_datadog_spans',
  'get_datadog_trace',
  'search_datadog_incidents',
  'search_datadog_services',
  'search_datadog_hosts',
  'get_datadog_notebook',
  'create_datadog_notebook',
  'update_datadog_monitor',
];

/**
 * The `tools`, `clients` and `tool_usage` of a summary whose metric counted `total` calls: `names`
 * share them in falling amounts (the first the most), each against a previous window of about the
 * same, and `clients` share them likewise with a few people each.
 */
export function makeToolUsage(
  total: number,
  names: readonly string[] = TOOL_NAMES,
  clients: readonly string[] = ['claude', 'cursor', 'codex'],
): Pick<Summary, 'tools' | 'clients' | 'tool_usage'> {
  const split = (count: number): number[] => {
    const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    const parts = weights.map((w) => Math.floor((total * w) / sum));
    parts[0] = (parts[0] ?? 0) + total - parts.reduce((a, b) => a + b, 0);
    return parts;
  };
  const toolCalls = split(names.length);
  const clientCalls = split(clients.length);
  const tools: ToolUsage[] = names.map((tool, i) => {
    const calls = toolCalls[i] ?? 0;
    const previous = i === 2 ? 0 : Math.round(calls * (i % 2 ? 0.8 : 1.1));
    return { tool, calls, previous_calls: previous, change: calls - previous };
  });
  const clientRows: ClientUsage[] = clients.map((client, i) => ({
    client,
    calls: clientCalls[i] ?? 0,
    people: Math.max(1, 30 - 9 * i),
    previous_calls: Math.round((clientCalls[i] ?? 0) * 0.9),
    previous_people: Math.max(1, 28 - 9 * i),
  }));
  return {
    tools,
    clients: clientRows,
    tool_usage: { metric: 'datadog.mcp.tool.usage', status: 'ok', total_calls: total, link: METRIC_LINK },
  };
}

/**
 * Counts per kind of the given flags, every kind present (zero included); `autonomous_change`
 * only when a flag is of it or `activity` is `all` (a report of `activity: mcp` has no such count).
 */
export function countFlags(
  flags: readonly AnomalyFlag[],
  activity: 'all' | 'mcp' = 'mcp',
): Record<AnomalyKind, number> {
  const counts = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
  for (const flag of flags) counts[flag.kind] += 1;
  if (activity === 'mcp' && counts.autonomous_change === 0) delete (counts as Partial<typeof counts>).autonomous_change;
  return counts;
}

/** A quiet but complete week: 7 days in UTC, a baseline, no anomalies. Override anything. */
export function makeSummary(overrides: Partial<Summary> = {}): Summary {
  const from = Date.UTC(2026, 10, 16, 0, 0, 0);
  const to = from + 7 * DAY;
  const daily = [301, 288, 412, 356, 333, 170, 140];
  const base: Summary = {
    schema: 1,
    org: 'Acme',
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    timezone: 'UTC',
    complete: true,
    total_tool_calls: daily.reduce((a, b) => a + b, 0),
    unique_users: 67,
    top_users: [
      { user: 'ana@example.com', calls: 467 },
      { user: 'bo@example.com', calls: 301 },
      { user: 'chen@example.com', calls: 220 },
      { user: 'dana@example.com', calls: 180 },
      { user: 'eli@example.com', calls: 95 },
    ],
    actions_breakdown: [
      { action: 'accessed', count: 1568 },
      { action: 'modified', count: 280 },
      { action: 'created', count: 120 },
      { action: 'deleted', count: 32 },
    ],
    resource_types: [
      { type: 'dashboard', count: 600 },
      { type: 'monitor', count: 540 },
      { type: 'notebook', count: 410 },
      { type: 'log_query', count: 300 },
      { type: 'incident', count: 150 },
    ],
    daily_calls: daily.map((calls, i) => ({ date: new Date(from + i * DAY).toISOString().slice(0, 10), calls })),
    previous_window: { total_tool_calls: 1800, unique_users: 60 },
    baseline: { from: new Date(from - 28 * DAY).toISOString(), to: new Date(from).toISOString(), events: 7400 },
    anomalies: [],
    anomaly_counts: countFlags([]),
    changes: { total: 0, items: [] },
    malformed_events: 0,
    data_gaps: { window: [], baseline: [] },
    link: LINK,
    ...makeToolUsage(2000),
    warnings: [],
  };
  return { ...base, ...overrides };
}

/** A busy week: many anomalies of every severity, 200 changes, long but ordinary names. */
export function makeBusySummary(anomalyCount = 40): Summary {
  const kinds: ReadonlyArray<[AnomalyKind, Severity, string, string]> = [
    ['destructive_action', 'high', 'deleted', 'Deleted monitor "Checkout p99 latency"'],
    ['support_user', 'high', 'accessed', 'A Datadog support user called the MCP server'],
    ['high_volume', 'medium', 'accessed', '143 calls within 10 minutes'],
    ['out_of_scope', 'medium', 'modified', 'First call on security_rule (not in the 28-day baseline)'],
    ['new_country', 'medium', 'accessed', 'First call from Brazil (baseline: Germany, France)'],
    [
      'first_time_user',
      'low',
      'accessed',
      'First MCP use: no calls in the 28 days before this week; 6 calls this week, the first on 2026-11-17 10:04',
    ],
  ];
  const flags: AnomalyFlag[] = [];
  for (let i = 0; i < anomalyCount; i += 1) {
    const [kind, severity, action, detail] = kinds[i % kinds.length]!;
    flags.push(makeFlag({ kind, severity, action, detail, resource_type: i % 2 ? 'dashboard' : 'monitor' }, i));
  }
  const order: Record<Severity, number> = { high: 0, medium: 1, low: 2 };
  flags.sort((a, b) => order[a.severity] - order[b.severity] || a.timestamp.localeCompare(b.timestamp));
  const changes: ChangeItem[] = Array.from({ length: 200 }, (_, i) => ({
    timestamp: new Date(Date.UTC(2026, 10, 22, 20, 0, 0) - i * 600_000).toISOString(),
    user: `user${i % 30}@example.com`,
    action: i % 5 === 0 ? 'deleted' : i % 3 === 0 ? 'created' : 'modified',
    resource_type: i % 2 ? 'dashboard' : 'monitor',
    resource_id: `res-${10_000 + i}`,
    resource_name: `Service ${i} — error budget burn rate (p99, production, eu-west-1)`,
  }));
  const summary = makeSummary({
    org: 'Acme Corporation',
    timezone: 'Europe/Berlin',
    window: { from: '2026-11-15T23:00:00.000Z', to: '2026-11-22T23:00:00.000Z' },
    total_tool_calls: 48_213,
    unique_users: 412,
    previous_window: { total_tool_calls: 51_002, unique_users: 398 },
    top_users: [
      { user: 'ana.lopez-hernandez@engineering.example.com', calls: 4_671 },
      { user: 'bo@example.com', calls: 3_012 },
      { user: 'Chen Wei', calls: 2_204 },
      { user: 'dana@example.com', calls: 1_800 },
      { user: 'eli@example.com', calls: 951 },
    ],
    actions_breakdown: [
      { action: 'accessed', count: 40_113 },
      { action: 'modified', count: 5_200 },
      { action: 'created', count: 2_100 },
      { action: 'deleted', count: 700 },
      { action: '(unknown)', count: 100 },
    ],
    resource_types: Array.from({ length: 14 }, (_, i) => ({ type: `resource_type_${i}`, count: 10_000 - i * 600 })),
    daily_calls: [7_012, 8_430, 9_901, 8_800, 7_600, 3_270, 3_200].map((calls, i) => ({
      date: `2026-11-${String(16 + i).padStart(2, '0')}`,
      calls,
    })),
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    changes: { total: 8_000, items: changes },
    ...makeToolUsage(47_981, [...TOOL_NAMES, 'search_datadog_rum_events', 'get_datadog_incident', 'list_datadog_slos']),
  });
  return summary;
}

/** Values an attacker could put into audit events (user names, resource ids, details). */
export const HOSTILE_VALUES: readonly string[] = [
  '<!channel>',
  `x${'ñ'.repeat(4_999)}`,
  'Zürich — 東京 — Москва — مرحبا — 👩🏽‍💻',
  '<!here>',
  '<@U123>',
  '<https://evil.example|click>',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '{{org}}',
  '<!everyone>',
  '<#C0123ABCD>',
  '{{anomalies}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: template syntax in data is the point
  '${process.env}',
  // Bidirectional controls: an override that shows `admin…exe.png@…`, isolates and marks.
  'admin\u202Egnp.exe@example.com',
  '\u2066isolated\u2069 \u200Fmarked\u200E \u061Calm',
  // Slack formatting characters that must not format the post.
  '*bold* _italic_ ~struck~',
];

/** A summary whose every audit-derived string is hostile. */
export function makeHostileSummary(): Summary {
  const pick = (i: number): string => HOSTILE_VALUES[i % HOSTILE_VALUES.length]!;
  const flags = HOSTILE_VALUES.map((_, i) =>
    makeFlag(
      { user: pick(i), action: pick(i + 1), resource_type: pick(i + 2), resource_id: pick(i + 3), detail: pick(i + 4) },
      i,
    ),
  );
  const mutable = makeSummary({
    org: 'Acme <b>&</b> {{org}}',
    top_users: HOSTILE_VALUES.slice(0, 5).map((user, i) => ({ user, calls: 100 - i })),
    actions_breakdown: HOSTILE_VALUES.map((action, i) => ({ action, count: 50 - i })),
    resource_types: HOSTILE_VALUES.map((type, i) => ({ type, count: 40 - i })),
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    changes: {
      total: HOSTILE_VALUES.length,
      items: HOSTILE_VALUES.map((v, i) => ({
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString(),
        user: pick(i),
        action: pick(i + 1),
        resource_type: pick(i + 2),
        resource_id: pick(i + 3),
        resource_name: v,
      })),
    },
    complete: false,
    ...makeToolUsage(900, HOSTILE_VALUES, HOSTILE_VALUES.slice(0, 12)),
    warnings: ['Page timed out <!channel> <script>x</script>', `Warning ${'w'.repeat(5_000)}`],
  }) as Mutable<Summary>;
  return mutable;
}

/** A week with `count` anomalies (and 5000-character ids), for the size and limit checks. */
export function makeHugeSummary(count = 5_000): Summary {
  const longId = `id-${'9'.repeat(4_997)}`;
  const severities: Severity[] = ['high', 'medium', 'low'];
  const flags = Array.from({ length: count }, (_, i) =>
    makeFlag(
      { severity: severities[Math.floor((i * 3) / count)] ?? 'low', resource_id: longId, user: `${longId}@x` },
      i,
    ),
  );
  return makeSummary({
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    top_users: Array.from({ length: 5 }, (_, i) => ({ user: `${longId}-${i}`, calls: 1000 - i })),
    actions_breakdown: Array.from({ length: 500 }, (_, i) => ({ action: `${longId}-${i}`, count: 500 - i })),
    resource_types: Array.from({ length: 500 }, (_, i) => ({ type: `${longId}-${i}`, count: 500 - i })),
    changes: {
      total: 10_000,
      items: Array.from({ length: 200 }, (_, i) => ({
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 1000).toISOString(),
        user: longId,
        action: 'modified',
        resource_type: longId,
        resource_id: longId,
        resource_name: longId,
      })),
    },
    complete: false,
    ...makeToolUsage(
      250_000,
      Array.from({ length: 500 }, (_, i) => `${longId}-tool-${i}`),
      Array.from({ length: 200 }, (_, i) => `${longId}-client-${i}`),
    ),
    warnings: Array.from({ length: 100 }, (_, i) => `Slice ${i} timed out ${longId}`),
  });
}
