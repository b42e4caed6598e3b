/**
 * Every kind of AI activity in the pure core (docs/ai-activity.md): how an event is read (its
 * `is_mcp_call` as attribute or tag, its agent), which kind it counts under, whose it is (an
 * agent's event is its delegator's; an autonomous one for nobody is the agent's, never a
 * person's), the `ai_activity` section, the `autonomous_change` rule and `destructive_action` on
 * every kind, the person rules seeing MCP-driven actions as the person's own, the seed's keys left
 * as they were, and a report of `activity: mcp` that knows nothing of the other kinds.
 */
import fc from 'fast-check';
import { kindOf } from '../../../functions/weekly-report/core/activity';
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { normalizeEvent } from '../../../functions/weekly-report/core/normalize';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import {
  type Activity,
  type ReportSettings,
  reportSettings,
  type Summary,
} from '../../../functions/weekly-report/core/types';
import { auditEvent, calls, type EventSpec, person } from '../../support/audit-events';
import { generateEvents, generateScenario } from '../../support/generator';

const DAY = 86_400_000;
const FROM = Date.parse('2026-11-16T00:00:00Z');
const TO = FROM + 7 * DAY;
const HOUR = 3_600_000;

/** An action through the MCP server: a Dashboard event of `who`, `is_mcp_call` as given. */
const mcpAction = (spec: Partial<EventSpec> & Pick<EventSpec, 'at'>) =>
  auditEvent({ evtName: 'Dashboard', mcpCall: 'attribute', ...spec });
/** A Datadog AI agent's event: Bits AI SRE, with its mode; a delegator when given. */
const agentAction = (spec: Partial<EventSpec> & Pick<EventSpec, 'at'>) => {
  const event = auditEvent({ evtName: 'Monitor', agent: 'Bits AI SRE', mode: 'interactive', type: 'monitor', ...spec });
  // Agents act inside Datadog: no user of their own unless the spec gives one.
  if (!spec.user) delete (event.attributes as { attributes: Record<string, unknown> }).attributes.usr;
  return event;
};

function run(
  windowEvents: readonly unknown[],
  baselineEvents?: readonly unknown[],
  over: Partial<ReportSettings> = {},
  activity: Activity = 'all',
): Summary {
  const window = new WindowAggregate({ activity });
  for (const e of windowEvents) window.add(e);
  let baseline: BaselineAggregate | undefined;
  if (baselineEvents) {
    baseline = new BaselineAggregate({ from: FROM - 7 * DAY, to: FROM }, { activity });
    for (const e of baselineEvents) baseline.add(e);
  }
  return summarize(
    window,
    baseline,
    reportSettings({
      org: 'Acme',
      window: { from: FROM, to: TO },
      baselineWindow: { from: FROM - 28 * DAY, to: FROM },
      activity,
      ...over,
    }),
  );
}

const flagsOf = (s: Summary, kind: string) => s.anomalies.filter((f) => f.kind === kind);
const seedKeys = (s: Summary) => ({
  total_tool_calls: s.total_tool_calls,
  unique_users: s.unique_users,
  top_users: s.top_users,
  actions_breakdown: s.actions_breakdown,
  resource_types: s.resource_types,
});

