/**
 * Every kind of AI activity Datadog records (docs/ai-activity.md), read through the real Datadog
 * client from the audit API emulator on 127.0.0.1: which events each query finds (the emulator
 * reads `OR`, tags and `field:*` as Datadog does); the seed's five keys still equal the seed's
 * `jq` over the `MCP Server` events of a week that also holds actions through the MCP server and
 * Datadog AI agents' events; `ai_activity` counts each distinct event once, whatever kinds it is
 * of and however often Datadog serves it; its autonomous and per-agent figures are exact; and a
 * report of `activity: mcp` is byte for byte the report made before the other kinds were read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatadogAuditSource } from '../../functions/weekly-report/adapters/datadog/audit-source';
import { createDatadogMetricsSource } from '../../functions/weekly-report/adapters/datadog/metrics-source';
import { AGENT_QUERY, AI_ACTIVITY_QUERY, MCP_ACTION_QUERY, MCP_QUERY } from '../../functions/weekly-report/core/links';
import { WHOLE_ORG } from '../../functions/weekly-report/core/scope';
import {
  type Activity,
  type ReportSettings,
  reportSettings,
  type Summary,
} from '../../functions/weekly-report/core/types';
import { analyzeReport } from '../../functions/weekly-report/pipeline/analyze';
import { readShares } from '../../functions/weekly-report/pipeline/read';
import { renderReport } from '../../functions/weekly-report/render';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, generateScenario, type RawAuditEvent } from '../support/generator';

const DAY = 86_400_000;
const END = new Date('2026-11-23T00:00:00.000Z');
const WINDOW = { from: END.getTime() - 7 * DAY, to: END.getTime() };

type Inner = {
  evt?: { name?: unknown; actor?: { mode?: unknown; name?: unknown } };
  usr?: { id?: unknown; email?: unknown; name?: unknown };
  delegator?: { id?: unknown; email?: unknown; name?: unknown };
  is_mcp_call?: unknown;
  action?: unknown;
};

function inner(e: RawAuditEvent): Inner {
  return ((e.attributes as { attributes?: Inner } | undefined)?.attributes ?? {}) as Inner;
}

// What each kind is, written from Datadog's guide here, independently of the code under test.
const isMcpServer = (e: RawAuditEvent): boolean => inner(e).evt?.name === 'MCP Server';
const isMcpAction = (e: RawAuditEvent): boolean =>
  inner(e).is_mcp_call === true ||
  ((e.attributes as { tags?: unknown } | undefined)?.tags as unknown[] | undefined)?.includes('is_mcp_call:true') ===
    true;
const modeOf = (e: RawAuditEvent): unknown => inner(e).evt?.actor?.mode;
const isAgent = (e: RawAuditEvent): boolean => modeOf(e) !== undefined && modeOf(e) !== null;
const isAi = (e: RawAuditEvent): boolean => isMcpServer(e) || isMcpAction(e) || isAgent(e);
const inWindow = (e: RawAuditEvent): boolean => {
  const t = Date.parse(String((e.attributes as { timestamp?: unknown }).timestamp));
  return t >= WINDOW.from && t < WINDOW.to;
};

/** Every event id a search of `query` over the window returns, paging to the end, by plain HTTP. */
async function searchIds(emulator: DatadogEmulator, query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const response = await fetch(`${emulator.url}/api/v2/audit/events/search`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'dd-api-key': emulator.apiKey,
        'dd-application-key': emulator.appKey,
      },
      body: JSON.stringify({
        filter: { query, from: new Date(WINDOW.from).toISOString(), to: new Date(WINDOW.to).toISOString() },
        page: { limit: 1000, ...(cursor ? { cursor } : {}) },
        sort: 'timestamp',
      }),
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { data: RawAuditEvent[]; meta?: { page?: { after?: string } } };
    if (page.data.length === 0) return ids;
    ids.push(...page.data.map((e) => String(e.id)));
    cursor = page.meta?.page?.after;
    if (!cursor) return ids;
  }
}

interface Run {
  readonly summary: Summary;
  readonly files: Readonly<Record<string, string>>;
  /** Requests the emulator answered for the run (audit searches and metric queries). */
  readonly requests: number;
}

