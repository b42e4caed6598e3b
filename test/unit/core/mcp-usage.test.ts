/**
 * The metric's side of the summary (core/mcp-usage.ts, core/client-anomalies.ts): the `tools` and
 * `clients` lists with their week-over-week change, callers matched to the audit's people, why a
 * section is empty, and the `new_client` rule at and around its edges. Pure: values in, values out.
 */
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { narrowUsageData } from '../../../functions/weekly-report/core/mcp-usage';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import type {
  McpUsage,
  McpUsageData,
  ReportSettings,
  Summary,
  SuppressRule,
} from '../../../functions/weekly-report/core/types';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { auditEvent, person } from '../../support/audit-events';

const DAY = 86_400_000;
const FROM = Date.parse('2026-11-16T00:00:00Z');
const TO = FROM + 7 * DAY;
const BASELINE_FROM = FROM - 28 * DAY;

/** One metric row: who (user_id, user_email; either may be missing), which tool, which client, how many calls. */
type Row = readonly [
  userId: string | undefined,
  email: string | undefined,
  tool: string,
  client: string,
  calls: number,
];

/** The usage the metric would report for `rows`: every grouping summed from the same calls. */
function usageOf(rows: readonly Row[], truncated = false): McpUsage {
  const sum = <K extends string>(key: (r: Row) => K) => {
    const out = new Map<K, number>();
    for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + r[4]);
    return out;
  };
  const caller = (r: Row) => ({ ...(r[0] ? { userId: r[0] } : {}), ...(r[1] ? { email: r[1] } : {}) });
  const callerTools = new Map<string, McpUsage['callerTools'][number]>();
  const callerClients = new Map<string, McpUsage['callerClients'][number]>();
  for (const r of rows) {
    const t = `${r[0]}|${r[1]}|${r[2]}`;
    callerTools.set(t, { ...caller(r), tool: r[2], calls: (callerTools.get(t)?.calls ?? 0) + r[4] });
    const c = `${r[0]}|${r[1]}|${r[3]}`;
    callerClients.set(c, { ...caller(r), client: r[3], calls: (callerClients.get(c)?.calls ?? 0) + r[4] });
  }
  return {
    tools: [...sum((r) => r[2])].map(([tool, calls]) => ({ tool, calls })),
    clients: [...sum((r) => r[3])].map(([client, calls]) => ({ client, calls })),
    callerTools: [...callerTools.values()],
    callerClients: [...callerClients.values()],
    ...(truncated ? { truncated } : {}),
  };
}

const ok = (rows: readonly Row[], truncated = false) => ({ status: 'ok' as const, usage: usageOf(rows, truncated) });

const ana = person('ana');
const bo = person('bo');

/** A week where ana and bo called (audit), a baseline where both did too, and the metric's view of them. */
function run(
  usage: McpUsageData | undefined,
  options: { settings?: Partial<ReportSettings>; windowEvents?: unknown[]; baseline?: boolean } = {},
): Summary {
  const window = new WindowAggregate();
  for (const e of options.windowEvents ?? [
    auditEvent({ at: FROM + DAY, user: ana }),
    auditEvent({ at: FROM + 2 * DAY, user: bo }),
  ]) {
    window.add(e);
  }
  let baseline: BaselineAggregate | undefined;
  if (options.baseline !== false) {
    baseline = new BaselineAggregate({ from: FROM - 7 * DAY, to: FROM }, { range: { from: BASELINE_FROM, to: FROM } });
    baseline.add(auditEvent({ at: FROM - 3 * DAY, user: ana }));
    baseline.add(auditEvent({ at: FROM - 3 * DAY, user: bo }));
  }
  return summarize(
    window,
    baseline,
    reportSettings({
      org: 'Acme',
      window: { from: FROM, to: TO },
      ...(baseline ? { baselineWindow: { from: BASELINE_FROM, to: FROM } } : {}),
      ...options.settings,
    }),
    usage,
  );
}

const newClient = (s: Summary) => s.anomalies.filter((a) => a.kind === 'new_client');

