/** The seeded audit event generator: determinism, order, rates, the anomaly cases of its scenario, and its teams. */
import { createHash } from 'node:crypto';
import {
  generateEvents,
  generateScenario,
  HOSTILE_STRINGS,
  outerTime,
  type RawAuditEvent,
  TEAMS,
  teamsOf,
} from '../../support/generator';

const FROM = new Date('2026-11-16T09:00:00.000Z');
const TO = new Date('2026-11-23T09:00:00.000Z');
const DAY = 86_400_000;

type Inner = Record<string, unknown> & {
  mcp?: { tool?: { name?: unknown }; client?: { name?: unknown } };
  evt?: { name?: unknown; actor?: { type?: unknown; mode?: unknown } };
  usr?: { id?: unknown; email?: unknown; name?: unknown };
  delegator?: { id?: unknown; email?: unknown };
  action?: unknown;
  asset?: { type?: unknown; id?: unknown; name?: unknown };
  network?: { client?: { ip?: unknown; geoip?: { country?: { name?: unknown } } } };
};

function inner(event: unknown): Inner | undefined {
  const a = (event as { attributes?: { attributes?: unknown } } | null)?.attributes;
  const i = typeof a === 'object' && a !== null ? (a as { attributes?: unknown }).attributes : undefined;
  return typeof i === 'object' && i !== null && !Array.isArray(i) ? (i as Inner) : undefined;
}

function isWellFormedMcp(event: unknown): boolean {
  const i = inner(event);
  return (
    i !== undefined &&
    i.evt?.name === 'MCP Server' &&
    typeof i.usr === 'object' &&
    i.usr !== null &&
    typeof i.action === 'string' &&
    typeof i.asset?.type === 'string' &&
    Number.isFinite(outerTime(event))
  );
}

/** The person responsible: delegator first, then usr; by id. */
function personOf(event: unknown): string {
  const i = inner(event);
  return String(i?.delegator?.id ?? i?.usr?.id);
}

