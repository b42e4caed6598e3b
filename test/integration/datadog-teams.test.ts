/**
 * The team directory (real @datadog/datadog-api-client, `v2.TeamsApi.listTeams` and
 * `getTeamMemberships`) against the emulator's Teams API over 127.0.0.1: a handle resolves to
 * exactly the generator's members across pages, and every handle that cannot be resolved (no
 * such team, a key without teams_read, Datadog failing past the retries, the deadline) fails
 * `resolve` with a TeamResolutionError naming it, never a narrower or wider team, and never a
 * key value in the error or its causes (`failure` checks every one).
 */
import {
  createDatadogTeamDirectory,
  type DatadogTeamDirectoryOptions,
  TeamResolutionError,
} from '../../functions/weekly-report/adapters/datadog/team-directory';
import type { ResolvedTeam } from '../../functions/weekly-report/ports';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import type { EmulatedTeam } from '../support/datadog-teams-emulator';
import { generateScenario, type Person } from '../support/generator';
import { queryParameters, teamsValidators } from '../support/teams-schema';

const END = new Date('2026-11-23T00:00:00.000Z');
const API_KEY = 'ddapi-5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
const APP_KEY = 'ddapp-7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a';

/** A team as the directory should resolve it from the generator's people. */
function expected(team: { handle: string; id: string; name: string; members: readonly Person[] }): ResolvedTeam {
  return {
    handle: team.handle,
    id: team.id,
    name: team.name,
    members: team.members
      .map((p) => ({ userId: p.id, email: p.email, name: p.name, handle: p.email }))
      .sort((a, b) => a.userId.localeCompare(b.userId)),
  };
}

const byUser = (team: ResolvedTeam): ResolvedTeam => ({
  ...team,
  members: [...team.members].sort((a, b) => a.userId.localeCompare(b.userId)),
});

/** Every text an error carries, its causes included, for the no-key check. */
function everyText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 10; depth++) {
    parts.push(String(e.message), JSON.stringify(e));
    e = e.cause as typeof e;
  }
  return parts.join('\n');
}

/** Runs `resolve` expecting a TeamResolutionError, checks that no key value is in it, and returns it. */
async function failure(promise: Promise<unknown>): Promise<TeamResolutionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TeamResolutionError);
  expect(everyText(error)).not.toContain(API_KEY);
  expect(everyText(error)).not.toContain(APP_KEY);
  return error as TeamResolutionError;
}