describe('tools and clients', () => {
  it('lists every tool with calls, most first (ties by name), with its change from the previous window', () => {
    // Act
    const s = run({
      window: ok([
        ['u-ana', 'ana@example.com', 'search_logs', 'claude', 5],
        ['u-bo', 'bo@example.com', 'get_monitor', 'cursor', 5],
        ['u-bo', 'bo@example.com', 'delete_monitor', 'cursor', 1],
        ['u-ana', 'ana@example.com', 'get_dashboard', 'claude', 9],
      ]),
      previous: ok([
        ['u-ana', 'ana@example.com', 'get_dashboard', 'claude', 4],
        ['u-ana', 'ana@example.com', 'search_spans', 'claude', 7],
        ['u-bo', 'bo@example.com', 'search_logs', 'cursor', 5],
      ]),
    });

    // Assess: search_spans had calls only before, so it is not listed
    expect(s.tools).toEqual([
      { tool: 'get_dashboard', calls: 9, previous_calls: 4, change: 5 },
      { tool: 'get_monitor', calls: 5, previous_calls: 0, change: 5 },
      { tool: 'search_logs', calls: 5, previous_calls: 5, change: 0 },
      { tool: 'delete_monitor', calls: 1, previous_calls: 0, change: 1 },
    ]);
    expect(s.tool_usage).toMatchObject({ metric: 'datadog.mcp.tool.usage', status: 'ok', total_calls: 20 });
  });

  it('counts the distinct people of each client, a caller known by id or by e-mail alone being one person', () => {
    // Act: ana appears with her id, and once with her e-mail only (a point without user_id)
    const s = run({
      window: ok([
        ['u-ana', 'ana@example.com', 'search_logs', 'claude', 3],
        [undefined, 'ANA@example.com', 'search_logs', 'claude', 2],
        ['u-bo', 'bo@example.com', 'search_logs', 'claude', 1],
        ['u-bo', 'bo@example.com', 'get_monitor', 'cursor', 4],
      ]),
      previous: ok([['u-ana', 'ana@example.com', 'search_logs', 'claude', 1]]),
    });

    // Assess
    expect(s.clients).toEqual([
      { client: 'claude', calls: 6, people: 2, previous_calls: 1, previous_people: 1 },
      { client: 'cursor', calls: 4, people: 1, previous_calls: 0, previous_people: 0 },
    ]);
  });

  it('shows no change where the previous window is not known', () => {
    // Act
    const s = run({ window: ok([['u-ana', 'ana@example.com', 'search_logs', 'claude', 3]]) });

    // Assess
    expect(s.tools).toEqual([{ tool: 'search_logs', calls: 3, previous_calls: null, change: null }]);
    expect(s.clients?.[0]).toMatchObject({ previous_calls: null, previous_people: null });
  });

  it('leaves the sections out with the reason, a note and new_client not evaluated, when the metric could not be read; the audit report stays complete', () => {
    // Act
    const reason = 'Datadog refused the metric query (HTTP 403): the application key needs the timeseries_query scope';
    const s = run({ window: { status: 'unavailable', reason }, baseline: ok([]) });

    // Assess
    expect(s.tools).toBeNull();
    expect(s.clients).toBeNull();
    expect(s.tool_usage).toMatchObject({ status: 'unavailable', reason });
    expect(s.warnings.some((w) => w.includes(reason))).toBe(true);
    expect(s.anomaly_counts.new_client).toBeNull();
    expect(s.complete).toBe(true);
    expect(s.total_tool_calls).toBe(2);
  });

  it('says the metric has no data when it holds no calls while Audit Trail does, and shows empty lists of a quiet week', () => {
    // Act
    const noData = run({ window: ok([]), baseline: ok([]) });
    const quiet = run({ window: ok([]) }, { windowEvents: [] });

    // Assess
    expect(noData.tools).toBeNull();
    expect(noData.tool_usage?.reason).toMatch(/holds no calls for this window while Audit Trail holds 2/);
    expect(noData.warnings.join(' ')).toMatch(/not shown/);
    expect(quiet.tools).toEqual([]);
    expect(quiet.clients).toEqual([]);
    expect(quiet.tool_usage?.status).toBe('ok');
  });

  it('says the metric was not read, without a note, when nobody asked for it', () => {
    // Act
    const s = run(undefined);

    // Assess
    expect(s.tools).toBeNull();
    expect(s.tool_usage).toMatchObject({ status: 'not_fetched' });
    expect(s.warnings.join(' ')).not.toMatch(/Tools and MCP clients/);
    expect(s.anomaly_counts.new_client).toBeNull();
  });

  it('notes a query that came back at its row limit', () => {
    // Act
    const s = run({ window: ok([['u-ana', 'ana@example.com', 'search_logs', 'claude', 3]], true) });

    // Assess
    expect(s.tool_usage?.truncated).toBe(true);
    expect(s.warnings.join(' ')).toMatch(/row limit/);
  });

  it('links to the metric in the Metrics Explorer of the site, over the window', () => {
    // Act
    const s = run({ window: ok([]) }, { settings: { site: 'datadoghq.eu' }, windowEvents: [] });

    // Assess
    const url = new URL(s.tool_usage!.link);
    expect(url.host).toBe('app.datadoghq.eu');
    expect(url.pathname).toBe('/metric/explorer');
    expect(url.searchParams.get('exp_metric')).toBe('datadog.mcp.tool.usage');
    expect(url.searchParams.get('exp_agg')).toBe('count');
    expect(Number(url.searchParams.get('from_ts'))).toBe(FROM);
    expect(Number(url.searchParams.get('to_ts'))).toBe(TO);
  });
});