/** One report of `activity` through the real sources, the shared read, the analysis and the renderers. */
async function runReport(
  emulator: DatadogEmulator,
  activity: Activity | undefined,
  over: Partial<ReportSettings> = {},
): Promise<Run> {
  const options = { apiKey: emulator.apiKey, appKey: emulator.appKey, baseUrl: emulator.url };
  const before = emulator.stats.requests;
  const [data] = await readShares(
    createDatadogAuditSource(options),
    {
      window: WINDOW,
      timezone: 'UTC',
      windowDays: 7,
      baselineDays: 28,
      ...(activity ? { activity } : {}),
      usage: createDatadogMetricsSource(options),
    },
    [{ share: WHOLE_ORG }],
  );
  const requests = emulator.stats.requests - before;
  const settings = { ...reportSettings({ org: 'Acme' }), ...(activity ? { activity } : {}), ...over };
  const summary = await analyzeReport(data!, WHOLE_ORG, settings, { window: WINDOW, windowDays: 7 });
  const rendered = renderReport(summary, { slackChannel: 'C0AIAUDIT01' });
  return {
    summary,
    requests,
    files: {
      'summary.json': JSON.stringify(summary, null, 2),
      'email.html': rendered.html,
      'email.txt': rendered.text,
      'subject.txt': rendered.subject,
      'slack.json': JSON.stringify(rendered.slack, null, 2),
    },
  };
}

