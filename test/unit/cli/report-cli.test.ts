/**
 * The `report` command line through its real entry point (tsx, as `npm run -s report` runs it):
 * input detection and its speed on stdin, what counts as audit events, the report window, help
 * and usage, --out, and the option rules shared with the stack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { readEvents } from '../../../cli/input';
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

/** The CLI as `npm run report` runs it: scripts/report.cjs builds dist/cli/ first when a source is newer. */
const REPORT = join(ROOT, 'scripts/report.cjs');

/** Runs the real CLI entry point, as `npm run -s report -- …` does. */
function report(args: string[], input?: string, timeout = 60_000) {
  // A timeout's SIGTERM reaches the CLI process itself (no shell in between), so nothing is left spinning.
  return spawnSync(process.execPath, [REPORT, ...args], { input, encoding: 'utf8', timeout });
}

const responseFile = write('response.json', JSON.stringify({ data: events }));

describe('readEvents', () => {
  const collect = async (path: string, stdin?: string) => {
    const seen: unknown[] = [];
    const result = await readEvents(
      path,
      (e) => seen.push(e),
      stdin === undefined ? {} : { stdin: Readable.from([stdin]) },
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

  it('reads NDJSON pages whose first line is longer than any read-ahead', async () => {
    // Prepare: ~2 MB on the first line, as one page of 1000 events by `pup … | jq -c` can be.
    const many = [...generateEvents({ seed: 7, from: FROM, to: TO, count: 2500 })];
    const pages = `${JSON.stringify({ data: many.slice(0, 2400) })}\n${JSON.stringify({ data: many.slice(2400) })}\n`;
    expect(pages.indexOf('\n')).toBeGreaterThan(1 << 21);

    // Act
    const { result } = await collect(write('long-first-line.ndjson', pages));

    // Assess
    expect(result).toMatchObject({ format: 'ndjson', events: many.length, unparsableLines: 0 });
  });

  it('hands NDJSON events on as their lines arrive on stdin, before the input ends', async () => {
    // Prepare
    const stdin = new PassThrough();
    const seen: unknown[] = [];
    const reading = readEvents('-', (e) => seen.push(e), { stdin });

    // Act
    stdin.write(`${JSON.stringify(events[0])}\n${JSON.stringify(events[1])}\n`);
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const beforeEnd = seen.length;
    stdin.end(`${JSON.stringify(events[2])}\n`);

    // Assess
    expect(beforeEnd).toBe(2);
    expect(await reading).toMatchObject({ format: 'ndjson', events: 3 });
  });

  it('splits a long NDJSON line arriving in small chunks in time linear in its length', async () => {
    // Prepare: one 8 MB line in 1 KB chunks; rescanning the pending line per chunk is 4000× more work.
    const page = JSON.stringify({ data: [...generateEvents({ seed: 8, from: FROM, to: TO, count: 9000 })] });
    const text = `${JSON.stringify(events[0])}\n${page}\n`;
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1024) }, (_, i) =>
      bytes.subarray(i * 1024, (i + 1) * 1024),
    );
    const started = Date.now();

    // Act
    const result = await readEvents('-', () => {}, { stdin: Readable.from(chunks) });

    // Assess
    expect(result).toMatchObject({ format: 'ndjson', events: 9001, unparsableLines: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('streams NDJSON from stdin, split at arbitrary chunk boundaries, counting unreadable lines', async () => {
    const text = `${JSON.stringify(events[0])}\n{broken\n${JSON.stringify(events[1])}`;
    const seen: unknown[] = [];
    const chunks = text.match(/[\s\S]{1,7}/g)!;
    const result = await readEvents('-', (e) => seen.push({ ...e, personKey: e.personKey }), {
      stdin: Readable.from(chunks.map((c) => Buffer.from(c))),
    });
    expect(result).toMatchObject({ format: 'ndjson', events: 3, unparsableLines: 1 });
    expect(seen[1]).toMatchObject({ wellFormed: false, personKey: '(unknown)', action: '(unknown)' });
    expect(seen[2]).toMatchObject({ wellFormed: true });
  });
});

describe('report summarize', () => {
  it('stops quietly, exit 0, when its reader has closed the pipe (report … | head)', async () => {
    // Prepare: the real entry point, whose stdout pipe we close before it writes anything.
    const child = spawn(process.execPath, [REPORT, 'summarize', '--input', responseFile, '--format', 'json']);
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });

    // Act
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));

    // Assess: no EPIPE stack trace, no failure.
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('counts the malformed events of a real response, however few of its events are well formed', () => {
    // Prepare: one audit event among values that are anything but.
    const path = write(
      'mostly-malformed.json',
      JSON.stringify({ data: [events[0], 42, 'x', {}, { attributes: null }] }),
    );

    // Act
    const r = report(['summarize', '--input', path, '--format', 'json']);

    // Assess
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ total_tool_calls: 5, malformed_events: 4 });
  });

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
    expect(text.stdout).toContain(`Total MCP tool calls: ${events.length}\n`);
  });

  it('reads a large one-line response from stdin as fast as the same file by path', () => {
    // Prepare: ~2 MB of compact JSON without a newline, as `cat response.json |` gives it.
    const many = [...generateEvents({ seed: 9, from: FROM, to: TO, count: 2200 })];
    const text = JSON.stringify({ data: many });
    const path = write('one-line.json', text);
    const started = Date.now();
    const byPath = report(['summarize', '--input', path, '--format', 'json']);
    const pathMs = Date.now() - started;

    // Act: a pipe, read in the pipe's chunks; the old head check rescanned the growing line per chunk (minutes).
    const viaStdin = report(['summarize', '--input', '-', '--format', 'json'], text, 20_000 + 3 * pathMs);

    // Assess
    expect(byPath.status).toBe(0);
    expect(viaStdin.error).toBeUndefined();
    expect(viaStdin.status).toBe(0);
    expect(JSON.parse(viaStdin.stdout)).toEqual(JSON.parse(byPath.stdout));
    expect(JSON.parse(viaStdin.stdout).total_tool_calls).toBe(many.length);
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

  describe('with no matching events', () => {
    // MCP calls within the week, and another kind of audit event two days later: not a call, so not in the window.
    const later = { from: new Date(TO.getTime() + 2 * 86_400_000), to: new Date(TO.getTime() + 3 * 86_400_000) };
    const mixed = write(
      'mixed.json',
      JSON.stringify({
        data: [
          ...generateEvents({ seed: 10, from: FROM, to: TO, count: 300 }),
          ...generateEvents({ seed: 11, ...later, count: 1, nonMcpRate: 1 }),
        ],
      }),
    );
    const json = (args: string[], input?: string) => {
      const r = report([...args, '--format', 'json'], input);
      // A --user that matched nobody is a note on stderr (the report is still the answer).
      expect(r.stderr).toMatch(
        args.includes('--user') ? /^report: --user \S+ matched nobody in the input[^\n]*\n$/ : /^$/,
      );
      expect(r.stdout).not.toMatch(/1970-01-01|from_ts=0\b/);
      return JSON.parse(r.stdout);
    };

    it('shows the dates of the input, not the epoch, when --user matches nobody', () => {
      // Act
      const everyone = json(['summarize', '--input', mixed]);
      const nobody = json(['summarize', '--input', mixed, '--user', 'nobody@example.com']);
      const text = report(['summarize', '--input', mixed, '--user', 'nobody@example.com']);

      // Assess
      expect(nobody.total_tool_calls).toBe(0);
      expect(everyone.warnings).toContain(
        '1 event was of no AI kind (not an MCP Server call, no is_mcp_call, no AI agent) and left out.',
      );
      expect(everyone.window.to < '2026-11-24').toBe(true);
      expect(nobody.window).toEqual(everyone.window);
      const [narrowed, whole] = [new URL(nobody.link), new URL(everyone.link)];
      expect(narrowed.searchParams.get('from_ts')).toBe(whole.searchParams.get('from_ts'));
      expect(narrowed.searchParams.get('to_ts')).toBe(whole.searchParams.get('to_ts'));
      expect(narrowed.searchParams.get('query')).toContain('@usr.email:"nobody@example.com"');
      expect(text.stdout).not.toContain('1970');
      expect(text.stdout).toMatch(/^AI Activity Audit — .* — 2026-11-16 to 2026-11-2\d\n/);
    });

    it('shows the asked range when only one end is given', () => {
      // Act
      const nobody = json(['summarize', '--input', mixed, '--user', 'nobody', '--from', '2026-11-18T00:00:00Z']);
      const everyone = json(['summarize', '--input', mixed, '--from', '2026-11-18T00:00:00Z']);

      // Assess
      expect(nobody.window.from).toBe('2026-11-18T00:00:00.000Z');
      expect(nobody.window).toEqual(everyone.window);
    });

    it('shows the asked range for an empty response', () => {
      // Act
      const s = json(['summarize', '--input', '-', '--from', '2026-11-16', '--to', '2026-11-23'], '{"data":[]}');

      // Assess
      expect(s.window).toEqual({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
      expect(s.daily_calls).toHaveLength(7);
    });

    it('says there were no events, over the default 7 days, for an empty response without a range', () => {
      // Act
      const before = Date.now();
      const s = json(['summarize', '--input', '-'], '{"data":[]}\n');
      const after = Date.now();

      // Assess
      const to = Date.parse(s.window.to);
      expect(to).toBeGreaterThanOrEqual(before);
      expect(to).toBeLessThanOrEqual(after);
      expect(to - Date.parse(s.window.from)).toBe(7 * 24 * 60 * 60 * 1000);
      expect(s.warnings).toContainEqual(expect.stringMatching(/^The input holds no dated MCP calls, so the window/));
    });
  });

  it('says that a file has no tools or clients (they come from a metric read live), without a note', () => {
    // Act
    const s = JSON.parse(report(['summarize', '--input', responseFile, '--format', 'json']).stdout);

    // Assess
    expect(s.tools).toBeNull();
    expect(s.clients).toBeNull();
    expect(s.tool_usage).toMatchObject({ status: 'not_fetched' });
    expect(s.tool_usage.reason).toMatch(/^not available from a file: .*datadog\.mcp\.tool\.usage/);
    expect(s.warnings.join(' ')).not.toMatch(/not available from a file/);
    expect(s.anomaly_counts.new_client).toBeNull();
  });

  it('takes --site uk1.datadoghq.com and links to its app', () => {
    // Act
    const r = report(['summarize', '--input', responseFile, '--format', 'json', '--site', 'uk1.datadoghq.com']);

    // Assess
    expect(r.stderr).toBe('');
    expect(new URL(JSON.parse(r.stdout).link).host).toBe('uk1.datadoghq.com');
  });

  it('spells --timezone canonically in the summary', () => {
    // Act
    const r = report(['summarize', '--input', responseFile, '--timezone', 'europe/berlin', '--format', 'json']);

    // Assess
    expect(JSON.parse(r.stdout).timezone).toBe('Europe/Berlin');
  });

  it.each([
    [['summarize', '--input', '/no/such/file.json'], /cannot read \/no\/such\/file\.json: no such file/, 1],
    [['summarize', '--input', 'NOTJSON'], /is not JSON, a JSON array or NDJSON/, 1],
    [['summarize', '--input', 'package.json'], /^report: package.json holds no audit events: expected a Datadog/, 1],
    [['summarize', '--input', 'NUMBERS'], /holds no audit events: .*\(found 3 values, none with "attributes"\)/, 1],
    [['summarize', '--input', 'OBJECTS.ndjson'], /holds no audit events: .*each event an object with "attributes"/, 1],
    [['summarize', '--input', 'RESPONSE', '--baseline', 'package.json'], /package.json holds no audit events/, 1],
    [['summarize', '--input', 'x', '--bogus'], /^report: unknown option --bogus \(summarize takes --input /, 2],
    [['summarize', '--input', 'x', '--timezone', 'Mars/Base'], /--timezone must be an IANA time zone/, 2],
    [['summarize', '--input', 'x', '--from', 'yesterday'], /--from must be an ISO date/, 2],
    [['frobnicate'], /unknown command "frobnicate"/, 2],
    [
      ['render', '--input', 'RESPONSE', '--out', 'OUT', '--channel', '#general'],
      /--channel must be a Slack channel ID such as C0123456789 .*not a #name \(got "#general"\)/,
      2,
    ],
    [
      ['render', '--input', 'RESPONSE', '--out', 'OUT', '--channel', 'general'],
      /--channel must be a Slack channel ID/,
      2,
    ],
  ])('fails on bad input %j with one clear line on stderr', (args, message, code) => {
    const standIns: Record<string, () => string> = {
      NOTJSON: () => write('bad.txt', 'this is not json\n'),
      NUMBERS: () => write('numbers.json', '[1, 2, 3]'),
      'OBJECTS.ndjson': () => write('objects.ndjson', '{"name":"a"}\n{"name":"b"}\n'),
      RESPONSE: () => responseFile,
      OUT: () => join(dir, 'refused-out'),
    };
    const argv = args.map((a) => standIns[a]?.() ?? a);
    const r = spawnSync(process.execPath, [REPORT, ...argv], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('report help and usage', () => {
  it.each([[['--help']], [['-h']], [['help']], [['summarize', '--help']], [['render', '--help']], [['preview', '-h']]])(
    'answers %j with the usage on stdout and exit 0',
    (args) => {
      // Act
      const r = report(args);

      // Assess
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/^usage: report summarize /);
    },
  );

  it('prints the usage on stderr and exits 2 when no command is given', () => {
    // Act
    const r = report([]);

    // Assess
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr).toMatch(/^usage: report summarize /);
  });
});

describe('report render --out', () => {
  it.each([
    [
      'a file',
      () => write('occupied.json', '{}\n'),
      /^report: cannot write to --out .*occupied\.json: it is a file; name a directory/,
    ],
    [
      'inside a file',
      () => join(write('occupied.txt', 'x'), 'report'),
      /^report: cannot write to --out .*: a file is in the way/,
    ],
  ])('refuses %s with one line naming the path', (_, out, message) => {
    // Act
    const r = report(['render', '--input', responseFile, '--out', out()]);

    // Assess
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a --workers that is not a whole number from 0 to 64, naming it', () => {
    for (const value of ['-1', '1.5', 'many', '65']) {
      const r = report(['summarize', '--input', responseFile, `--workers=${value}`]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({
        status: 2,
        stderr: expect.stringContaining(`--workers must be a whole number from 0 to 64 (got "${value}")`),
      });
    }
  });

  it('takes the channel from SLACK_CHANNEL by the same rule, naming the variable; summarize has no use for it', () => {
    // Act
    const run = (args: string[]) =>
      spawnSync(process.execPath, [REPORT, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, SLACK_CHANNEL: '#security' },
      });
    const render = run(['render', '--input', responseFile, '--out', join(dir, 'env-out')]);
    const summarize = run(['summarize', '--input', responseFile]);

    // Assess
    expect(render.status).toBe(2);
    expect(render.stderr).toMatch(/^report: SLACK_CHANNEL must be a Slack channel ID .*\(got "#security"\)\n$/);
    expect({ status: summarize.status, stderr: summarize.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('writes the four files into a directory it creates', () => {
    // Prepare
    const out = join(dir, 'new', 'out');

    // Act
    const r = report(['render', '--input', responseFile, '--out', out]);

    // Assess
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['email.html', 'email.txt', 'slack.json', 'summary.json']);
  });
});

describe('a strict command line', () => {
  const out = join(dir, 'strict-out');

  it.each([
    [
      ['summarize', '--input', 'RESPONSE', '--out', 'OUT'],
      /^--out does not apply to summarize; it is an option of render, preview and show$/,
    ],
    [
      ['render', '--input', 'RESPONSE', '--out', 'OUT', '--format', 'json'],
      /^--format does not apply to render; it is an option of summarize, history, show and verify$/,
    ],
    [
      ['history', '--archive', 'OUT', '--input', 'RESPONSE'],
      /^--input does not apply to history; it is an option of summarize and render$/,
    ],
    [
      ['show', '--archive', 'OUT', '--week', '2026-11-18', '--timezone', 'UTC'],
      /^--timezone does not apply to show; it is an option of summarize, render and preview$/,
    ],
    [['preview', '--input', 'RESPONSE'], /^preview reads Datadog; use render with --input$/],
    [
      ['summarize', '--baseline', 'RESPONSE'],
      /^--baseline reads the weeks before --input from a file; without --input the baseline comes from Datadog/,
    ],
    [
      ['summarize', '--input', 'RESPONSE', '--baseline-days', '7'],
      /^--baseline-days sets the baseline of a live read; with --input, give the weeks before it as a file/,
    ],
    [['summarize', '--input', 'RESPONSE', '--inptu', 'x'], /^unknown option --inptu; did you mean --input\?$/],
    [
      ['render', '--input', 'RESPONSE', '--out', 'OUT', '--chanel', 'C0123456789'],
      /^unknown option --chanel; did you mean --channel\?$/,
    ],
    [
      ['summarize', '--input', 'RESPONSE', '--chanel', 'C0123456789'],
      /^unknown option --chanel; the nearest, --channel, is an option of render and preview$/,
    ],
    [['history', '--week', '2026-11-18'], /^--week does not apply to history; it is an option of show$/],
    [['sumarize', '--input', 'RESPONSE'], /^unknown command "sumarize"; did you mean summarize\?/],
    [['summarize', 'RESPONSE'], /^unexpected argument ".*response\.json": summarize takes options only \(--input /],
    [
      ['summarize', '--input', 'RESPONSE', '--workers', '-1'],
      /^--workers must be a whole number from 0 to 64 \(got "-1"\)$/,
    ],
    [
      ['summarize', '--input', 'RESPONSE', '--weeks', '3'],
      /^--weeks does not apply to summarize; it is an option of history$/,
    ],
    [['render', '--input', 'RESPONSE', '--out'], /^--out needs a value$/],
    [
      ['render', '--input', 'RESPONSE', '--out', '--format', 'json'],
      /^--out needs a value, not the option --format \(write --out=--format if that is the value\)$/,
    ],
  ])('refuses %j with exit 2 and one line naming the fix', (args, message) => {
    // Act
    const argv = args.map((a) => (a === 'RESPONSE' ? responseFile : a === 'OUT' ? out : a));
    const r = report(argv);

    // Assess: nothing done, nothing written
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr.replace(/^report: /, '').trimEnd()).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('names binary input without echoing its bytes to the terminal', () => {
    // Prepare: a file of non-text bytes, escape sequences among them (clear screen, set title, 8-bit CSI)
    const bytes = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]),
      Buffer.from('\x1b[2J\x1b]0;pwned\x07'),
      Buffer.from([0xc2, 0x9b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x00, 0x0d]),
    ]);
    const path = join(dir, 'binary.dat');
    writeFileSync(path, bytes);

    // Act
    const r = report(['summarize', '--input', path]);

    // Assess
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
    expect(r.stderr).toMatch(/^report: .*binary\.dat is not JSON, a JSON array or NDJSON \(.*\\u007f/);
    expect(r.stderr.slice(0, -1)).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
  });
});

describe('a --user report', () => {
  const clean = write(
    'people.json',
    JSON.stringify({ data: [...generateEvents({ seed: 12, from: FROM, to: TO, count: 400 })] }),
  );
  let everyone: { link: string; top_users: Array<{ user: string }> };
  let top: string;
  beforeAll(() => {
    everyone = JSON.parse(report(['summarize', '--input', clean, '--format', 'json']).stdout);
    top = everyone.top_users[0]!.user;
  });

  it("says whose it is in its title, summary and subject, and links to that person's calls", () => {
    // Act
    const out = join(dir, 'user-out');
    const json = report(['summarize', '--input', clean, '--user', top, '--format', 'json']);
    const render = report(['render', '--input', clean, '--user', top, '--org', 'Acme', '--out', out]);

    // Assess
    expect(json.stderr).toBe('');
    const s = JSON.parse(json.stdout);
    expect(s.scope).toEqual({ label: `user ${top}` });
    const link = new URL(s.link);
    expect(link.searchParams.get('query')).toBe(
      `(@evt.name:"MCP Server" OR is_mcp_call:true OR @evt.actor.mode:*) (@usr.id:"${top}" OR @usr.email:"${top}" OR @delegator.id:"${top}" OR @delegator.email:"${top}")`,
    );
    expect(link.searchParams.get('from_ts')).toBe(new URL(everyone.link).searchParams.get('from_ts'));
    expect(render.status).toBe(0);
    const text = readFileSync(join(out, 'email.txt'), 'utf8');
    expect(text.split('\n')[0]).toMatch(
      new RegExp(`^AI Activity Audit — Acme \\(user ${top.replace(/\./g, '\\.')}\\) — `),
    );
    expect(text).toContain(s.link);
    expect(readFileSync(join(out, 'email.html'), 'utf8')).toContain(`Acme (user ${top})`);
  });

  it('says on stderr when it matched nobody, naming the nearest person, and still prints the empty report', () => {
    // Prepare: the top user's address with one letter dropped
    const typo = top.replace(/^(.)./, '$1');

    // Act
    const r = report(['summarize', '--input', clean, '--user', typo]);

    // Assess
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      `report: --user ${typo} matched nobody in the input, so the report is empty; did you mean ${top}?\n`,
    );
    expect(r.stdout).toContain('Total MCP tool calls: 0\n');
  });
});

describe('printable output of audit data', () => {
  it('prints names holding escape sequences escaped, as text and as JSON that reads back the same', () => {
    // Prepare: one person's name and one resource with escapes, an 8-bit CSI, a bidi override and DEL
    const hostile = '\x1b[2J\x1b]0;pwned\x07\u009b31m\u202eevil\x7f';
    const planted = [...generateEvents({ seed: 14, from: FROM, to: TO, count: 50 })].map((e, i) => {
      if (i % 5 !== 0) return e;
      const inner = (e.attributes as { attributes: { usr?: Record<string, unknown>; asset?: Record<string, unknown> } })
        .attributes;
      inner.usr = { email: `${hostile}@example.com` };
      inner.asset = { ...(inner.asset ?? {}), type: `monitor${hostile}` };
      return e;
    });
    const path = write('escapes.json', JSON.stringify({ data: planted }));

    // Act
    const text = report(['summarize', '--input', path]);
    const json = report(['summarize', '--input', path, '--format', 'json']);

    // Assess
    expect(text.status).toBe(0);
    expect(text.stdout).not.toMatch(/(?!\n)[\p{Cc}\u2028\u2029\u202a-\u202e]/u);
    expect(text.stdout).toContain('\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m\ufffdevil\\u007f@example.com');
    expect(json.stdout).not.toMatch(/(?!\n)[\p{Cc}\u2028\u2029\u202a-\u202e]/u);
    expect(JSON.parse(json.stdout).top_users.map((u: { user: string }) => u.user)).toContain(`${hostile}@example.com`);
  });
});
