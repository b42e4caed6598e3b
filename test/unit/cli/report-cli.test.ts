import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readEvents } from '../../../functions/weekly-report/cli/input';
import { generateEvents } from '../../support/generator';

const ROOT = join(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
const FROM = new Date('2026-11-16T09:00:00Z');
const TO = new Date('2026-11-23T09:00:00Z');
const events = [...generateEvents({ seed: 5, from: FROM, to: TO, count: 600, hostileRate: 0.03, malformedRate: 0.02 })];

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs the real CLI entry point, as `npm run -s report -- …` does (it builds dist/cli/ first when stale). */
function report(args: string[], input?: string) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts/report.cjs'), ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const responseFile = write('response.json', JSON.stringify({ data: events }));

describe('readEvents', () => {
  const collect = async (path: string, stdin?: string) => {
    const seen: unknown[] = [];
    const result = await readEvents(
      path,
      (e) => seen.push(e),
      stdin === undefined ? undefined : Readable.from([stdin]),
    );
    return { seen, result };
  };

  it('reads a search response, an array of events, an array of responses and NDJSON alike', async () => {
    const shapes = {
      response: JSON.stringify({ data: events, meta: { page: { after: 'x' } } }, null, 2),
      events: JSON.stringify(events),
      responses: JSON.stringify([{ data: events.slice(0, 100) }, { data: events.slice(100) }]),
      ndjson: `${events.map((e) => JSON.stringify(e)).join('\n')}\n`,
      ndjsonPages: `${JSON.stringify({ data: events.slice(0, 300) })}\n${JSON.stringify({ data: events.slice(300) })}`,
    };
    for (const [name, text] of Object.entries(shapes)) {
      const { seen, result } = await collect(write(`${name}.json`, text));
      expect({ name, count: seen.length }).toEqual({ name, count: events.length });
      expect(result.events).toBe(events.length);
    }
  });

  it('streams NDJSON from stdin, split at arbitrary chunk boundaries, counting unreadable lines', async () => {
    const text = `${JSON.stringify(events[0])}\n{broken\n${JSON.stringify(events[1])}`;
    const seen: unknown[] = [];
    const chunks = text.match(/[\s\S]{1,7}/g)!;
    const result = await readEvents('-', (e) => seen.push(e), Readable.from(chunks.map((c) => Buffer.from(c))));
    expect(result).toEqual({ format: 'ndjson', events: 3, unparsableLines: 1 });
    expect(seen[1]).toBe('{broken');
  });
});

describe('report summarize', () => {
  it('prints the text report on stdout only, and the same summary for every input shape', () => {
    const a = report(['summarize', '--input', responseFile, '--format', 'json']);
    const b = report(
      ['summarize', '--input', '-', '--format', 'json'],
      events.map((e) => JSON.stringify(e)).join('\n'),
    );
    expect(a.status).toBe(0);
    expect(a.stderr).toBe('');
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    expect(JSON.parse(a.stdout).total_tool_calls).toBe(events.length);

    const text = report(['summarize', '--input', responseFile, '--org', 'Acme']);
    expect(text.stdout).toMatch(/^AI Activity Audit — Acme — 2026-11-16 to 2026-11-2\d\n/);
    expect(text.stdout).toContain(`Total MCP tool calls: ${events.length.toLocaleString('en-US')}`);
  });

  it('narrows to --from/--to and to one --user', () => {
    // Well-formed events only, so every counted call also has a day.
    const clean = [...generateEvents({ seed: 6, from: FROM, to: TO, count: 600 })];
    const path = write('clean.json', JSON.stringify({ data: clean }));
    const day = report([
      'summarize',
      '--input',
      path,
      '--from',
      '2026-11-17T00:00:00Z',
      '--to',
      '2026-11-18T00:00:00Z',
      '--format',
      'json',
    ]);
    const s = JSON.parse(day.stdout);
    expect(s.window).toEqual({ from: '2026-11-17T00:00:00.000Z', to: '2026-11-18T00:00:00.000Z' });
    expect(s.total_tool_calls).toBeLessThan(clean.length);
    expect(s.daily_calls).toEqual([{ date: '2026-11-17', calls: s.total_tool_calls }]);

    const top = JSON.parse(report(['summarize', '--input', path, '--format', 'json']).stdout).top_users[0];
    const one = JSON.parse(report(['summarize', '--input', path, '--user', top.user, '--format', 'json']).stdout);
    expect(one.total_tool_calls).toBe(top.calls);
    expect(one.unique_users).toBe(1);
  });

  it.each([
    [['summarize', '--input', '/no/such/file.json'], /cannot read \/no\/such\/file\.json: no such file/, 1],
    [['summarize', '--input', 'NOTJSON'], /is not JSON, a JSON array or NDJSON/, 1],
    [['summarize', '--input', 'x', '--bogus'], /Unknown option '--bogus'/, 2],
    [['summarize', '--input', 'x', '--timezone', 'Mars/Base'], /--timezone must be an IANA time zone/, 2],
    [['summarize', '--input', 'x', '--from', 'yesterday'], /--from must be an ISO date/, 2],
    [['frobnicate'], /unknown command "frobnicate"/, 2],
  ])('fails on bad input %j with one clear line on stderr', (args, message, code) => {
    const argv = args.map((a) => (a === 'NOTJSON' ? write('bad.txt', 'this is not json\n') : a));
    const r = report(argv);
    expect(r.status).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