describe('new_client', () => {
  const baseline = ok([
    ['u-ana', 'ana@example.com', 'search_logs', 'claude', 30],
    ['u-bo', 'bo@example.com', 'search_logs', 'cursor', 12],
    ['u-bo', 'bo@example.com', 'search_logs', 'claude', 1],
  ]);

  it('flags a person calling through a client absent from their baseline, once per person and client', () => {
    // Act
    const s = run({
      window: ok([
        ['u-ana', 'ana@example.com', 'search_logs', 'claude', 4],
        ['u-ana', 'ana@example.com', 'search_logs', 'codex', 2],
        ['u-ana', 'ana@example.com', 'get_monitor', 'codex', 1],
        ['u-bo', 'bo@example.com', 'search_logs', 'claude', 9],
      ]),
      baseline,
    });

    // Assess
    const flags = newClient(s);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      kind: 'new_client',
      severity: 'low',
      user: 'ana@example.com',
      client: 'codex',
      count: 3,
      timestamp: new Date(FROM).toISOString(),
    });
    expect(flags[0]!.detail).toBe(
      'Calls through codex (3 this week); the 28 days before this week went only through: claude',
    );
    expect(s.anomaly_counts.new_client).toBe(1);
  });

  it('links a flag to the metric narrowed to the person and the client', () => {
    // Act
    const s = run({ window: ok([['u-ana', 'ana@example.com', 'search_logs', 'codex', 2]]), baseline });

    // Assess
    const url = new URL(newClient(s)[0]!.link);
    expect(url.pathname).toBe('/metric/explorer');
    expect(url.searchParams.get('exp_scope')).toBe('client:codex,user_email:ana@example.com');
  });

  it('does not flag a newcomer (first_time_user says it), an unknown caller or an unknown client', () => {
    // Act
    const s = run({
      window: ok([
        ['u-newbie', 'newbie@example.com', 'search_logs', 'codex', 2],
        [undefined, undefined, 'search_logs', 'vscode', 2],
        ['u-ana', 'ana@example.com', 'search_logs', '(unknown)', 2],
      ]),
      baseline,
    });

    // Assess
    expect(newClient(s)).toEqual([]);
    expect(s.anomaly_counts.new_client).toBe(0);
  });

  it('matches a caller to the audit person by id first, then by e-mail', () => {
    // Act: the baseline knows ana by e-mail only, the window by id only
    const s = run({
      window: ok([['u-ana', undefined, 'search_logs', 'cursor', 2]]),
      baseline: ok([[undefined, 'ana@example.com', 'search_logs', 'claude', 5]]),
    });

    // Assess: both rows are ana, shown by her e-mail
    expect(newClient(s).map((f) => [f.user, f.client])).toEqual([['ana@example.com', 'cursor']]);
  });

  it('counts an agent’s calls for the agent, the caller the metric names, not for the person it acted for', () => {
    // Prepare: the audit window names ana (the delegator); the metric names the agent
    const agent = { id: 'svc-bits-ai-0001', email: 'bits-ai-agent@example.com', name: 'Bits AI agent' };

    // Act
    const s = run(
      {
        window: ok([['svc-bits-ai-0001', 'bits-ai-agent@example.com', 'search_logs', 'codex', 2]]),
        baseline: ok([['svc-bits-ai-0001', 'bits-ai-agent@example.com', 'search_logs', 'claude', 5]]),
      },
      { windowEvents: [auditEvent({ at: FROM + DAY, user: agent, delegator: ana })] },
    );

    // Assess
    expect(newClient(s).map((f) => f.user)).toEqual(['bits-ai-agent@example.com']);
    expect(s.top_users.map((u) => u.user)).toEqual(['ana@example.com']);
  });

  it('takes its severity from thresholds.newClientSeverity', () => {
    // Act
    const s = run(
      { window: ok([['u-ana', 'ana@example.com', 'search_logs', 'codex', 2]]), baseline },
      { settings: { thresholds: { ...reportSettings({ org: 'x' }).thresholds, newClientSeverity: 'medium' } } },
    );

    // Assess
    expect(newClient(s)[0]?.severity).toBe('medium');
  });

  it.each<[string, SuppressRule, number]>([
    ['kind and user', { kind: 'new_client', user: 'ANA@example.com' }, 1],
    ['kind and client', { kind: 'new_client', client: 'Codex' }, 1],
    ['kind and another client', { kind: 'new_client', client: 'cursor' }, 2],
    ['another kind with the client', { kind: 'new_country', client: 'codex' }, 2],
  ])('is suppressed by %s', (_, rule, left) => {
    // Act
    const s = run(
      {
        window: ok([
          ['u-ana', 'ana@example.com', 'search_logs', 'codex', 2],
          ['u-bo', 'bo@example.com', 'search_logs', 'vscode', 1],
        ]),
        baseline,
      },
      { settings: { suppress: [rule] } },
    );

    // Assess
    expect(newClient(s)).toHaveLength(left);
    expect(s.anomaly_counts.new_client).toBe(left);
  });

  it.each<[string, McpUsageData | undefined, { baseline?: boolean }]>([
    ['without a baseline', { window: ok([['u-ana', 'ana@example.com', 'x', 'codex', 1]]) }, { baseline: false }],
    [
      'when the metric’s baseline could not be read',
      {
        window: ok([['u-ana', 'ana@example.com', 'x', 'codex', 1]]),
        baseline: { status: 'unavailable', reason: 'Datadog unavailable (HTTP 503)' },
      },
      {},
    ],
    [
      'when the metric holds nothing in the baseline (every client would look new)',
      { window: ok([['u-ana', 'ana@example.com', 'x', 'codex', 1]]), baseline: ok([]) },
      {},
    ],
  ])('is not evaluated (null) %s', (_, usage, options) => {
    // Act
    const s = run(usage, options);

    // Assess
    expect(s.anomaly_counts.new_client).toBeNull();
    expect(newClient(s)).toEqual([]);
    expect(s.warnings.join(' ')).toMatch(/new_client was not evaluated|new_client were not evaluated/);
  });
});