describe('every kind of AI activity, read from the emulator', () => {
  const scenario = generateScenario({ seed: 2026, end: END });
  // Datadog may serve one event twice (a replayed page, an event in two answers): a few copies,
  // same id (of the other kinds: an MCP Server copy would also count twice in the usage metric).
  const copies = scenario.window.filter((e) => isAi(e) && !isMcpServer(e)).filter((_, i) => i % 9 === 0);
  let emulator: DatadogEmulator;
  let all: Run;

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window, ...copies] });
    all = await runReport(emulator, undefined);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('has the emulator return, for each query, exactly the events Datadog would', async () => {
    // Prepare: what each query finds, by the guide's definitions (a tag or an attribute for is_mcp_call)
    const week = scenario.window.filter(inWindow);
    const expected = (match: (e: RawAuditEvent) => boolean): string[] =>
      [...new Set(week.filter(match).map((e) => String(e.id)))].sort();
    const distinct = async (query: string): Promise<string[]> => [...new Set(await searchIds(emulator, query))].sort();

    // Act / Assess
    expect(await distinct(MCP_QUERY)).toEqual(expected(isMcpServer));
    expect(await distinct(MCP_ACTION_QUERY)).toEqual(expected(isMcpAction));
    expect(await distinct(AGENT_QUERY)).toEqual(expected(isAgent));
    expect(await distinct(AI_ACTIVITY_QUERY)).toEqual(expected(isAi));
    expect(await distinct('@evt.actor.mode:autonomous')).toEqual(expected((e) => modeOf(e) === 'autonomous'));
    expect(await distinct('@evt.actor.mode:* -@evt.name:"MCP Server"')).toEqual(
      expected((e) => isAgent(e) && !isMcpServer(e)),
    );
    // The kinds overlap (an MCP Server call with is_mcp_call, an agent acting through MCP): the OR finds each once.
    const tag = week.filter((e) => isMcpAction(e) && inner(e).is_mcp_call !== true);
    expect(tag.length).toBeGreaterThan(0);
    expect(week.filter((e) => isMcpServer(e) && isMcpAction(e)).length).toBe(scenario.planted.bothKinds);
    expect(week.filter((e) => isMcpServer(e) && isAgent(e)).length).toBeGreaterThan(0);
  });

  it("keeps the seed's five keys the seed's jq over the MCP Server events, with the other kinds in the week", async () => {
    // Prepare: a seed-compatible week of MCP calls (some also flagged is_mcp_call) and 15% other kinds
    const week = [
      ...generateEvents({
        seed: 31,
        from: new Date(WINDOW.from),
        to: new Date(WINDOW.to),
        count: 3000,
        seedCompatible: true,
        aiActivityRate: 0.15,
      }),
    ];
    for (const [i, e] of week.entries()) if (i % 40 === 0 && isMcpServer(e)) inner(e).is_mcp_call = true;
    expect(week.filter((e) => !isMcpServer(e)).length).toBeGreaterThan(300);
    const program = readFileSync(join(__dirname, '../fixtures/seed/weekly-summary.jq'), 'utf8');
    const jq = await (require('jq-web') as Promise<{ json(input: unknown, filter: string): unknown }>);
    const expected = jq.json({ data: week.filter(isMcpServer) }, program);
    const local = await startDatadogEmulator({ events: week });

    try {
      // Act
      const { summary } = await runReport(local, 'all');

      // Assess
      expect({
        total_tool_calls: summary.total_tool_calls,
        unique_users: summary.unique_users,
        top_users: summary.top_users,
        actions_breakdown: summary.actions_breakdown,
        resource_types: summary.resource_types,
      }).toEqual(expected);
      expect(summary.ai_activity?.total).toBe(week.filter(isAi).length);
    } finally {
      await local.close();
    }
  });

  it('counts every distinct AI event once: served twice, or of two kinds at once', () => {
    // Prepare
    const ai = all.summary.ai_activity!;
    const distinct = new Set(scenario.window.filter((e) => inWindow(e) && isAi(e)).map((e) => String(e.id)));
    const week = scenario.window.filter(inWindow);

    // Assess
    expect(copies.length).toBeGreaterThan(0);
    expect(ai.total).toBe(distinct.size);
    expect(ai.by_kind.mcp_tool_call).toBe(week.filter(isMcpServer).length);
    expect(ai.by_kind.mcp_action).toBe(week.filter((e) => !isMcpServer(e) && isMcpAction(e)).length);
    expect(ai.by_kind.agent_action).toBe(week.filter((e) => !isMcpServer(e) && !isMcpAction(e) && isAgent(e)).length);
    expect(ai.by_kind.mcp_tool_call + ai.by_kind.mcp_action + ai.by_kind.agent_action).toBe(ai.total);
    expect(all.summary.total_tool_calls).toBe(week.filter(isMcpServer).length);
    expect(ai.daily.reduce((n, d) => n + d.events, 0)).toBe(ai.total);
  });

  it('gives exact autonomous, interactive and per-agent figures, and the attribution share', () => {
    // Prepare: the agent of an event is evt.actor.name, else the usr it acted as (for a delegator, or
    // autonomously), else "unnamed agent"; its people are the distinct delegators.
    const agents = new Map<string, { events: number; interactive: number; autonomous: number; people: Set<string> }>();
    let withDelegator = 0;
    const week = scenario.window.filter((e) => inWindow(e) && isAgent(e));
    for (const e of week) {
      const i = inner(e);
      const usrIsAgent = i.delegator !== undefined || modeOf(e) === 'autonomous';
      const name = String(
        i.evt?.actor?.name ?? (usrIsAgent ? (i.usr?.name ?? i.usr?.email ?? i.usr?.id) : undefined) ?? 'unnamed agent',
      );
      const agent = agents.get(name) ?? { events: 0, interactive: 0, autonomous: 0, people: new Set<string>() };
      agents.set(name, agent);
      agent.events++;
      if (modeOf(e) === 'autonomous') agent.autonomous++;
      if (modeOf(e) === 'interactive') agent.interactive++;
      if (i.delegator !== undefined) {
        withDelegator++;
        agent.people.add(String(i.delegator.id));
      }
    }
    const ai = all.summary.ai_activity!;

    // Assess
    expect(ai.autonomous).toBe(week.filter((e) => modeOf(e) === 'autonomous').length);
    expect(ai.interactive).toBe(week.filter((e) => modeOf(e) === 'interactive').length);
    expect(ai.autonomous).toBeGreaterThan(scenario.planted.burstCalls); // the burst and the agents' own triggers
    expect(
      [...ai.agents]
        .sort((a, b) => a.agent.localeCompare(b.agent))
        .map((a) => [a.agent, a.events, a.interactive, a.autonomous, a.people]),
    ).toEqual(
      [...agents]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([name, a]) => [name, a.events, a.interactive, a.autonomous, a.people.size]),
    );
    expect(ai.agents.map((a) => a.agent)).toContain('unnamed agent');
    expect(ai.attribution).toEqual({
      agent_events: week.length,
      with_delegator: withDelegator,
      share: Math.round((withDelegator / week.length) * 10_000) / 10_000,
    });
  });

  it('flags the autonomous change, as the agent, and a suppression by agent accepts it', async () => {
    // Assess
    const flags = all.summary.anomalies.filter((f) => f.kind === 'autonomous_change');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      severity: 'medium',
      user: scenario.planted.autonomousAgent,
      agent: scenario.planted.autonomousAgent,
      mode: 'autonomous',
      action: 'modified',
      resource_type: 'monitor',
      timestamp: scenario.planted.autonomousChangeAt,
    });
    expect(decodeURIComponent(flags[0]!.link)).toContain('@evt.actor.mode:"autonomous"');
    expect(all.summary.anomaly_counts.autonomous_change).toBe(1);
    // The deletion through the MCP server is a destructive_action of its person.
    expect(all.summary.anomalies).toContainEqual(
      expect.objectContaining({
        kind: 'destructive_action',
        user: scenario.planted.mcpDeletion.person.email,
        timestamp: scenario.planted.mcpDeletion.at,
        resource_type: 'dashboard',
      }),
    );
    // The people behind agents' and MCP-driven actions are never agents: no flag names a Bits agent but that one.
    expect(all.summary.top_users.every((u) => !u.user.startsWith('Bits'))).toBe(true);

    // Act
    const accepted = await runReport(emulator, 'all', {
      suppress: [{ kind: 'autonomous_change', agent: 'bits ai sre' }],
    });

    // Assess
    expect(accepted.summary.anomaly_counts.autonomous_change).toBe(0);
    expect(accepted.summary.anomalies.length).toBe(all.summary.anomalies.length - 1);
  });

  it('shows the section and the autonomous change in the email, the Slack post and the text', () => {
    const { files } = all;
    for (const name of ['email.html', 'email.txt', 'slack.json']) {
      const text = files[name]!;
      expect(text).toContain('AI activity');
      expect(text).toContain('Bits AI SRE');
      expect(text).toMatch(
        name === 'email.txt' ? /\[medium\] Autonomous change · Bits AI SRE · new/ : /Autonomous change/,
      );
      expect(text).toMatch(/name the user who\s+authorised them/);
    }
    expect(files['email.txt']).toContain(`AI actions (every kind): ${all.summary.ai_activity!.total}, autonomous: `);
  });

  it('reads activity mcp as the report before the other kinds: the same bytes, with or without them in Datadog', async () => {
    // Prepare: the same week with only its MCP Server events
    const mcpOnly = await startDatadogEmulator({
      events: [...scenario.baseline, ...scenario.window].filter(isMcpServer),
    });

    try {
      // Act
      const mixed = await runReport(emulator, 'mcp');
      const alone = await runReport(mcpOnly, 'mcp');

      // Assess: byte for byte, and the same requests (the seed's query finds the same pages)
      expect(mixed.files).toEqual(alone.files);
      expect(mixed.requests).toBe(alone.requests);
      expect(mixed.summary.ai_activity).toBeUndefined();
      expect(mixed.summary.anomaly_counts).not.toHaveProperty('autonomous_change');
      expect(mixed.files['email.txt']).not.toContain('AI activity');
      // sha256 of the files from this very data: a change here means a report of `activity: mcp`
      // no longer is the report of before. The code before `activity` (f7f60e0) made the same
      // bytes until triage (anomaly groups, the Slack post with its thread reply) changed the
      // rendering on purpose; these are triage's, whose summary is the earlier one plus
      // `anomaly_groups`, `resolved_groups` and `group_history`, every other field unchanged.
      const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
      expect(Object.fromEntries(Object.entries(mixed.files).map(([name, text]) => [name, sha(text)]))).toEqual({
        'summary.json': '099da5cb418d8817d7d5325c9b06861fe981bdd2198ca6f33d056ddc685ed98d',
        'email.html': '23220d1a83cea4f4f765b97459e78aa959912a38d79af361fad603ca96ddf8ce',
        'email.txt': '4dd4f4703413bc56f22f82054404fae3d49de0af4e8e70b8d267b9eb65406e48',
        'subject.txt': 'd3a2eabe6d31adfb3242115288fc81946a74dcf316482365af613a9f80644055',
        'slack.json': 'e4f9f9ff254d7185e1934773687dd722955b4df0dcc141345f2dc3c62e21d979',
      });
    } finally {
      await mcpOnly.close();
    }
  });
});
