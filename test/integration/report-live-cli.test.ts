/**
 * `report summarize` and `report preview` without --input: the real CLI process fetches from the
 * Datadog audit API emulator over 127.0.0.1 (DD_API_URL), exactly as it would from Datadog.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeEvent } from '../../functions/weekly-report/core/normalize';
import { callInScope, personScope } from '../../functions/weekly-report/core/scope';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, generateScenario, outerTime } from '../support/generator';
import { runReport } from '../support/report-cli';

const END = new Date('2026-11-23T09:00:00Z');

describe('report CLI against Datadog (emulated)', () => {
  let datadog: DatadogEmulator;
  let env: Record<string, string>;
  const scenario = generateScenario({ seed: 9, end: END });

  beforeAll(async () => {
    datadog = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window], teams: scenario.teams });
    env = { DD_API_URL: datadog.url, DD_API_KEY: datadog.apiKey, DD_APP_KEY: datadog.appKey };
  });
  afterAll(async () => {
    await datadog?.close();
  });

  it('summarizes the window and its baseline fetched live', async () => {
    const from = new Date(END.getTime() - 7 * 86_400_000).toISOString();
    const r = await runReport(['summarize', '--from', from, '--to', END.toISOString(), '--format', 'json'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.window).toEqual({ from, to: END.toISOString() });
    expect(s.complete).toBe(true);
    expect(s.total_tool_calls).toBeGreaterThan(1000);
    expect(s.baseline.events).toBeGreaterThan(1000);
    expect(s.previous_window.total_tool_calls).toBeGreaterThan(0);
    expect(s.anomaly_counts.first_time_user).toBeGreaterThan(0);
  });

  it('narrows a report to a Datadog team with --team, live and from a file, naming the scope', async () => {
    // Prepare
    const from = new Date(END.getTime() - 7 * 86_400_000);
    const team = scenario.teams.find((t) => t.handle === 'sre');
    const scope = personScope(
      'team sre',
      (team?.members ?? []).map((m) => ({ userId: m.id, email: m.email })),
    );
    const expected = scenario.window.filter((e) => {
      const t = outerTime(e);
      const r = normalizeEvent(e);
      return t >= from.getTime() && t < END.getTime() && r.eventName === 'MCP Server' && callInScope(r, scope);
    }).length;
    const file = join(mkdtempSync(join(tmpdir(), 'team-')), 'week.json');
    writeFileSync(file, JSON.stringify({ data: scenario.window }));
    const range = ['--from', from.toISOString(), '--to', END.toISOString(), '--format', 'json'];

    // Act
    const live = await runReport(['summarize', ...range, '--team', 'sre'], env);
    const fromFile = await runReport(['summarize', '--input', file, ...range, '--team', 'sre'], env);
    const unknown = await runReport(['summarize', ...range, '--team', 'nobody-here'], env);

    // Assess
    expect(live.status).toBe(0);
    const s = JSON.parse(live.stdout);
    expect(s.scope).toEqual({
      label: 'team sre',
      membership: { people: expect.any(Number), fingerprint: expect.stringMatching(/^sha256:/), read: 'at run time' },
    });
    expect(s.total_tool_calls).toBe(expected);
    expect(expected).toBeGreaterThan(0);
    expect(JSON.parse(fromFile.stdout).total_tool_calls).toBe(expected);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/"nobody-here": no Datadog team has this handle/);
  });

  it('reads tools and clients from the metric over the same window', async () => {
    const from = new Date(END.getTime() - 7 * 86_400_000).toISOString();
    const r = await runReport(['summarize', '--from', from, '--to', END.toISOString(), '--format', 'json'], env);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.tool_usage).toMatchObject({ status: 'ok', total_calls: s.total_tool_calls });
    const sum = (list: Array<{ calls: number }>) => list.reduce((n, x) => n + x.calls, 0);
    expect(sum(s.tools)).toBe(s.total_tool_calls);
    expect(sum(s.clients)).toBe(s.total_tool_calls);
    expect(s.anomaly_counts.new_client).toBe(1);
  });

  it('narrows the audit figures and the tools and clients to one --user, live', async () => {
    // Prepare: the person the generator planted a new client for; the metric counts their own calls, not an agent's for them
    const { clientPerson, newClient } = scenario.planted;
    const from = END.getTime() - 7 * 86_400_000;
    const own = scenario.window.filter((e) => {
      const inner = (e.attributes as { attributes?: { usr?: { id?: unknown }; evt?: { name?: unknown } } }).attributes;
      const t = Date.parse(String((e.attributes as { timestamp?: unknown }).timestamp));
      return inner?.evt?.name === 'MCP Server' && inner.usr?.id === clientPerson.id && t >= from && t < END.getTime();
    }).length;

    // Act
    const r = await runReport(
      [
        'summarize',
        '--from',
        new Date(from).toISOString(),
        '--to',
        END.toISOString(),
        '--format',
        'json',
        '--user',
        clientPerson.email,
      ],
      env,
    );

    // Assess
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    expect(s.unique_users).toBe(1);
    expect(s.top_users[0].user).toBe(clientPerson.email);
    expect(s.tools.reduce((n: number, t: { calls: number }) => n + t.calls, 0)).toBe(own);
    expect(s.clients.map((c: { client: string }) => c.client)).toContain(newClient);
    expect(s.clients.every((c: { people: number }) => c.people === 1)).toBe(true);
    expect(s.anomalies.filter((a: { kind: string }) => a.kind === 'new_client')).toEqual([
      expect.objectContaining({ user: clientPerson.email, client: newClient }),
    ]);
  });

  it('says on stderr when a live --user made no call in the window, and prints the empty report narrowed to them', async () => {
    // Act
    const r = await runReport(
      [
        'summarize',
        '--from',
        new Date(END.getTime() - 7 * 86_400_000).toISOString(),
        '--to',
        END.toISOString(),
        '--format',
        'json',
        '--user',
        'nobody@example.com',
      ],
      env,
    );

    // Assess
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'report: --user nobody@example.com made no MCP call in the window; the report is empty (check the id, e-mail or name if that is unexpected)\n',
    );
    const s = JSON.parse(r.stdout);
    expect(s.total_tool_calls).toBe(0);
    expect(s.scope).toEqual({ label: 'user nobody@example.com' });
    expect(new URL(s.link).searchParams.get('query')).toContain('@delegator.email:"nobody@example.com"');
  });

  it('previews into a folder, printing the report and sending nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'preview-'));
    const r = await runReport(['preview', '--to', END.toISOString(), '--out', out, '--org', 'Acme'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^AI Activity Audit — Acme — 2026-11-16 to 2026-11-23\n/);
    expect(r.stdout).toContain('nothing was sent');
    for (const f of ['email.html', 'email.txt', 'slack.json', 'summary.json'])
      expect(existsSync(join(out, f))).toBe(true);
    const slack = JSON.parse(readFileSync(join(out, 'slack.json'), 'utf8'));
    // The channel post and its one thread reply, each exactly chat.postMessage arguments, and never a token.
    expect(Object.keys(slack).sort()).toEqual(['post', 'thread']);
    expect(slack.thread).toHaveLength(1);
    for (const message of [slack.post, ...slack.thread]) {
      expect(Object.keys(message)).toEqual(expect.arrayContaining(['channel', 'text', 'blocks', 'unfurl_links']));
      for (const key of Object.keys(message))
        expect(['channel', 'text', 'blocks', 'unfurl_links', 'unfurl_media']).toContain(key);
      expect(message.unfurl_links).toBe(false);
    }
  });

  it('says which variables are missing, and names the scope, without a key', async () => {
    const r = await runReport(['summarize'], { DD_API_URL: datadog.url, DD_API_KEY: '', DD_APP_KEY: '' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'report: without --input, events come from Datadog: set DD_API_KEY and DD_APP_KEY (scope audit_logs_read)',
    );
  });

  it('fails with one clear line when Datadog refuses the keys', async () => {
    const r = await runReport(['summarize'], { ...env, DD_APP_KEY: 'wrong-app-key-secret' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/audit_logs_read/);
    expect(r.stderr).not.toContain('wrong-app-key-secret');
  });

  describe('under faults: the true totals, or marked incomplete and never above them, and always an end', () => {
    const FROM = new Date(END.getTime() - 7 * 86_400_000).toISOString();
    const args = ['summarize', '--from', FROM, '--to', END.toISOString(), '--format', 'json', '--baseline-days', '7'];
    let truth: { total_tool_calls: number; baseline: { events: number } };

    beforeAll(async () => {
      datadog.setFaults({});
      truth = JSON.parse((await runReport(args, env)).stdout);
    });
    afterEach(() => datadog.setFaults({}));

    it.each([
      ['a wrong-shaped 200 now and then', { malformedRate: 0.2, malformedShape: 'data-null' } as const],
      ['15 % of requests answered 503', { rate503: 0.15 } as const],
    ])('gives the true totals, complete, with %s', async (_name, faults) => {
      datadog.setFaults(faults);
      const r = await runReport(args, env);
      expect(r.status).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.complete).toBe(true);
      expect(s.total_tool_calls).toBe(truth.total_tool_calls);
      expect(s.baseline.events).toBe(truth.baseline.events);
    });

    it('marks the report incomplete, never above the truth, when a page repeats the cursor it was asked for', async () => {
      datadog.setFaults({ cursorFault: 'repeat-page' });
      const requestsBefore = datadog.stats.requests;
      const r = await runReport(args, env);
      expect(r.status).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.complete).toBe(false);
      expect(s.total_tool_calls).toBeLessThanOrEqual(truth.total_tool_calls);
      expect(s.baseline.events).toBeLessThanOrEqual(truth.baseline.events);
      expect(s.warnings[0]).toMatch(/repeated a page cursor|already received/);
      expect(datadog.stats.requests - requestsBefore).toBeLessThan(200);
    });

    it('ends a cursor cycle A → B → A, incomplete and below the truth, on a week of several pages per slice', async () => {
      // 48k calls: 3k per time slice, so each slice pages through A and B and meets A again.
      const dense = await startDatadogEmulator({
        events: [...generateEvents({ seed: 3, from: new Date(FROM), to: END, count: 48_000, seedCompatible: true })],
        apiKey: datadog.apiKey,
        appKey: datadog.appKey,
      });
      try {
        const denseArgs = [...args.slice(0, -2), '--baseline-days', '0'];
        const full = JSON.parse((await runReport(denseArgs, { ...env, DD_API_URL: dense.url })).stdout);
        dense.setFaults({ cursorFault: 'cycle' });
        const requestsBefore = dense.stats.requests;
        const metricQueriesBefore = dense.stats.metricQueries;
        const r = await runReport(denseArgs, { ...env, DD_API_URL: dense.url });
        expect(r.status).toBe(0);
        const s = JSON.parse(r.stdout);
        expect(full.total_tool_calls).toBe(48_000);
        expect(s.complete).toBe(false);
        expect(s.total_tool_calls).toBeLessThan(full.total_tool_calls);
        expect(s.warnings[0]).toMatch(/^Datadog repeated a page cursor \(a cursor cycle\)/);
        // Audit searches only: the metric's 4 queries of the window go to the same emulator.
        const searches = dense.stats.requests - requestsBefore - (dense.stats.metricQueries - metricQueriesBefore);
        expect(searches).toBe(16 * 3);
      } finally {
        await dense.close();
      }
    });

    it.each([
      [
        'every 200 wrong-shaped',
        () => datadog.setFaults({ malformedRate: 1, malformedShape: 'null' }),
        /malformed response/,
      ],
      [
        'every request rate-limited',
        () => datadog.setFaults({ always429: true, resetSeconds: 1 }),
        /rate limit \(HTTP 429\)/,
      ],
    ])('exits 1 with one line and no report when %s', async (_name, inject, cause) => {
      inject();
      const r = await runReport(args, env);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^report: No report for .*not one page of the window could be read/);
      expect(r.stderr).toMatch(cause);
    });

    it('exits 1 with one line when nothing listens at DD_API_URL', async () => {
      const closed = await startDatadogEmulator({ events: [] });
      await closed.close();
      const r = await runReport(args, { ...env, DD_API_URL: closed.url });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^report: No report for .*Datadog unreachable \(ECONNREFUSED\)/);
    });

    it('stops at --timeout and says what it could not read', async () => {
      datadog.setFaults({ latencyMs: 400 });
      const started = Date.now();
      const r = await runReport([...args, '--timeout', '1'], env);
      expect(Date.now() - started).toBeLessThan(15_000);
      if (r.status === 0) {
        const s = JSON.parse(r.stdout);
        expect(s.complete).toBe(false);
        expect(s.warnings.join('\n')).toMatch(/deadline/);
      } else {
        expect(r.stderr).toMatch(/^report: No report for .*deadline/);
      }
    });
  });
});