describe('reading an event of another kind', () => {
  it('sees is_mcp_call as an attribute (true or "true") or as a tag, and nowhere else', () => {
    const at = FROM;
    expect(normalizeEvent(mcpAction({ at })).mcpCall).toBe(true);
    expect(normalizeEvent(mcpAction({ at, mcpCall: 'tag' })).mcpCall).toBe(true);
    const text = mcpAction({ at });
    (text.attributes as { attributes: Record<string, unknown> }).attributes.is_mcp_call = 'true';
    expect(normalizeEvent(text).mcpCall).toBe(true);
    const no = mcpAction({ at });
    (no.attributes as { attributes: Record<string, unknown> }).attributes.is_mcp_call = false;
    expect(normalizeEvent(no).mcpCall).toBe(false);
    expect(normalizeEvent(auditEvent({ at })).mcpCall).toBe(false);
  });

  it("names the agent by evt.actor.name, else the usr it acted as, else 'unnamed agent'; no mode, no agent", () => {
    const at = FROM;
    expect(normalizeEvent(agentAction({ at })).agentName).toBe('Bits AI SRE');
    // An agent acting for a person through the MCP server fills usr with itself and delegator with the person.
    const viaMcp = auditEvent({
      at,
      mode: 'interactive',
      user: { id: 'svc-1', name: 'Bits AI agent' },
      delegator: person('ana'),
    });
    expect(normalizeEvent(viaMcp)).toMatchObject({
      agentName: 'Bits AI agent',
      person: 'ana@example.com',
      delegated: true,
    });
    const alone = auditEvent({ at, mode: 'autonomous', user: { id: 'svc-2', email: 'sre-bot@example.com' } });
    expect(normalizeEvent(alone).agentName).toBe('sre-bot@example.com');
    const nameless = agentAction({ at, agent: undefined });
    delete (nameless.attributes as { attributes: { evt: { actor: Record<string, unknown> } } }).attributes.evt.actor
      .name;
    expect(normalizeEvent(nameless).agentName).toBe('unnamed agent');
    // Interactive without a delegator: usr is the person present, not the agent.
    expect(normalizeEvent(auditEvent({ at, mode: 'interactive' })).agentName).toBe('unnamed agent');
    expect(normalizeEvent(auditEvent({ at })).agentName).toBe('(unknown)');
  });

  it('counts an event under the first kind that applies, and only MCP tool calls under activity mcp', () => {
    const at = FROM;
    const both = normalizeEvent(auditEvent({ at, mcpCall: 'tag', mode: 'interactive' }));
    expect(kindOf(both, 'all')).toBe(0);
    expect(kindOf(normalizeEvent(mcpAction({ at, mode: 'autonomous' })), 'all')).toBe(1);
    expect(kindOf(normalizeEvent(agentAction({ at })), 'all')).toBe(2);
    expect(kindOf(normalizeEvent(auditEvent({ at, evtName: 'Request' })), 'all')).toBe(-1);
    expect(kindOf(normalizeEvent(mcpAction({ at })), 'mcp')).toBe(-1);
    expect(kindOf(normalizeEvent(agentAction({ at })), 'mcp')).toBe(-1);
    // No readable name: an MCP tool call as always (maybe a malformed one), unless it says it is another kind.
    expect(kindOf(normalizeEvent({ id: 'x', attributes: { timestamp: FROM, attributes: {} } }), 'all')).toBe(0);
  });
});

