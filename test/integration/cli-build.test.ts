/**
 * The compiled command line (scripts/build-cli.cjs, run by `npm ci` through `prepare` and by
 * scripts/report.cjs when a source changed): its Datadog client bundle, whose ObjectSerializer
 * keeps only the models of the Audit, Metrics and Teams APIs, sends exactly the requests the full client sends
 * and reads their answers as it does; its
 * freshness check notices every kind of change; and an edited source is rebuilt before it runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import * as full from '../../functions/weekly-report/adapters/datadog/api-client';

const ROOT = join(__dirname, '../..');

interface BuildCli {
  ensureBuilt(): Promise<string>;
  isFresh(manifest: unknown): boolean;
  readonly MANIFEST: string;
  readonly OUT_DIR: string;
  readonly TRANSPORT_STAND_INS: Readonly<Record<'cross-fetch' | 'pako', string>>;
}
const buildCli = require('../../scripts/build-cli.cjs') as BuildCli;

type Client = Pick<
  typeof full,
  'AuditApi' | 'MetricsApi' | 'TeamsApi' | 'createConfiguration' | 'BaseServerConfiguration'
>;

interface Sent {
  readonly url: string;
  readonly method: unknown;
  readonly headers: unknown;
  readonly body: unknown;
}

/**
 * Sends `body` through `client`'s AuditApi (or MetricsApi; for the TeamsApi, `body` is the
 * operation's parameters) to a fetch that records the request and answers `answer`.
 */
