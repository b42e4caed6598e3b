/**
 * The command line and the report archive, through the real CLI process: render and preview
 * write their report into an archive (a directory, or S3 through the real SDK against s3rver),
 * history lists it, show gets one week back, and a live preview takes its baseline from the
 * archived week before it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, type S3Emulator, startS3Emulator } from '../support/aws-emulators';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, generateScenario, writeNdjson } from '../support/generator';
import { runReport } from '../support/report-cli';

const DAY = 86_400_000;
const END = new Date('2026-11-23T00:00:00Z');

/** The CLI without the environment's archive: each test names its own. */
const report = (args: string[], env: Record<string, string> = {}) =>
  runReport(args, { ARCHIVE_BUCKET: '', ORG_NAME: '', ...env });

describe('report archive from the command line', () => {
  const scenario = generateScenario({ seed: 21, end: END, weekEvents: 800, people: 15, baselineDays: 7 });
  const dir = mkdtempSync(join(tmpdir(), 'archive-cli-'));
  const archive = join(dir, 'archive');
  const weeks = [
    { from: new Date(END.getTime() - 14 * DAY), to: new Date(END.getTime() - 7 * DAY) },
    { from: new Date(END.getTime() - 7 * DAY), to: END },
  ];
  const inputFile = join(dir, 'events.ndjson');

  beforeAll(async () => {
    await writeNdjson(inputFile, [...scenario.baseline, ...scenario.window]);
  });

  it('renders two weeks into a directory archive, lists them, and shows one back', async () => {
    // Act
    for (const w of weeks) {
      const r = await report([
        'render',
        '--input',
        inputFile,
        '--from',
        w.from.toISOString(),
        '--to',
        w.to.toISOString(),
        '--org',
        'Acme Corp',
        '--out',
        join(dir, `out-${w.to.getTime()}`),
        '--archive',
        archive,
      ]);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`archived to ${archive}/reports/acme-corp/${w.to.toISOString()}/`);
    }
    const history = await report(['history', '--archive', archive, '--org', 'Acme Corp', '--format', 'json']);
    const text = await report(['history', '--archive', archive, '--org', 'Acme Corp']);
    const shown = await report(['show', '--week', '2026-11-18', '--archive', archive, '--org', 'Acme Corp']);
    const out = join(dir, 'shown');
    const written = await report([
      'show',
      '--week',
      '2026-11-10',
      '--archive',
      archive,
      '--org',
      'Acme Corp',
      '--out',
      out,
    ]);
    const missing = await report(['show', '--week', '2025-01-01', '--archive', archive, '--org', 'Acme Corp']);

    // Assess
    const rows = JSON.parse(history.stdout) as Array<{ window: { to: string }; calls: number; complete: boolean }>;
    expect(rows.map((r) => r.window.to)).toEqual(weeks.map((w) => w.to.toISOString()));
    expect(rows.every((r) => r.calls > 0 && r.complete)).toBe(true);
    expect(text.stdout).toMatch(/2026-11-16 to 2026-11-22 +[\d,]+ +\d+ +\d+ \(\d+\/\d+\/\d+\) +yes/);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^AI Activity Audit — Acme Corp — 2026-11-16 to 2026-11-22\n/);
    expect(written.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'aggregate.json.gz',
      'email.html',
      'email.txt',
      'point.json',
      'slack.json',
      'summary.json',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).window.to).toBe(weeks[0]?.to.toISOString());
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`report: no archived report of 2025-01-01 in ${archive}/reports/acme-corp/`);
  });

  it('adds the trend of the archived weeks to a summary', async () => {
    // Act
    const r = await report([
      'summarize',
      '--input',
      inputFile,
      '--from',
      weeks[1]!.from.toISOString(),
      '--to',
      weeks[1]!.to.toISOString(),
      '--org',
      'Acme Corp',
      '--archive',
      archive,
      '--format',
      'json',
    ]);

    // Assess
    const summary = JSON.parse(r.stdout);
    expect(summary.trend.map((p: { week_end: string }) => p.week_end)).toEqual(weeks.map((w) => w.to.toISOString()));
  });

  it('reads the archive of a named report with --report (a deployment with several reports)', async () => {
    // Prepare: what the function writes for a report named "sre-team" (reports/sre-team/…).
    const w = weeks[1]!;
    await report([
      'render',
      '--input',
      inputFile,
      '--from',
      w.from.toISOString(),
      '--to',
      w.to.toISOString(),
      '--report',
      'sre-team',
      '--out',
      join(dir, 'out-sre'),
      '--archive',
      archive,
    ]);

    // Act
    const named = await report(['history', '--archive', archive, '--report', 'sre-team', '--format', 'json']);
    const bad = await report(['history', '--archive', archive, '--report', 'SRE Team']);

    // Assess
    expect(JSON.parse(named.stdout).map((r: { window: { to: string } }) => r.window.to)).toEqual([w.to.toISOString()]);
    expect(existsSync(join(archive, 'reports', 'sre-team', w.to.toISOString(), 'summary.json'))).toBe(true);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--report must be a report name/);
  });

  it('lists the reports the archive holds when none is named, and says so when the one named is not there', async () => {
    // Act
    const listed = await report(['history', '--archive', archive]);
    const json = await report(['history', '--archive', archive, '--format', 'json']);
    const show = await report(['show', '--week', '2026-11-18', '--archive', archive]);
    const nobody = await report(['history', '--archive', archive, '--org', 'Nobody']);
    const notThere = await report(['show', '--week', '2026-11-18', '--archive', archive, '--report', 'nobody']);

    // Assess
    expect(listed.status).toBe(0);
    expect(listed.stdout).toBe(
      [
        `Reports in ${archive}/reports/`,
        '',
        '  acme-corp  2 weeks',
        '  sre-team   1 week',
        '',
        'Name one with --report NAME (or --org NAME), e.g. report history --report acme-corp',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.stdout)).toEqual([
      { report: 'acme-corp', weeks: 2 },
      { report: 'sre-team', weeks: 1 },
    ]);
    expect({ status: show.status, stderr: show.stderr }).toEqual({
      status: 2,
      stderr:
        'report: show needs --report NAME (or --org NAME): the archive holds acme-corp (2 weeks), sre-team (1 week)\n',
    });
    for (const r of [nobody, notThere]) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^report: no archived reports of --(org Nobody|report nobody) in .*; the archive holds acme-corp \(2 weeks\), sre-team \(1 week\): name one with --report NAME\n$/,
      );
    }
  });

  it('refuses an archive that is missing or not a directory rather than show an empty history', async () => {
    // Act
    const missing = await report(['history', '--archive', join(dir, 'no-such-archive'), '--org', 'Acme Corp']);
    const file = await report(['show', '--week', '2026-11-18', '--archive', inputFile, '--org', 'Acme Corp']);

    // Assess
    expect({ status: missing.status, stdout: missing.stdout }).toEqual({ status: 1, stdout: '' });
    expect(missing.stderr).toBe(
      `report: cannot read the archive ${join(dir, 'no-such-archive')}: no such directory (render --archive DIR creates it; check the path)\n`,
    );
    expect(file.status).toBe(1);
    expect(file.stderr).toBe(`report: cannot read the archive ${inputFile}: it is a file, not a directory\n`);
  });

  it('prints an archived week as JSON with show --format json', async () => {
    // Act
    const r = await report([
      'show',
      '--week',
      '2026-11-18',
      '--archive',
      archive,
      '--org',
      'Acme Corp',
      '--format',
      'json',
    ]);

    // Assess
    expect(r.status).toBe(0);
    const archived = readFileSync(join(archive, 'reports', 'acme-corp', END.toISOString(), 'summary.json'), 'utf8');
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(archived));
  });

  describe('an archive holding escape sequences (anyone who can write it can plant them)', () => {
    const hostile = join(dir, 'hostile-archive');
    const weekEnd = '2026-11-23T00:00:00.000Z';
    const earlier = '2026-11-16T00:00:00.000Z';
    /** Every control character but the line feed, a line or paragraph separator, a lone surrogate. */
    const UNPRINTABLE_BUT_LF = /(?!\n)[\p{Cc}\u2028\u2029]|\p{Cs}/u;

    beforeAll(async () => {
      // Two weeks rendered as usual, then edited: terminal escapes in the summary and the text part,
      // and a string where the second week's calls belong in its point (what history and the next
      // report's trend read).
      for (const [from, to] of [
        [weeks[0]!.from, weeks[0]!.to],
        [weeks[1]!.from, weeks[1]!.to],
      ] as const) {
        const r = await report([
          'render',
          '--input',
          inputFile,
          '--from',
          from.toISOString(),
          '--to',
          to.toISOString(),
          '--report',
          'hostile',
          '--out',
          join(dir, `hostile-out-${to.getTime()}`),
          '--archive',
          hostile,
        ]);
        expect(r.status).toBe(0);
      }
      const folder = (end: string) => join(hostile, 'reports', 'hostile', end);
      const summaryPath = join(folder(weekEnd), 'summary.json');
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
      summary.org = 'Acme\u001b]0;pwned\u0007';
      summary.top_users[0].user = '\u001b[2J\u001b[Hcleared@example.com';
      writeFileSync(summaryPath, JSON.stringify(summary));
      const pointPath = join(folder(weekEnd), 'point.json');
      const point = JSON.parse(readFileSync(pointPath, 'utf8'));
      writeFileSync(pointPath, JSON.stringify({ ...point, calls: '800\nForged: 0 anomalies\u001b[2J' }));
      const textPath = join(folder(weekEnd), 'email.txt');
      writeFileSync(textPath, `\u001b[2J\u001b[H\u001b]0;pwned\u0007${readFileSync(textPath, 'utf8')}\r\u009b31mred\n`);
      const earlierPath = join(folder(earlier), 'summary.json');
      const first = JSON.parse(readFileSync(earlierPath, 'utf8'));
      first.window.to = `${first.window.to}\u001b[31m`;
      writeFileSync(earlierPath, JSON.stringify(first));
    });

    it('shows the week with its escapes made printable, as text and as JSON', async () => {
      // Act
      const text = await report(['show', '--week', '2026-11-18', '--archive', hostile, '--report', 'hostile']);
      const json = await report([
        'show',
        '--week',
        '2026-11-18',
        '--archive',
        hostile,
        '--report',
        'hostile',
        '--format',
        'json',
      ]);

      // Assess
      expect(text.status).toBe(0);
      expect(text.stdout).not.toMatch(UNPRINTABLE_BUT_LF);
      expect(text.stdout.startsWith('\\u001b[2J\\u001b[H\\u001b]0;pwned\\u0007AI Activity Audit — ')).toBe(true);
      expect(text.stdout).toContain('\\u000d\\u009b31mred');
      expect(json.status).toBe(0);
      expect(json.stdout).not.toMatch(UNPRINTABLE_BUT_LF);
      expect(JSON.parse(json.stdout).org).toBe('Acme\u001b]0;pwned\u0007');
    });

    it('lists the history printable, a week whose point has a string for its calls left out and named', async () => {
      // Act
      const r = await report(['history', '--archive', hostile, '--report', 'hostile']);

      // Assess
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(UNPRINTABLE_BUT_LF);
      expect(r.stdout).toContain('Left out, could not be read from the archive:');
      expect(r.stdout).toMatch(new RegExp(`\\(${weekEnd}\\): point\\.json: calls `));
      expect(r.stdout).not.toContain('Forged');
    });

    it("keeps an archived week's planted line out of the next email's text part (the week is left out of the trend)", async () => {
      // Prepare: the week after, whose trend reads the two edited weeks back
      const next = join(dir, 'next-events.ndjson');
      await writeNdjson(
        next,
        generateEvents({ seed: 3, from: END, to: new Date(END.getTime() + 7 * DAY), count: 300 }),
      );
      const out = join(dir, 'hostile-next');

      // Act
      const r = await report([
        'render',
        '--input',
        next,
        '--from',
        END.toISOString(),
        '--to',
        new Date(END.getTime() + 7 * DAY).toISOString(),
        '--report',
        'hostile',
        '--out',
        out,
        '--archive',
        hostile,
      ]);

      // Assess
      expect(r.status).toBe(0);
      const text = readFileSync(join(out, 'email.txt'), 'utf8');
      // The week whose point was forged is left out of the trend (a gap), and the report says so.
      expect(text).toMatch(/^Weekly calls, last 3 weeks: \d+ - \d+$/m);
      expect(text).not.toContain('Forged');
      expect(text.replace(/\n\s+/g, ' ')).toMatch(
        /could not be read from the archive \(point\.json: calls [^)]*\): left out of the trend/,
      );
      expect(text).not.toMatch(UNPRINTABLE_BUT_LF);
      expect(text.split('\n').filter((line) => line.startsWith('Forged'))).toEqual([]);
    });
  });

  it('checks what it reads back: a damaged week is left out and named, never printed raw', async () => {
    // Prepare: two weeks archived, the first as before points existed with a damaged summary, the
    // second with a point claiming a string of calls and an email.txt that is not UTF-8.
    const damaged = join(dir, 'damaged');
    for (const w of weeks) {
      const r = await report([
        'render',
        '--input',
        inputFile,
        '--from',
        w.from.toISOString(),
        '--to',
        w.to.toISOString(),
        '--org',
        'Acme Corp',
        '--out',
        join(dir, `damaged-out-${w.to.getTime()}`),
        '--archive',
        damaged,
      ]);
      expect(r.status).toBe(0);
    }
    const week = (i: number, file: string) =>
      join(damaged, 'reports', 'acme-corp', weeks[i]?.to.toISOString() ?? '', file);
    rmSync(week(0, 'point.json'));
    const summary = JSON.parse(readFileSync(week(0, 'summary.json'), 'utf8'));
    writeFileSync(week(0, 'summary.json'), JSON.stringify({ ...summary, anomalies: { high: 1 } }));
    const point = JSON.parse(readFileSync(week(1, 'point.json'), 'utf8'));
    writeFileSync(week(1, 'point.json'), JSON.stringify({ ...point, calls: 'lots' }));
    writeFileSync(week(1, 'email.txt'), Buffer.from([0xff, 0xfe, 0x41]));

    // Act
    const history = await report(['history', '--archive', damaged, '--org', 'Acme Corp']);
    const json = await report(['history', '--archive', damaged, '--org', 'Acme Corp', '--format', 'json']);
    const shown = await report(['show', '--week', '2026-11-18', '--archive', damaged, '--org', 'Acme Corp']);
    const out = join(dir, 'damaged-shown');
    const written = await report([
      'show',
      '--week',
      '2026-11-18',
      '--archive',
      damaged,
      '--org',
      'Acme Corp',
      '--out',
      out,
    ]);

    // Assess
    expect(history.status).toBe(0);
    expect(history.stdout).toContain('(none)');
    expect(history.stdout).toContain(
      `the week ending 15 Nov 2026 (${weeks[0]?.to.toISOString()}): summary.json: anomalies is not a list`,
    );
    expect(history.stdout).toContain(
      `the week ending 22 Nov 2026 (${weeks[1]?.to.toISOString()}): point.json: calls is not a whole number`,
    );
    expect(history.stdout).not.toMatch(/lots|NaN/);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(json.stderr).toContain(
      'report: the week ending 15 Nov 2026 could not be read from the archive (summary.json: anomalies is not a list)',
    );
    // The week of the 18th has a damaged point but a sound summary: show shows it, and says what it left out.
    expect(shown.status).toBe(0);
    expect(shown.stderr).toContain('point.json: calls is not a whole number');
    expect(shown.stdout).not.toMatch(/lots|NaN/);
    expect(written.status).toBe(0);
  });

  it('shows a week from its checked summary when its email.txt cannot be read', async () => {
    // Prepare
    const archived = join(dir, 'no-text');
    const w = weeks[1]!;
    await report([
      'render',
      '--input',
      inputFile,
      '--from',
      w.from.toISOString(),
      '--to',
      w.to.toISOString(),
      '--org',
      'Acme Corp',
      '--out',
      join(dir, 'no-text-out'),
      '--archive',
      archived,
    ]);
    const folder = join(archived, 'reports', 'acme-corp', w.to.toISOString());
    writeFileSync(join(folder, 'email.txt'), Buffer.from([0xc3, 0x28]));
    writeFileSync(join(folder, 'slack.json'), '{"post": {"channel": 7}, "thread": []}');
    const out = join(dir, 'no-text-shown');

    // Act
    const shown = await report(['show', '--week', '2026-11-18', '--archive', archived, '--org', 'Acme Corp']);
    const written = await report([
      'show',
      '--week',
      '2026-11-18',
      '--archive',
      archived,
      '--org',
      'Acme Corp',
      '--out',
      out,
    ]);

    // Assess
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^AI Activity Audit — Acme Corp — 2026-11-16 to 2026-11-22\n/);
    expect(shown.stderr).toContain('report: left out email.txt: not UTF-8 text; shown from the summary');
    expect(written.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['aggregate.json.gz', 'email.html', 'point.json', 'summary.json']);
    expect(written.stderr).toContain('report: left out email.txt: not UTF-8 text');
    expect(written.stderr).toContain('report: left out slack.json: post.text is missing');
  });

  it('says what is missing when history has no archive to read', async () => {
    const r = await report(['history', '--org', 'Acme']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'report: history needs the archive: --archive DIR|s3://bucket[/prefix], or ARCHIVE_BUCKET',
    );
    expect((await report(['show', '--archive', archive, '--org', 'Acme Corp'])).stderr).toMatch(
      /show needs --week YYYY-MM-DD/,
    );
  });

  describe('live, with an S3 archive (s3rver)', () => {
    let s3: S3Emulator;
    let datadog: DatadogEmulator;
    let env: Record<string, string>;

    beforeAll(async () => {
      [s3, datadog] = await Promise.all([
        startS3Emulator('cli-archive'),
        startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window] }),
      ]);
      env = {
        DD_API_URL: datadog.url,
        DD_API_KEY: datadog.apiKey,
        DD_APP_KEY: datadog.appKey,
        AWS_ENDPOINT_URL_S3: s3.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      };
    });
    afterAll(async () => {
      await Promise.all([s3?.close(), datadog?.close()]);
    });

    it('previews two weeks into ARCHIVE_BUCKET; the second takes its baseline from the first, with fewer requests', async () => {
      // Act
      const runs: Array<{ requests: number; summary: Record<string, unknown> }> = [];
      for (const w of weeks) {
        const before = datadog.stats.requests;
        const out = join(dir, `preview-${w.to.getTime()}`);
        const r = await report(
          ['preview', '--to', w.to.toISOString(), '--baseline-days', '7', '--org', 'Acme', '--out', out],
          { ...env, ARCHIVE_BUCKET: s3.bucket },
        );
        expect(r.status).toBe(0);
        runs.push({
          requests: datadog.stats.requests - before,
          summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')),
        });
      }
      const history = await report(['history', '--org', 'Acme', '--format', 'json'], {
        ...env,
        ARCHIVE_BUCKET: s3.bucket,
      });
      const prefixed = await report(['history', '--org', 'Acme', '--archive', `s3://${s3.bucket}/nothing-here`], env);

      // Assess
      const second = runs[1]?.summary.baseline as { sources?: unknown } | undefined;
      expect(second?.sources).toEqual({ archive_days: 7, fetched_days: 0 });
      expect(runs[1]?.requests).toBeLessThan(runs[0]?.requests ?? 0);
      expect(JSON.parse(history.stdout)).toHaveLength(2);
      expect(prefixed.stdout).toContain(`s3://${s3.bucket}/nothing-here/reports/acme/`);
      expect(prefixed.stdout).toContain('(none)');
      expect(existsSync(join(dir, `preview-${END.getTime()}`, 'email.html'))).toBe(true);
    });
  });
});