describe('ai_activity', () => {
  it('counts each event once by kind, the modes, the agents with their people, attribution and per day', () => {
    // Prepare
    const events = [
      auditEvent({ at: FROM + HOUR, user: person('ana') }),
      auditEvent({ at: FROM + HOUR + 1, user: person('ana'), mcpCall: 'attribute' }), // both kinds: a tool call
      mcpAction({ at: FROM + DAY, user: person('bob'), action: 'modified' }),
      agentAction({ at: FROM + DAY + 1, delegator: person('ana') }),
      agentAction({ at: FROM + DAY + 2, delegator: person('bob') }),
      agentAction({ at: FROM + DAY + 3, delegator: person('bob') }),
      agentAction({ at: FROM + 2 * DAY, mode: 'autonomous' }),
      agentAction({ at: FROM + 2 * DAY + 1, mode: 'autonomous', agent: 'Bits AI Dev' }),
      auditEvent({ at: FROM + 3 * DAY, evtName: 'Request' }), // no AI kind: left out
    ];

    // Act
    const s = run(events);

    // Assess
    expect(s.ai_activity).toMatchObject({
      total: 8,
      by_kind: { mcp_tool_call: 2, mcp_action: 1, agent_action: 5 },
      autonomous: 2,
      interactive: 3,
      agents: [
        { agent: 'Bits AI SRE', events: 4, interactive: 3, autonomous: 1, people: 2 },
        { agent: 'Bits AI Dev', events: 1, interactive: 0, autonomous: 1, people: 0 },
      ],
      attribution: { agent_events: 5, with_delegator: 3, share: 0.6 },
    });
    expect(s.ai_activity!.daily.slice(0, 4)).toEqual([
      { date: '2026-11-16', events: 2, autonomous: 0 },
      { date: '2026-11-17', events: 4, autonomous: 0 },
      { date: '2026-11-18', events: 2, autonomous: 2 },
      { date: '2026-11-19', events: 0, autonomous: 0 },
    ]);
    expect(s.ai_activity!.query).toBe('(@evt.name:"MCP Server" OR is_mcp_call:true OR @evt.actor.mode:*)');
    expect(decodeURIComponent(s.link.replace(/\+/g, ' '))).toContain('OR is_mcp_call:true OR');
    expect(s.total_tool_calls).toBe(2);
    expect(s.warnings).toContain(
      '1 event was of no AI kind (not an MCP Server call, no is_mcp_call, no AI agent) and left out.',
    );
  });

  it('says there were no agents with an empty list and no share, and compares with the previous window', () => {
    const s = run(
      [auditEvent({ at: FROM + HOUR }), mcpAction({ at: FROM + 2 * HOUR })],
      [auditEvent({ at: FROM - HOUR }), agentAction({ at: FROM - 2 * HOUR, mode: 'autonomous' })],
    );
    expect(s.ai_activity).toMatchObject({
      total: 2,
      agents: [],
      attribution: { agent_events: 0, with_delegator: 0, share: null },
      previous_window: { total: 2, autonomous: 1 },
    });
  });
});

describe('people', () => {
  it("counts an agent's event for its delegator and an MCP-driven action for its person, in the rules only", () => {
    // Prepare: ana's baseline holds only an agent's work for her and an action through the MCP server
    const baseline = [
      agentAction({ at: FROM - DAY, delegator: person('ana'), type: 'monitor' }),
      mcpAction({ at: FROM - DAY + 1, user: person('ana'), type: 'dashboard' }),
      auditEvent({ at: FROM - DAY + 2, user: person('bob') }),
    ];
    const window = [auditEvent({ at: FROM + HOUR, user: person('ana'), type: 'dashboard' })];

    // Act
    const s = run(window, baseline);

    // Assess: she is no first-time user, and her seed figures are her MCP tool calls alone
    expect(flagsOf(s, 'first_time_user')).toHaveLength(0);
    expect(s.top_users).toEqual([{ user: 'ana@example.com', calls: 1 }]);
    // Under activity mcp the same data has her new: the other kinds are not read.
    expect(flagsOf(run(window, baseline, {}, 'mcp'), 'first_time_user')).toHaveLength(1);
  });

  it('sees MCP-driven actions in out_of_scope and high_volume as the person’s own', () => {
    // Prepare: 25 baseline calls on dashboards; this week a burst mixing calls and MCP-driven actions, one on an slo
    const baseline = calls(25, FROM - 2 * DAY, 60_000, { user: person('bob'), type: 'dashboard' });
    const burst = [
      ...calls(60, FROM + HOUR, 1_000, { user: person('bob'), type: 'dashboard' }),
      ...Array.from({ length: 45 }, (_, i) =>
        mcpAction({ at: FROM + HOUR + 500 + i * 1_000, user: person('bob'), type: 'dashboard' }),
      ),
      mcpAction({ at: FROM + 2 * HOUR, user: person('bob'), type: 'slo', action: 'modified' }),
    ];

    // Act
    const s = run(burst, baseline);

    // Assess
    expect(flagsOf(s, 'high_volume')).toEqual([expect.objectContaining({ user: 'bob@example.com', count: 105 })]);
    expect(flagsOf(s, 'out_of_scope')).toEqual([expect.objectContaining({ resource_type: 'slo', count: 1 })]);
    expect(flagsOf(run(burst, baseline, {}, 'mcp'), 'high_volume')).toHaveLength(0);
  });

  it('counts an autonomous event for nobody as the agent’s: never a person, shown as the agent', () => {
    // Prepare: an agent changes a monitor on its own; its usr (if any) is the agent's service account
    const own = agentAction({
      at: FROM + HOUR,
      mode: 'autonomous',
      action: 'modified',
      user: { id: 'svc-bits', email: 'bits@example.com' },
    });

    // Act
    const s = run(
      [auditEvent({ at: FROM, user: person('ana') }), own],
      [auditEvent({ at: FROM - DAY, user: person('ana') })],
    );

    // Assess
    expect(s.unique_users).toBe(1);
    expect(flagsOf(s, 'first_time_user')).toHaveLength(0);
    expect(s.changes.items).toEqual([
      expect.objectContaining({ user: 'Bits AI SRE', kind: 'agent_action', agent: 'Bits AI SRE', mode: 'autonomous' }),
    ]);
  });
});