async function send(
  client: Client,
  body: unknown,
  answer: string,
  api: 'audit' | 'metrics' | 'teams' | 'memberships' = 'audit',
): Promise<{ sent?: Sent; result?: unknown; error?: string }> {
  let sent: Sent | undefined;
  const configuration = client.createConfiguration({
    authMethods: { apiKeyAuth: 'api-key', appKeyAuth: 'app-key' },
    baseServer: new client.BaseServerConfiguration('http://127.0.0.1:9', {}),
    fetch: async (url: string, init: { method?: unknown; headers?: unknown; body?: unknown }) => {
      sent = { url, method: init.method, headers: init.headers, body: init.body };
      return new Response(answer, { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  try {
    const result =
      api === 'audit'
        ? await new client.AuditApi(configuration).searchAuditLogs({ body } as never)
        : api === 'metrics'
          ? await new client.MetricsApi(configuration).queryScalarData({ body } as never)
          : api === 'teams'
            ? await new client.TeamsApi(configuration).listTeams(body as never)
            : await new client.TeamsApi(configuration).getTeamMemberships(body as never);
    return { sent, result: JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    return { sent, error: String(error) };
  }
}

describe('the compiled CLI', () => {
  let slim: Client;

  beforeAll(async () => {
    await buildCli.ensureBuilt();
    slim = require(join(buildCli.OUT_DIR, 'datadog-client.cjs')) as Client;
  });

  it('sends the audit search exactly as the full Datadog client does, from a bundle that leaves the other models out', async () => {
    const bodies: unknown[] = [
      { filter: { query: '@evt.name:"MCP Server"', from: '2026-11-16T09:00:00.000Z', to: '2026-11-23T09:00:00.000Z' } },
      {
        filter: { query: 'q', from: 'now-7d', to: 'now' },
        page: { limit: 1000, cursor: 'eyJhZnRlciI6IkFRQUFBWk5X' },
        sort: 'timestamp',
        options: { timezone: 'Europe/Berlin', timeOffset: 3600 },
      },
      { filter: { query: 'q' }, page: { limit: 10 }, sort: '-timestamp' },
      { filter: { query: 'q' }, sort: 'by-size' }, // not an AuditLogsSort: both refuse it
      { filter: { query: 'q' }, extra: { x: 1 } }, // an attribute the model lacks: both leave it out
    ];
    const answer = JSON.stringify({
      data: [{ id: 'a', type: 'audit', attributes: { timestamp: '2026-11-16T10:00:00.000Z', attributes: { x: 1 } } }],
      meta: { page: { after: 'c' }, status: 'done', warnings: [{ code: 'w', detail: 'd', title: 't' }] },
      links: { next: 'n' },
    });
    for (const body of bodies) {
      const [expected, actual] = [await send(full, body, answer), await send(slim, body, answer)];
      expect(actual).toEqual(expected);
    }
    expect((await send(slim, bodies[0], answer)).sent?.body).toContain('MCP Server');
    // The whole client bundles to ~10 MB and loads its ~6,200 v2 models; the Audit API's alone are far below.
    expect(statSync(join(buildCli.OUT_DIR, 'datadog-client.cjs')).size).toBeLessThan(2_000_000);
    // The CLI and doctor load that slim client from beside them: neither holds a copy of its own.
    expect(statSync(join(buildCli.OUT_DIR, 'report.cjs')).size).toBeLessThan(1_000_000);
    for (const bundle of ['report.cjs', 'doctor.cjs'])
      expect(readFileSync(join(buildCli.OUT_DIR, bundle), 'utf8')).not.toContain('ObjectSerializer');
  });

  it("bundles small stand-ins for the client's cross-fetch and pako, which compress as pako does", () => {
    // Prepare: each stand-in as the bundle runs it, a CommonJS module.
    const load = (source: string): Record<string, (...args: unknown[]) => unknown> => {
      const module = { exports: {} };
      new Function('require', 'module', 'exports', source)(require, module, module.exports);
      return module.exports as Record<string, (...args: unknown[]) => unknown>;
    };
    const pako = load(buildCli.TRANSPORT_STAND_INS.pako);
    const crossFetch = load(buildCli.TRANSPORT_STAND_INS['cross-fetch']);
    const realPako = require('pako') as { gzip(s: string): Uint8Array; deflate(s: string): Uint8Array };
    const body = JSON.stringify({
      series: Array.from({ length: 500 }, (_, i) => ({ metric: `m.${i}`, points: [[i, i]] })),
    });

    // Act / Assess: the client sends `result.buffer`, so the result must be all of its buffer.
    for (const [name, inflate] of [
      ['gzip', gunzipSync],
      ['deflate', inflateSync],
    ] as const) {
      const out = pako[name]?.(body) as Uint8Array;
      expect(out.buffer.byteLength).toBe(out.byteLength);
      expect(inflate(Buffer.from(out.buffer)).toString('utf8')).toBe(body);
      expect(inflate(Buffer.from(realPako[name](body))).toString('utf8')).toBe(body);
    }
    expect(typeof crossFetch.fetch).toBe('function');
    const bundle = readFileSync(join(buildCli.OUT_DIR, 'datadog-client.cjs'), 'utf8');
    for (const dropped of ['node_modules/pako/', 'node_modules/node-fetch/', 'node_modules/tr46/']) {
      expect(bundle).not.toContain(dropped);
    }
  });

  it('sends the MCP usage metric query exactly as the full Datadog client does', async () => {
    const query = (q: string) => ({
      data: {
        type: 'scalar_request',
        attributes: {
          from: 1794787200000,
          to: 1795392000000,
          queries: [{ dataSource: 'metrics', name: 'a', query: q, aggregator: 'sum' }],
          formulas: [{ formula: 'a', limit: { count: 1000, order: 'desc' } }],
        },
      },
    });
    const bodies = [
      query('count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()'),
      query('count:datadog.mcp.tool.usage{*} by {user_email,client}.as_count()'),
    ];
    const answer = JSON.stringify({
      data: {
        type: 'scalar_response',
        attributes: {
          columns: [
            { name: 'tool_name', type: 'group', values: [['search_logs']] },
            { name: 'a', type: 'number', values: [12] },
          ],
        },
      },
    });
    for (const body of bodies) {
      const [expected, actual] = [await send(full, body, answer, 'metrics'), await send(slim, body, answer, 'metrics')];
      expect(actual).toEqual(expected);
      expect(actual.error).toBeUndefined();
    }
  });

  it('asks the Teams API (team search, memberships) and reads its answers exactly as the full Datadog client does', async () => {
    const searches = [
      { filterKeyword: 'sre', pageNumber: 0, pageSize: 100 },
      { pageNumber: 2, pageSize: 10, sort: 'name', include: ['team_links'], fieldsTeam: ['id', 'handle', 'name'] },
      { filterKeyword: 'sre', sort: 'by-size' }, // not a ListTeamsSort: both refuse it
    ];
    const memberships = [
      { teamId: '2e06bf2c-193b-41d4-b3c2-afccc080458f', pageNumber: 0, pageSize: 100 },
      { teamId: 'a/b c', pageNumber: 1, pageSize: 3, sort: '-email', filterKeyword: 'ana' },
    ];
    const teamsAnswer = JSON.stringify({
      data: [
        {
          type: 'team',
          id: 't-1',
          attributes: {
            handle: 'sre',
            name: 'Site Reliability',
            user_count: 2,
            created_at: '2026-03-02T10:15:00+00:00',
          },
          relationships: { team_links: { links: { related: '/api/v2/team/t-1/links' } } },
        },
      ],
      meta: { pagination: { number: 0, size: 100, total: 1, type: 'number_size' } },
      links: { self: 's', next: 'n', prev: null },
    });
    const membershipsAnswer = JSON.stringify({
      data: [
        {
          type: 'team_memberships',
          id: 'TeamMembership-t-1-1',
          attributes: { role: null, provisioned_by: null },
          relationships: { user: { data: { type: 'users', id: 'u-1' } } },
        },
      ],
      included: [
        { type: 'users', id: 'u-1', attributes: { name: null, email: 'ana@example.com', handle: 'ana@example.com' } },
        { type: 'team', id: 't-1', attributes: { handle: 'sre', name: 'Site Reliability' } },
        { type: 'something_new', id: 'x' }, // neither a User nor a Team
      ],
      meta: { pagination: { number: 0, size: 100, total: 1, type: 'number_size' } },
    });
    for (const params of searches) {
      const [expected, actual] = [
        await send(full, params, teamsAnswer, 'teams'),
        await send(slim, params, teamsAnswer, 'teams'),
      ];
      expect(actual).toEqual(expected);
    }
    for (const params of memberships) {
      const [expected, actual] = [
        await send(full, params, membershipsAnswer, 'memberships'),
        await send(slim, params, membershipsAnswer, 'memberships'),
      ];
      expect(actual).toEqual(expected);
      expect(actual.error).toBeUndefined();
    }
    expect((await send(slim, searches[0], teamsAnswer, 'teams')).sent?.url).toBe(
      'http://127.0.0.1:9/api/v2/team?page%5Bnumber%5D=0&page%5Bsize%5D=100&filter%5Bkeyword%5D=sre',
    );
  });

  it('counts a build as fresh only while every source keeps its mtime and size and every output exists', () => {
    const manifest = JSON.parse(readFileSync(buildCli.MANIFEST, 'utf8'));
    const sources = Object.keys(manifest.inputs);
    expect(sources).toEqual(
      expect.arrayContaining([
        'cli/report.ts',
        'functions/weekly-report/core/normalize.ts',
        'functions/weekly-report/adapters/datadog/audit-source.ts',
        'scripts/build-cli.cjs',
      ]),
    );
    if (!buildCli.isFresh(manifest)) return; // a source was edited during this run: the next run rebuilds
    const changed = (change: (m: typeof manifest) => void) => {
      const copy = structuredClone(manifest);
      change(copy);
      return buildCli.isFresh(copy);
    };
    const first = sources[0]!;
    expect(changed((m) => (m.inputs[first][0] += 1))).toBe(false);
    expect(changed((m) => (m.inputs[first][1] += 1))).toBe(false);
    expect(changed((m) => (m.inputs['functions/weekly-report/core/gone.ts'] = [0, 0]))).toBe(false);
    expect(changed((m) => m.outputs.push('missing.cjs'))).toBe(false);
    expect(changed((m) => (m.version += 1))).toBe(false);
  });

  it('builds a fresh clone on its first run, reuses the build, and rebuilds an edited source before running it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'cli-build-'));
    try {
      for (const dir of ['functions', 'cli', 'scripts', 'templates'])
        cpSync(join(ROOT, dir), join(copy, dir), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      // Sources checked out a while ago, as after a clone (sources changed just before a build are rebuilt once more).
      const past = new Date(Date.now() - 60_000);
      const sources = execFileSync(
        'find',
        [join(copy, 'functions'), join(copy, 'cli'), join(copy, 'scripts'), '-type', 'f'],
        {
          encoding: 'utf8',
        },
      );
      for (const file of sources.trim().split('\n')) utimesSync(file, past, past);
      const run = () =>
        execFileSync(process.execPath, [join(copy, 'scripts/report.cjs'), '--help'], { encoding: 'utf8' });
      const manifest = join(copy, 'dist/cli/manifest.json');

      expect(run()).toContain('usage: report summarize');
      const built = statSync(manifest).mtimeMs;
      expect(run()).toContain('usage: report summarize');
      expect(statSync(manifest).mtimeMs).toBe(built);

      // The usage text (its own bundle, what --help loads) and a module of the CLI: each edit is rebuilt before it runs.
      const usage = join(copy, 'cli/usage.ts');
      writeFileSync(
        usage,
        readFileSync(usage, 'utf8').replace('usage: report summarize', 'usage: edited report summarize'),
      );
      expect(run()).toContain('usage: edited report summarize');
      const entry = join(copy, 'cli/options.ts');
      writeFileSync(entry, readFileSync(entry, 'utf8').replace('`--format must be text or json', '`--format edited'));
      const refused = spawnSync(process.execPath, [join(copy, 'scripts/report.cjs'), 'summarize', '--format', 'x'], {
        encoding: 'utf8',
      });
      expect(refused.stderr).toContain('--format edited');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