describe('generateEvents', () => {
  it('yields the same events for the same seed and different ones for another seed', () => {
    // Prepare
    const opts = { from: FROM, to: TO, count: 500, hostileRate: 0.05, malformedRate: 0.05, nonMcpRate: 0.05 };

    // Act
    const a = [...generateEvents({ ...opts, seed: 7 })];
    const b = [...generateEvents({ ...opts, seed: 7 })];
    const c = [...generateEvents({ ...opts, seed: 8 })];

    // Assess
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it('yields count events in timestamp order, all inside [from, to), with unique ids', () => {
    // Prepare
    const count = 20_000;

    // Act
    const events = [...generateEvents({ seed: 1, from: FROM, to: TO, count, malformedRate: 0.02 })];

    // Assess
    expect(events).toHaveLength(count);
    const times = events.map(outerTime).filter(Number.isFinite);
    expect(times.length).toBeGreaterThan(count * 0.99);
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(FROM.getTime());
    expect(Math.max(...times)).toBeLessThan(TO.getTime());
    const ids = events.map((e) => (e as { id?: unknown } | null)?.id).filter((id) => typeof id === 'string');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shapes events like recorded Datadog responses (outer ISO with Z, inner timestamp without zone)', () => {
    // Act
    const [event] = [...generateEvents({ seed: 2, from: FROM, to: TO, count: 1 })] as RawAuditEvent[];

    // Assess
    const attributes = event?.attributes as { timestamp: string; attributes: Inner & { timestamp: string } };
    expect(event?.type).toBe('audit');
    expect(attributes.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(attributes.attributes.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(attributes.attributes.evt?.name).toBe('MCP Server');
    expect(typeof attributes.attributes.network?.client?.geoip?.country?.name).toBe('string');
  });

  it('produces non-MCP, malformed and hostile events near the asked rates', () => {
    // Prepare
    const count = 20_000;

    // Act
    const events = [
      ...generateEvents({
        seed: 3,
        from: FROM,
        to: TO,
        count,
        nonMcpRate: 0.1,
        malformedRate: 0.05,
        hostileRate: 0.05,
      }),
    ];

    // Assess
    const nonMcp = events.filter((e) => {
      const name = inner(e)?.evt?.name;
      return typeof name === 'string' && name !== 'MCP Server';
    }).length;
    const malformed = events.filter((e) => {
      const name = inner(e)?.evt?.name;
      return !(typeof name === 'string' && name !== 'MCP Server') && !isWellFormedMcp(e);
    }).length;
    const hostile = events.filter((e) => {
      const text = JSON.stringify(e);
      return (
        HOSTILE_STRINGS.some((h) => text.includes(JSON.stringify(h).slice(1, -1))) || text.includes('x'.repeat(5000))
      );
    }).length;
    expect(nonMcp / count).toBeGreaterThan(0.09);
    expect(nonMcp / count).toBeLessThan(0.11);
    // Some malformations (wrong message type, missing inner timestamp) leave the fields checked here intact.
    expect(malformed / count).toBeGreaterThan(0.025);
    expect(malformed / count).toBeLessThan(0.06);
    expect(hostile / count).toBeGreaterThan(0.04);
    expect(hostile / count).toBeLessThan(0.07);
  });

  it('mixes delegation, actor types and modes, and actions led by accessed', () => {
    // Act
    const events = [...generateEvents({ seed: 4, from: FROM, to: TO, count: 10_000, delegationRate: 0.3 })];

    // Assess
    const delegated = events.filter((e) => inner(e)?.delegator !== undefined).length;
    expect(delegated / events.length).toBeGreaterThan(0.25);
    expect(delegated / events.length).toBeLessThan(0.35);
    const actorTypes = new Set(events.map((e) => inner(e)?.evt?.actor?.type));
    expect([...actorTypes].sort()).toEqual(['Other', 'SUPPORT_USER', 'USER']);
    // A person's own MCP call names no agent mode; an agent acting for them does so interactively.
    const modeOf = (e: RawAuditEvent) => inner(e)?.evt?.actor?.mode;
    expect(new Set(events.filter((e) => inner(e)?.delegator !== undefined).map(modeOf))).toEqual(
      new Set(['interactive']),
    );
    expect(new Set(events.filter((e) => inner(e)?.delegator === undefined).map(modeOf))).toEqual(new Set([undefined]));
    const actions = new Map<unknown, number>();
    for (const e of events) actions.set(inner(e)?.action, (actions.get(inner(e)?.action) ?? 0) + 1);
    expect([...actions.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]).toBe('accessed');
    expect(actions.has('deleted')).toBe(true);
    expect(new Set(events.map(personOf)).size).toBeGreaterThan(30);
  });

  it('adds the other kinds of AI activity at the top of the roll, leaving every other event as it was', () => {
    // Act
    const plain = [...generateEvents({ seed: 6, from: FROM, to: TO, count: 3000 })];
    const mixed = [...generateEvents({ seed: 6, from: FROM, to: TO, count: 3000, aiActivityRate: 0.2 })];

    // Assess: the MCP calls of the mixed stream are those of the plain one at the same places
    const others = mixed.filter((e) => inner(e)?.evt?.name !== 'MCP Server');
    expect(others.length / mixed.length).toBeGreaterThan(0.15);
    expect(others.length / mixed.length).toBeLessThan(0.25);
    mixed.forEach((e, i) => {
      if (inner(e)?.evt?.name === 'MCP Server') expect(e).toEqual(plain[i]);
    });
    const mcpCall = (e: RawAuditEvent) =>
      (inner(e) as { is_mcp_call?: unknown } | undefined)?.is_mcp_call === true ||
      ((e.attributes as { tags?: string[] }).tags ?? []).includes('is_mcp_call:true');
    const actions = others.filter(mcpCall);
    const agents = others.filter((e) => inner(e)?.evt?.actor?.mode !== undefined);
    expect(actions.length + agents.length).toBe(others.length);
    expect(new Set(actions.map((e) => inner(e)?.evt?.name))).toEqual(new Set(['Dashboard', 'Monitor', 'Notebook']));
    expect(actions.some((e) => (inner(e) as { is_mcp_call?: unknown }).is_mcp_call === undefined)).toBe(true); // a tag only
    // Interactive agents act for a delegator (their name is the person's e-mail); autonomous ones for nobody.
    for (const e of agents) {
      const i = inner(e) as Inner & { delegator?: { name?: unknown; email?: unknown } };
      if (i.evt?.actor?.mode === 'interactive') expect(i.delegator?.name).toBe(i.delegator?.email);
      else expect(i.delegator).toBeUndefined();
    }
    expect(others.every((e) => inner(e)?.action !== 'deleted')).toBe(true);
  });

  it('in seed-compatible mode gives every event an email 1:1 with its id and no delegator', () => {
    // Act
    const events = [
      ...generateEvents({
        seed: 5,
        from: FROM,
        to: TO,
        count: 5_000,
        seedCompatible: true,
        hostileRate: 0.5,
        malformedRate: 0.5,
        nonMcpRate: 0.5,
      }),
    ];

    // Assess
    const emailOf = new Map<unknown, unknown>();
    const idOf = new Map<unknown, unknown>();
    const problems: string[] = [];
    for (const e of events) {
      const i = inner(e);
      if (!isWellFormedMcp(e)) problems.push(`not a well-formed MCP event: ${JSON.stringify(e).slice(0, 80)}`);
      if (i?.delegator !== undefined) problems.push('delegator present');
      if (typeof i?.usr?.email !== 'string') problems.push('no email');
      if (emailOf.has(i?.usr?.id) && emailOf.get(i?.usr?.id) !== i?.usr?.email) problems.push('id with two emails');
      if (idOf.has(i?.usr?.email) && idOf.get(i?.usr?.email) !== i?.usr?.id) problems.push('email with two ids');
      emailOf.set(i?.usr?.id, i?.usr?.email);
      idOf.set(i?.usr?.email, i?.usr?.id);
    }
    expect(problems).toEqual([]);
    expect(emailOf.size).toBeGreaterThan(20);
  });

  it('streams: the first events of a ten-million-event run come without building the run', () => {
    // Prepare
    const started = performance.now();
    const first: unknown[] = [];

    // Act
    for (const event of generateEvents({ seed: 6, from: FROM, to: TO, count: 10_000_000 })) {
      first.push(event);
      if (first.length === 100) break;
    }

    // Assess
    expect(first).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

/** The MCP client of a call, and who made it as the metric sees it: the caller (`usr`), not the person it acted for. */
function clientOf(event: unknown): unknown {
  return inner(event)?.mcp?.client?.name;
}
function callerOf(event: unknown): string {
  return String(inner(event)?.usr?.id);
}

describe('generateEvents: MCP tool and client', () => {
  const events = [...generateEvents({ seed: 3, from: FROM, to: TO, count: 3000 })];

  it('draws a tool name and a client for every MCP call', () => {
    // Assess
    const mcp = events.filter((e) => inner(e)?.evt?.name === 'MCP Server');
    expect(mcp.length).toBeGreaterThan(2900);
    expect(mcp.every((e) => typeof inner(e)?.mcp?.tool?.name === 'string')).toBe(true);
    expect(new Set(mcp.map(clientOf)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(mcp.map((e) => inner(e)?.mcp?.tool?.name)).size).toBeGreaterThan(10);
  });

  it('gives each caller one or two clients, as people keep to their tools', () => {
    // Assess
    const clients = new Map<string, Set<unknown>>();
    for (const e of events) {
      const set = clients.get(callerOf(e)) ?? new Set();
      set.add(clientOf(e));
      clients.set(callerOf(e), set);
    }
    const sizes = [...clients.values()].map((set) => set.size);
    expect(Math.max(...sizes)).toBe(2);
    expect(sizes.filter((n) => n === 1).length).toBeGreaterThan(sizes.length / 2);
  });
});

describe('generateScenario', () => {
  const scenario = generateScenario({ seed: 11, end: TO });
  const windowFrom = TO.getTime() - 7 * DAY;
  const baselineFrom = windowFrom - 28 * DAY;
  const mcpWindow = scenario.window.filter((e) => inner(e)?.evt?.name === 'MCP Server');
  const mcpBaseline = scenario.baseline.filter((e) => inner(e)?.evt?.name === 'MCP Server');

  it('keeps the window and the baseline in their ranges, time-ordered, with about the asked sizes', () => {
    // Assess
    const wt = scenario.window.map(outerTime);
    const bt = scenario.baseline.map(outerTime);
    expect(wt.every((t, i) => t >= windowFrom && t < TO.getTime() && (i === 0 || t >= (wt[i - 1] as number)))).toBe(
      true,
    );
    expect(bt.every((t, i) => t >= baselineFrom && t < windowFrom && (i === 0 || t >= (bt[i - 1] as number)))).toBe(
      true,
    );
    expect(scenario.window.length).toBeGreaterThan(2000);
    expect(scenario.baseline.length).toBeGreaterThan(6000);
    expect(mcpWindow.length).toBeLessThan(scenario.window.length);
  });

  it('holds deletes on a monitor and on another resource type', () => {
    // Assess
    const deletes = mcpWindow.filter((e) => inner(e)?.action === 'deleted').map((e) => inner(e)?.asset?.type);
    expect(deletes).toContain('monitor');
    expect(deletes.some((t) => t !== 'monitor' && t !== 'dashboard')).toBe(true);
  });

  it('holds a SUPPORT_USER call', () => {
    expect(mcpWindow.some((e) => inner(e)?.evt?.actor?.type === 'SUPPORT_USER')).toBe(true);
  });

  it('holds a person seen only in the window', () => {
    // Assess
    const baselinePeople = new Set(mcpBaseline.map(personOf));
    expect(baselinePeople.has(scenario.planted.newcomer.id)).toBe(false);
    expect(mcpWindow.some((e) => personOf(e) === scenario.planted.newcomer.id)).toBe(true);
  });

  it('holds a person with more than 100 calls within 10 minutes', () => {
    // Assess
    const times = new Map<string, number[]>();
    for (const e of mcpWindow) {
      const list = times.get(personOf(e)) ?? [];
      list.push(outerTime(e));
      times.set(personOf(e), list);
    }
    const bursting = [...times.entries()].filter(([, list]) => {
      for (let i = 0, j = 0; j < list.length; j++) {
        while ((list[j] as number) - (list[i] as number) >= 10 * 60_000) i++;
        if (j - i + 1 > 100) return true;
      }
      return false;
    });
    expect(bursting.map(([p]) => p)).toEqual([scenario.planted.burstPerson.id]);
  });

  it('holds a person with at least 20 baseline calls touching a resource type absent from their baseline', () => {
    // Assess
    const { scopePerson, scopeType } = scenario.planted;
    const baselineCalls = mcpBaseline.filter((e) => personOf(e) === scopePerson.id);
    expect(baselineCalls.length).toBeGreaterThanOrEqual(20);
    expect(baselineCalls.some((e) => inner(e)?.asset?.type === scopeType)).toBe(false);
    expect(mcpWindow.some((e) => personOf(e) === scopePerson.id && inner(e)?.asset?.type === scopeType)).toBe(true);
  });

  it('holds a person calling from a country absent from their baseline', () => {
    // Assess
    const { travelPerson, travelCountry } = scenario.planted;
    const country = (e: unknown): unknown => inner(e)?.network?.client?.geoip?.country?.name;
    const baselineCountries = new Set(mcpBaseline.filter((e) => personOf(e) === travelPerson.id).map(country));
    expect(baselineCountries.size).toBeGreaterThan(0);
    expect(baselineCountries.has(travelCountry)).toBe(false);
    expect(mcpWindow.some((e) => personOf(e) === travelPerson.id && country(e) === travelCountry)).toBe(true);
  });

  it('holds exactly one caller using an MCP client absent from their baseline, among callers with baseline calls', () => {
    // Assess
    const before = new Map<string, Set<unknown>>();
    for (const e of mcpBaseline) {
      const set = before.get(callerOf(e)) ?? new Set();
      set.add(clientOf(e));
      before.set(callerOf(e), set);
    }
    const fresh = new Set<string>();
    for (const e of mcpWindow) {
      const known = before.get(callerOf(e));
      if (known && !known.has(clientOf(e))) fresh.add(`${callerOf(e)} ${String(clientOf(e))}`);
    }
    const { clientPerson, newClient } = scenario.planted;
    expect([...fresh]).toEqual([`${clientPerson.id} ${newClient}`]);
    expect(before.get(clientPerson.id)?.size).toBeGreaterThan(0);
  });

  it('carries hostile strings', () => {
    // Assess
    const text = JSON.stringify(scenario.window);
    expect(text).toContain('<!channel>');
    expect(text).toContain('<@U123ABC>');
    expect(text).toContain('<script>alert(1)</script>');
  });

  it('is deterministic by seed', () => {
    // Act
    const again = generateScenario({ seed: 11, end: TO });

    // Assess
    expect(JSON.stringify(again.window)).toBe(JSON.stringify(scenario.window));
    expect(JSON.stringify(again.baseline)).toBe(JSON.stringify(scenario.baseline));
  });
});

describe('the scenario’s teams', () => {
  const scenario = generateScenario({ seed: 11, end: TO });
  const mcpWindow = scenario.window.filter((e) => inner(e)?.evt?.name === 'MCP Server');
  const teamsOfPerson = (id: string): string[] =>
    scenario.teams.filter((t) => t.members.some((m) => m.id === id)).map((t) => t.handle);
  const people = [...new Map(scenario.teams.flatMap((t) => t.members).map((p) => [p.id, p])).values()];

  it('left every generated event as it was before teams existed', () => {
    // Prepare: sha256 prefixes of these scenarios as generated since the other kinds of AI activity
    // were added (teams use no random number; the MCP tool calls are those generated before, but
    // for `evt.actor.mode`, now only on an agent's calls, and `is_mcp_call` on a few).
    const before: ReadonlyArray<readonly [number, number, string]> = [
      [2026, 40, '996aa94a70172efb'],
      [42, 20, '3961856043aae1df'],
      [77, 24, 'a17c88b7e847c1c8'],
    ];

    for (const [seed, count, fingerprint] of before) {
      // Act
      const s = generateScenario({ seed, end: new Date('2026-11-23T00:00:00.000Z'), people: count });

      // Assess
      const text = JSON.stringify({ window: s.window, baseline: s.baseline, planted: s.planted });
      expect(createHash('sha256').update(text).digest('hex').slice(0, 16)).toBe(fingerprint);
    }
  });

  it('has three teams with handles, display names and UUIDs, some people in two teams and some in none', () => {
    // Assess
    expect(scenario.teams.map((t) => [t.handle, t.name])).toEqual(TEAMS.map((t) => [t.handle, t.name]));
    for (const team of scenario.teams) {
      expect(team.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(team.members.length).toBeGreaterThan(3);
    }
    expect(new Set(scenario.teams.map((t) => t.id)).size).toBe(3);
    const memberships = scenario.teams.flatMap((t) => t.members.map((m) => m.id));
    expect(memberships.length).toBeGreaterThan(people.length); // someone is in two teams
    const everyone = new Set(mcpWindow.map(personOf));
    expect(
      [...everyone].filter((id) => teamsOfPerson(id).length === 0 && !id.startsWith('svc-')).length,
    ).toBeGreaterThan(0);
  });

  it('spreads the planted anomalies so that sre holds some and not others', () => {
    // Prepare
    const { newcomer, burstPerson, scopePerson, travelPerson, clientPerson } = scenario.planted;
    const supportPerson = mcpWindow.filter((e) => inner(e)?.evt?.actor?.type === 'SUPPORT_USER').map(personOf);
    const deleters = mcpWindow.filter((e) => inner(e)?.action === 'deleted').map(personOf);

    // Assess: first_time_user, high_volume and out_of_scope are sre's; new_country, new_client and support_user are not.
    expect(teamsOfPerson(newcomer.id)).toEqual(['sre']);
    expect(teamsOfPerson(burstPerson.id)).toEqual(['sre', 'platform']);
    expect(teamsOfPerson(scopePerson.id)).toEqual(['sre']);
    expect(teamsOfPerson(travelPerson.id)).toEqual(['platform']);
    expect(teamsOfPerson(clientPerson.id)).toEqual(['data']);
    expect(supportPerson.map(teamsOfPerson)).toEqual([['data']]);
    // The deletes' people are not pinned: with seed 11 neither is in a team.
    expect(deleters.map(teamsOfPerson)).toEqual([[], []]);
  });

  it('pins the planted people’s teams whatever the seed and the number of people', () => {
    for (const [seed, count] of [
      [1, 9],
      [2, 20],
      [3, 40],
      [4, 60],
    ] as const) {
      // Act
      const s = generateScenario({ seed, end: TO, people: count, weekEvents: 200 });

      // Assess
      const sre = new Set(s.teams.find((t) => t.handle === 'sre')?.members.map((m) => m.id));
      expect([s.planted.newcomer, s.planted.burstPerson, s.planted.scopePerson].every((p) => sre.has(p.id))).toBe(true);
      expect([s.planted.travelPerson, s.planted.clientPerson].some((p) => sre.has(p.id))).toBe(false);
    }
  });

  it('gives a person the same teams from their id alone, whatever else is generated', () => {
    // Prepare
    const [first, second] = people;

    // Act
    const alone = teamsOf([second!, first!]);
    const all = teamsOf(people);

    // Assess
    for (const [i, team] of alone.entries()) {
      const expected = all[i]!.members.filter((m) => m.id === first!.id || m.id === second!.id).map((m) => m.id);
      expect(team.members.map((m) => m.id).sort()).toEqual([...expected].sort());
    }
  });
});
