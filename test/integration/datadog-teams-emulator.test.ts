/**
 * The Teams side of the Datadog emulator (`GET /api/v2/team`, `GET /api/v2/team/{team_id}/memberships`)
 * against the Teams API's schema (test/fixtures/datadog/teams-schema.json): its answers hold the
 * generator's teams and members, page by `page[number]`/`page[size]`, search by keyword as
 * Datadog's docs describe it, and share the audit search's keys and faults, plus `teamsForbidden`.
 * Real HTTP over 127.0.0.1.
 */
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import type { EmulatedTeam } from '../support/datadog-teams-emulator';
import { generateScenario } from '../support/generator';
import { queryParameters, teamsValidators } from '../support/teams-schema';

const END = new Date('2026-11-23T00:00:00.000Z');

interface Page {
  data: Array<{ id: string; attributes?: { handle?: string; name?: string }; relationships?: unknown }>;
  included?: Array<{ type: string; id: string; attributes: { email: string; name: string; handle: string } }>;
  meta: { pagination: { number: number; size: number; total: number; last_number: number; type: string } };
}

describe('Datadog Teams emulator', () => {
  const scenario = generateScenario({ seed: 5, end: END, weekEvents: 300, people: 30 });
  // A decoy whose handle holds another team's, as real orgs have: an exact handle match must tell them apart.
  const decoy: EmulatedTeam = {
    handle: 'sre-oncall',
    id: '0b7c6f1e-0000-11ee-8000-000000000001',
    name: 'SRE on-call',
    members: scenario.teams[0]!.members.slice(0, 2),
  };
  const teams = [...scenario.teams, decoy];
  const sre = scenario.teams.find((t) => t.handle === 'sre')!;
  const validators = teamsValidators();
  let emulator: DatadogEmulator;

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window], teams, seed: 9 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => emulator.setFaults({}));

  async function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await fetch(`${emulator.url}${path}`, {
      headers: { 'DD-API-KEY': emulator.apiKey, 'DD-APPLICATION-KEY': emulator.appKey, ...headers },
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers };
  }

  it('lists the teams within the schema, searches by keyword in names, handles and members’ e-mails', async () => {
    // Act
    const all = await get('/api/v2/team?page[size]=100');
    const platform = await get('/api/v2/team?filter[keyword]=platform');
    const byHandle = await get('/api/v2/team?filter[keyword]=SRE');
    const byEmail = await get(`/api/v2/team?filter[keyword]=${encodeURIComponent(sre.members[0]!.email)}`);

    // Assess
    for (const answer of [all, platform, byHandle, byEmail]) {
      expect(answer.status).toBe(200);
      expect(validators.teams(answer.body)).toBe(true);
    }
    const handles = (r: { body: unknown }) => (r.body as Page).data.map((t) => t.attributes?.handle);
    expect(handles(all).sort()).toEqual(['data', 'platform', 'sre', 'sre-oncall']);
    // "Data Platform" holds the keyword too: a search is not an exact match.
    expect(handles(platform).sort()).toEqual(['data', 'platform']);
    expect(handles(byHandle).sort()).toEqual(['sre', 'sre-oncall']);
    expect(handles(byEmail)).toContain('sre');
    expect((all.body as Page).meta.pagination).toMatchObject({ number: 0, size: 100, total: 4, type: 'number_size' });
  });

  it('pages the memberships with their users included, every member once, within the schema', async () => {
    // Act
    const pages: Page[] = [];
    for (let n = 0; ; n++) {
      const answer = await get(`/api/v2/team/${sre.id}/memberships?page[size]=3&page[number]=${n}`);
      expect(answer.status).toBe(200);
      expect(validators.memberships(answer.body)).toBe(true);
      pages.push(answer.body as Page);
      if ((answer.body as Page).data.length < 3) break;
    }

    // Assess
    expect(pages.length).toBe(Math.floor(sre.members.length / 3) + 1);
    const users = pages.flatMap((p) => p.included ?? []);
    const memberIds = pages.flatMap((p) =>
      p.data.map((m) => (m.relationships as { user: { data: { id: string } } }).user.data.id),
    );
    expect(memberIds.sort()).toEqual(sre.members.map((m) => m.id).sort());
    expect(users.map((u) => [u.id, u.attributes.email, u.attributes.name]).sort()).toEqual(
      sre.members.map((m) => [m.id, m.email, m.name]).sort(),
    );
    expect(pages[0]?.meta.pagination).toMatchObject({ number: 0, size: 3, total: sre.members.length });
  });

  it('answers errors within the schema: wrong keys 403, an unknown team 404, a page size above 100 400', async () => {
    // Act
    const wrongKey = await get('/api/v2/team', { 'DD-APPLICATION-KEY': 'nope' });
    const unknown = await get('/api/v2/team/00000000-0000-0000-0000-000000000000/memberships');
    const tooBig = await get(`/api/v2/team/${sre.id}/memberships?page[size]=101`);

    // Assess
    expect([wrongKey.status, unknown.status, tooBig.status]).toEqual([403, 404, 400]);
    for (const answer of [wrongKey, unknown, tooBig]) expect(validators.error(answer.body)).toBe(true);
    expect(validators.membershipsParameters(queryParameters('/x?page[size]=101'))).toBe(false);
  });

  it('refuses the Teams API alone with teamsForbidden, as a key without teams_read is refused', async () => {
    // Prepare
    emulator.setFaults({ teamsForbidden: true });

    // Act
    const teamsAnswer = await get('/api/v2/team');
    const audit = await fetch(`${emulator.url}/api/v2/audit/events?page[limit]=1`, {
      headers: { 'DD-API-KEY': emulator.apiKey, 'DD-APPLICATION-KEY': emulator.appKey },
    });

    // Assess
    expect(teamsAnswer.status).toBe(403);
    expect(teamsAnswer.body).toEqual({ errors: ['Forbidden'] });
    expect(audit.status).toBe(200);
  });

  it('shares the audit search’s faults: 429 with rate limit headers, 503, malformed 200s, latency', async () => {
    // Act
    emulator.setFaults({ always429: true, resetSeconds: 2 });
    const limited = await get('/api/v2/team');
    emulator.setFaults({ rate503: 1 });
    const unavailable = await get('/api/v2/team');
    emulator.setFaults({ malformedRate: 1, malformedShape: 'cursor-number' });
    const malformedTeams = await get('/api/v2/team');
    const malformedMembers = await get(`/api/v2/team/${sre.id}/memberships`);
    emulator.setFaults({ malformedRate: 1, malformedShape: 'not-json' });
    const notJson = await get('/api/v2/team');
    emulator.setFaults({ latencyMs: 300 });
    const started = Date.now();
    const slow = await get('/api/v2/team');

    // Assess
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-reset')).toBe('2');
    expect(unavailable.status).toBe(503);
    expect(malformedTeams.status).toBe(200);
    expect(validators.teams(malformedTeams.body)).toBe(false);
    expect(validators.memberships(malformedMembers.body)).toBe(true); // valid per the spec, but names no user
    expect((malformedMembers.body as Page).data[0]?.relationships).toBeUndefined();
    expect(notJson.body).toContain('<html>');
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('counts the Teams API requests in its stats', async () => {
    // Prepare
    const before = emulator.stats.teamRequests;

    // Act
    await get('/api/v2/team');
    await get(`/api/v2/team/${sre.id}/memberships`);

    // Assess
    expect(emulator.stats.teamRequests - before).toBe(2);
  });
});