describe('Datadog team directory', () => {
  const scenario = generateScenario({ seed: 5, end: END, weekEvents: 300, people: 40 });
  const team = (handle: string) => scenario.teams.find((t) => t.handle === handle)!;
  const decoy: EmulatedTeam = {
    handle: 'sre-oncall',
    id: '0b7c6f1e-0000-11ee-8000-000000000001',
    name: 'SRE on-call',
    members: team('sre').members.slice(0, 2),
  };
  let emulator: DatadogEmulator;
  /** URLs of the Teams API requests the client sent. */
  const sent: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    if (String(input).includes('/api/v2/team')) sent.push(String(input));
    return fetch(input, init);
  };

  const directory = (options: Partial<DatadogTeamDirectoryOptions> = {}) =>
    createDatadogTeamDirectory({
      apiKey: API_KEY,
      appKey: APP_KEY,
      baseUrl: emulator.url,
      backoffBaseMs: 2,
      maxRateLimitWaitMs: 10,
      fetch: recording,
      ...options,
    });

  beforeAll(async () => {
    emulator = await startDatadogEmulator({
      events: scenario.window,
      teams: [...scenario.teams, decoy],
      apiKey: API_KEY,
      appKey: APP_KEY,
      seed: 7,
    });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => {
    emulator.setFaults({});
    sent.length = 0;
  });

  it('resolves a team to exactly the generator’s members, across pages of memberships, asking within the schema', async () => {
    // Prepare
    const sre = team('sre');
    expect(sre.members.length).toBeGreaterThan(7);

    // Act
    const [resolved] = await directory({ pageSize: 3 }).resolve(['sre']);

    // Assess
    expect(byUser(resolved!)).toEqual(expected(sre));
    const validators = teamsValidators();
    const memberships = sent.filter((u) => u.includes('/memberships'));
    expect(memberships).toHaveLength(Math.floor(sre.members.length / 3) + 1);
    for (const url of sent) {
      const validate = url.includes('/memberships') ? validators.membershipsParameters : validators.listTeamsParameters;
      expect(validate(queryParameters(url))).toBe(true);
    }
    expect(queryParameters(sent[0]!)).toEqual({ 'filter[keyword]': 'sre', 'page[number]': 0, 'page[size]': 3 });
  });

  it('resolves two handles at once, each by its exact handle though the keyword finds others too', async () => {
    // Act: "platform" also finds "Data Platform"; "sre" also finds "sre-oncall".
    const resolved = await directory().resolve(['platform', 'sre']);

    // Assess
    expect(resolved.map(byUser)).toEqual([expected(team('platform')), expected(team('sre'))]);
    expect(sent.every((u) => new URL(u).searchParams.get('page[size]') === '100')).toBe(true);
  });

  it('matches a handle in any letter case, and asks once for a handle given twice', async () => {
    // Act
    const resolved = await directory().resolve(['SRE', 'sre', ' data ']);

    // Assess
    expect(resolved.map((t) => t.handle)).toEqual(['sre', 'data']);
    expect(sent.filter((u) => !u.includes('/memberships'))).toHaveLength(2);
  });

  it('resolves nothing, asking nothing, for no handles', async () => {
    expect(await directory().resolve([])).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('fails naming an unknown handle, though a resolvable one was asked alongside', async () => {
    // Act
    const error = await failure(directory().resolve(['sre', 'sre-on', 'nobody']));

    // Assess
    expect(error.handles).toEqual(['sre-on', 'nobody']);
    expect(error.causes).toEqual({
      'sre-on': 'no Datadog team has this handle',
      nobody: 'no Datadog team has this handle',
    });
    expect(error.message).toBe(
      'Could not resolve the Datadog teams "sre-on", "nobody" to their members ' +
        '(a team-scoped report is never widened to the whole org): "sre-on", "nobody": no Datadog team has this handle',
    );
  });

  it('fails naming every handle and the teams_read scope when Datadog refuses the Teams API (403), and stops asking', async () => {
    // Prepare
    emulator.setFaults({ teamsForbidden: true });
    const before = emulator.stats.teamRequests;

    // Act
    const error = await failure(directory({ concurrency: 1 }).resolve(['sre', 'data']));

    // Assess
    expect(error.handles).toEqual(['sre', 'data']);
    expect(error.message).toContain(
      `"sre", "data": Datadog refused the Teams API (HTTP 403) at the API at ${new URL(emulator.url).host}: ` +
        'the application key needs the teams_read scope',
    );
    expect(emulator.stats.teamRequests - before).toBe(1);
  });

  it('resolves the same members when 15 % of the requests are answered 429 or 503 first', async () => {
    // Prepare
    emulator.setFaults({ rate429: 0.05, rate503: 0.1, resetSeconds: 1 });
    const before = { ...emulator.stats.byStatus };

    // Act
    const resolved = await directory({ pageSize: 2 }).resolve(['sre', 'platform', 'data']);

    // Assess
    expect(resolved.map(byUser)).toEqual([expected(team('sre')), expected(team('platform')), expected(team('data'))]);
    const more = (status: number) => (emulator.stats.byStatus[status] ?? 0) - (before[status] ?? 0);
    expect(more(429)).toBeGreaterThan(0);
    expect(more(503)).toBeGreaterThan(0);
  });

  it.each([
    ['a team without a handle or a membership without its user', 'cursor-number' as const],
    ['a body that is not JSON', 'not-json' as const],
    ['data that is null', 'data-null' as const],
  ])('retries a 200 of the wrong shape (%s) as it retries a 5xx', async (_, malformedShape) => {
    // Prepare
    emulator.setFaults({ malformedRate: 0.5, malformedShape });
    const before = emulator.stats.teamRequests;

    // Act
    const resolved = await directory({ pageSize: 2 }).resolve(['sre']);

    // Assess: more requests than the search and the memberships pages take, and the same members.
    expect(byUser(resolved[0]!)).toEqual(expected(team('sre')));
    const needed = 1 + Math.floor(team('sre').members.length / 2) + 1;
    expect(emulator.stats.teamRequests - before).toBeGreaterThan(needed);
  });

  it('fails the team, never a narrower one, when every answer is of the wrong shape', async () => {
    // Prepare
    emulator.setFaults({ malformedRate: 1, malformedShape: 'cursor-number' });

    // Act
    const error = await failure(directory({ maxAttempts: 3 }).resolve(['sre']));

    // Assess
    expect(error.causes.sre).toBe(
      'the team search failed: Datadog sent a malformed response (data[0].id is a number, not a team id); gave up after 3 attempts',
    );
  });

  it('fails naming the handle when Datadog keeps answering 503', async () => {
    // Prepare
    emulator.setFaults({ rate503: 1 });

    // Act
    const error = await failure(directory({ maxAttempts: 2 }).resolve(['data']));

    // Assess
    expect(error.message).toContain(
      '"data": the team search failed: Datadog unavailable (HTTP 503); gave up after 2 attempts',
    );
  });

  it('stops at the deadline, failing every handle it had not resolved', async () => {
    // Prepare
    emulator.setFaults({ latencyMs: 2_000 });
    const started = Date.now();

    // Act
    const error = await failure(directory().resolve(['sre', 'data'], { deadline: Date.now() + 300 }));

    // Assess
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.handles).toEqual(['sre', 'data']);
    expect(error.causes.sre).toMatch(/^the team search failed: .*(did not answer in time|deadline)/);
  });

  it('fails a team whose members take more pages than the cap, rather than cut it short', async () => {
    // Act
    const error = await failure(directory({ pageSize: 1, maxPages: 3 }).resolve(['sre']));

    // Assess
    expect(error.causes.sre).toBe('reading its members stopped at the cap of 3 pages of 1');
  });

  it('fails a team whose memberships Datadog cannot find (404) between the search and the read', async () => {
    // Prepare: a transport that loses the team after the search found it.
    const losing: typeof fetch = async (input, init) =>
      fetch(String(input).replace(team('data').id, '00000000-0000-4000-8000-000000000000'), init);

    // Act
    const error = await failure(directory({ fetch: losing }).resolve(['data']));

    // Assess
    expect(error.causes.data).toBe(
      'reading its members failed: Datadog rejected the team memberships read: HTTP 404 (Team not found)',
    );
  });

  it.each([
    ['datadoghq.eu', 'https://api.datadoghq.eu/api/v2/team?'],
    ['uk1.datadoghq.com', 'https://api.uk1.datadoghq.com/api/v2/team?'],
  ] as const)('addresses the site %s', async (site, url) => {
    // Prepare: a transport that records where requests go and refuses them, so no network is used.
    const urls: string[] = [];
    const refuse = async (input: string | URL | Request): Promise<Response> => {
      urls.push(String(input));
      return new Response('{"errors":["Forbidden"]}', { status: 403, headers: { 'content-type': 'application/json' } });
    };

    // Act
    const error = await failure(
      createDatadogTeamDirectory({ apiKey: API_KEY, appKey: APP_KEY, site, fetch: refuse as typeof fetch }).resolve([
        'sre',
      ]),
    );

    // Assess
    expect(urls[0]?.startsWith(url)).toBe(true);
    expect(error.message).toContain(`site ${site}`);
  });
});