describe('autonomous_change and destructive_action', () => {
  it('flags an agent changing something with nobody present: high for a deletion, medium otherwise, not for reads', () => {
    const s = run([
      agentAction({ at: FROM + HOUR, mode: 'autonomous', action: 'modified' }),
      agentAction({ at: FROM + 2 * HOUR, mode: 'autonomous', action: 'deleted', type: 'notebook' }),
      agentAction({ at: FROM + 3 * HOUR, mode: 'autonomous', action: 'accessed' }),
      agentAction({ at: FROM + 4 * HOUR, mode: 'interactive', action: 'created', delegator: person('ana') }),
      agentAction({ at: FROM + 5 * HOUR, mode: 'autonomous', action: 'created', delegator: person('bob') }),
    ]);
    expect(flagsOf(s, 'autonomous_change').map((f) => [f.severity, f.action, f.user, f.agent, f.mode])).toEqual([
      ['high', 'deleted', 'Bits AI SRE', 'Bits AI SRE', 'autonomous'],
      ['medium', 'modified', 'Bits AI SRE', 'Bits AI SRE', 'autonomous'],
      ['medium', 'created', 'bob@example.com', 'Bits AI SRE', 'autonomous'],
    ]);
    expect(s.anomaly_counts.autonomous_change).toBe(3);
    expect(flagsOf(s, 'autonomous_change')[2]!.detail).toContain('for bob@example.com');
  });

  it('raises destructive_action on deletions of every kind, each saying how it was made', () => {
    const s = run([
      auditEvent({ at: FROM + HOUR, action: 'deleted', type: 'monitor' }),
      mcpAction({ at: FROM + 2 * HOUR, action: 'deleted', type: 'dashboard', user: person('bob') }),
      agentAction({ at: FROM + 3 * HOUR, action: 'deleted', type: 'notebook', delegator: person('cy') }),
    ]);
    expect(flagsOf(s, 'destructive_action').map((f) => [f.severity, f.user, f.detail])).toEqual([
      ['high', 'ana@example.com', 'Deleted monitor "Service overview" (abc-123) through the MCP server'],
      [
        'high',
        'bob@example.com',
        'Deleted dashboard "Service overview" (abc-123) through the MCP server (an action on the product, is_mcp_call)',
      ],
      [
        'medium',
        'cy@example.com',
        'Deleted notebook "Service overview" (abc-123) by the Datadog AI agent Bits AI SRE (interactive), for cy@example.com',
      ],
    ]);
  });

  it('is suppressed by kind with its agent, user, resource type or action, like every other rule', () => {
    const events = [
      agentAction({ at: FROM + HOUR, mode: 'autonomous', action: 'modified' }),
      agentAction({
        at: FROM + 2 * HOUR,
        mode: 'autonomous',
        action: 'modified',
        agent: 'Bits AI Dev',
        type: 'notebook',
      }),
    ];
    const by = (rule: object) =>
      flagsOf(run(events, undefined, { suppress: [{ kind: 'autonomous_change', ...rule }] }), 'autonomous_change').map(
        (f) => f.agent,
      );
    expect(by({ agent: 'BITS AI SRE' })).toEqual(['Bits AI Dev']);
    expect(by({ resource_type: 'notebook' })).toEqual(['Bits AI SRE']);
    expect(by({ user: 'Bits AI Dev' })).toEqual(['Bits AI SRE']);
    expect(by({})).toEqual([]);
    // An agent rule never matches a flag of no agent.
    const person = run([auditEvent({ at: FROM, action: 'deleted' })], undefined, {
      suppress: [{ kind: 'destructive_action', agent: 'Bits AI SRE' }],
    });
    expect(flagsOf(person, 'destructive_action')).toHaveLength(1);
  });
});