describe('narrowUsageData (--user)', () => {
  it('keeps one person’s rows, by e-mail or id in any case, and sums their tools and clients', () => {
    // Prepare
    const data: McpUsageData = {
      window: ok([
        ['u-ana', 'ana@example.com', 'search_logs', 'claude', 3],
        ['u-ana', 'ana@example.com', 'get_monitor', 'cursor', 1],
        ['u-bo', 'bo@example.com', 'search_logs', 'claude', 7],
      ]),
      baseline: ok([['u-ana', 'ana@example.com', 'search_logs', 'claude', 3]]),
    };

    // Act
    const byEmail = narrowUsageData(data, 'ANA@example.com');
    const byId = narrowUsageData(data, 'u-ana');
    const s = run(byEmail, { windowEvents: [auditEvent({ at: FROM + DAY, user: ana })] });

    // Assess
    expect(byId.window).toEqual(byEmail.window);
    expect(byId.baseline).toEqual(byEmail.baseline);
    expect(s.tools?.map((t) => [t.tool, t.calls])).toEqual([
      ['search_logs', 3],
      ['get_monitor', 1],
    ]);
    expect(s.clients?.map((c) => [c.client, c.calls, c.people])).toEqual([
      ['claude', 3, 1],
      ['cursor', 1, 1],
    ]);
    expect(newClient(s).map((f) => f.client)).toEqual(['cursor']);
  });

  it('shows empty lists, not "no data", for a person without calls of their own in the metric', () => {
    // Act
    const s = run(narrowUsageData({ window: ok([['u-bo', 'bo@example.com', 'x', 'claude', 2]]) }, 'ana@example.com'), {
      windowEvents: [auditEvent({ at: FROM + DAY, user: ana })],
    });

    // Assess
    expect(s.tools).toEqual([]);
    expect(s.tool_usage?.status).toBe('ok');
  });
});