describe('activity mcp', () => {
  it('knows nothing of the other kinds: no section, no autonomous_change count, the seed rules on MCP calls alone', () => {
    // Prepare: the generated scenario (every kind of activity, an autonomous change planted)
    const scenario = generateScenario({ seed: 5, end: new Date(TO) });

    // Act
    const s = run(scenario.window, scenario.baseline, {}, 'mcp');

    // Assess
    expect(s.ai_activity).toBeUndefined();
    expect(s.anomaly_counts).not.toHaveProperty('autonomous_change');
    expect(s.changes.items.every((c) => c.kind === undefined && c.agent === undefined)).toBe(true);
    expect(s.anomalies.every((f) => f.agent === undefined && f.mode === undefined)).toBe(true);
    expect(s.warnings.join(' ')).toMatch(/other audit events than MCP Server calls and left out/);
  });
});

describe('the seed keys', () => {
  it('stay what the MCP Server events alone give, whatever other kinds the week holds (property)', () => {
    const mcpOnly = [
      ...generateEvents({ seed: 8, from: new Date(FROM), to: new Date(TO), count: 800, malformedRate: 0.02 }),
    ];
    const others = [
      ...generateEvents({ seed: 9, from: new Date(FROM), to: new Date(TO), count: 800, aiActivityRate: 1 }),
    ];
    const expected = seedKeys(run(mcpOnly, undefined, {}, 'mcp'));
    fc.assert(
      fc.property(fc.array(fc.nat(others.length - 1), { maxLength: 200 }), (picks) => {
        const mixed = [...mcpOnly, ...picks.map((i) => others[i])];
        expect(seedKeys(run(mixed))).toEqual(expected);
      }),
      { numRuns: 20, seed: 7 },
    );
  });

  it('give the same summary for any slicing of a week with every kind (mergeable)', () => {
    const events = [
      ...generateEvents({ seed: 10, from: new Date(FROM), to: new Date(TO), count: 1500, aiActivityRate: 0.3 }),
      agentAction({ at: FROM + HOUR, mode: 'autonomous', action: 'deleted' }),
    ];
    const whole = JSON.stringify(run(events));
    fc.assert(
      fc.property(fc.array(fc.nat(events.length), { maxLength: 8 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), events.length];
        const parts = points.slice(1).map((p, i) => {
          const w = new WindowAggregate();
          for (const e of events.slice(points[i], p)) w.add(e);
          return w;
        });
        const merged = parts.reduceRight((acc, p) => p.merge(acc));
        const s = summarize(
          merged,
          undefined,
          reportSettings({
            org: 'Acme',
            window: { from: FROM, to: TO },
            baselineWindow: { from: FROM - 28 * DAY, to: FROM },
            activity: 'all',
          }),
        );
        expect(JSON.stringify(s)).toBe(whole);
      }),
      { numRuns: 10, seed: 3 },
    );
  });
});
