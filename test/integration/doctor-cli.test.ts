/**
 * `report doctor` against real stand-ins on 127.0.0.1 (test/support/doctor-stand-ins.ts), through
 * the real SDK clients, the real Slack client and the Datadog adapters: a good deployment passes
 * every check and is sent nothing; each broken part fails its own check with the fix named (a key
 * without a scope, a bot outside its channel, an unverified sender, a malformed secret, the SES
 * sandbox), and the checks that depend on it are skipped rather than failed twice.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { runDoctor } from '../../cli/doctor';
import { main } from '../../cli/report';
import {
  CHANNEL_WITHOUT_BOT,
  DD_API_KEY,
  DD_APP_KEY,
  DOCTOR_SECRET,
  type DoctorStandIns,
  SECURITY_CHANNEL,
  SENDER,
  SLACK_TOKEN,
  startDoctorStandIns,
} from '../support/doctor-stand-ins';

const ALL_SCOPES = ['audit_logs_read', 'timeseries_query', 'teams_read'] as const;

let s: DoctorStandIns;
const savedEnv = { ...process.env };

beforeAll(async () => {
  s = await startDoctorStandIns();
  Object.assign(process.env, s.awsEnv);
});

afterAll(async () => {
  process.env = savedEnv;
  await s?.close();
});

afterEach(() => {
  s.datadog.setAppKeyScopes([...ALL_SCOPES]);
  s.secrets.setSecret(DOCTOR_SECRET, s.goodSecret());
  s.ses.setProductionAccess(true);
  s.ses.setDenied([]);
});

/** Runs the doctor with `env` on top of the process's (the SDK's endpoints); its exit code and lines. */
async function doctor(args: string[] = [], env: Record<string, string> = s.env()) {
  let out = '';
  const code = await runDoctor(args, {
    env: { ...process.env, ...env },
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      out += text;
    },
  });
  return { code, out, lines: out.split('\n').filter((l) => l.trim() !== '') };
}

/** The line of the check `name` (and whose target contains `target`, when given). */
function lineOf(lines: readonly string[], name: string, target = ''): string {
  const found = lines.filter((l) => l.includes(`  ${name}  `) && l.includes(target));
  if (found.length !== 1) throw new Error(`expected one line of ${name} ${target}, got:\n${lines.join('\n')}`);
  return found[0] as string;
}

describe('report doctor', () => {
  it('passes every check of a good deployment, and sends nothing anywhere', async () => {
    // Act
    const { code, lines } = await doctor();

    // Assess
    expect(lines.at(-1)).toBe('13 checks: 13 ok, 0 skipped, 0 failed');
    expect(lines.slice(0, -1).every((l) => l.startsWith('ok    '))).toBe(true);
    expect(code).toBe(0);
    expect(lineOf(lines, 'datadog teams')).toMatch(/@sre \(.+\): \d+ members/);
    expect(lineOf(lines, 'slack token')).toContain('bot @ai-activity-audit');
    expect(lineOf(lines, 'ses sender')).toContain('verified (its domain example.com)');
    expect(s.slack.messages).toEqual([]);
    expect(s.slack.requests).toBe(0);
    expect(await s.aws.ses.emails()).toEqual([]);
    expect(s.ses.calls.SendEmail).toBeUndefined();
    // The archive probe was written and removed again.
    const client = new S3Client({ forcePathStyle: true });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s.s3.bucket }));
    client.destroy();
    expect(listed.Contents ?? []).toEqual([]);
  });

  it.each([
    ['audit_logs_read', ['timeseries_query', 'teams_read']],
    ['timeseries_query', ['audit_logs_read', 'teams_read']],
    ['teams_read', ['audit_logs_read', 'timeseries_query']],
  ] as const)('names the fix when the application key lacks %s', async (missing, granted) => {
    // Prepare
    s.datadog.setAppKeyScopes([...granted]);

    // Act
    const { code, lines } = await doctor();

    // Assess
    expect(code).toBe(1);
    const line = lineOf(lines, `datadog scope ${missing}`);
    expect(line).toMatch(/^FAIL {2}/);
    expect(line).toContain('(HTTP 403)');
    expect(line).toContain(`→ fix: give the application key the ${missing} scope`);
    for (const scope of granted) expect(lineOf(lines, `datadog scope ${scope}`)).toMatch(/^ok {4}/);
    expect(lineOf(lines, 'datadog api key')).toMatch(/^ok {4}/);
    // A team-scoped report's teams cannot be read without teams_read: skipped, not failed twice.
    expect(lineOf(lines, 'datadog teams')).toMatch(missing === 'teams_read' ? /^skip {2}/ : /^ok {4}/);
  });

  it('names the invite when the bot is not in a report’s channel', async () => {
    // Prepare
    const env = s.env({}, [
      { name: 'security', emailFrom: SENDER, emailTo: ['ana@example.com'], slackChannel: CHANNEL_WITHOUT_BOT },
    ]);

    // Act
    const { code, lines } = await doctor([], env);

    // Assess
    expect(code).toBe(1);
    const line = lineOf(lines, 'slack channel', CHANNEL_WITHOUT_BOT);
    expect(line).toMatch(/^FAIL {2}slack channel {2}C0DOCTOR009, for security: .*the bot is not a member/);
    expect(line).toContain('→ fix: invite it: /invite @ai-activity-audit in #channel-c0doctor009');
    expect(s.slack.requests).toBe(0);
  });

  it('says a channel ID names no channel the bot can see', async () => {
    // Act
    const { lines } = await doctor([], s.env({}, [{ name: 'security', slackChannel: 'C0NOSUCH01' }]));

    // Assess
    expect(lineOf(lines, 'slack channel')).toMatch(/^FAIL .*no channel C0NOSUCH01 .*→ fix: check the channel ID/);
  });

  it('names the verification when a sender is not verified, and the sandbox with its unverified recipients', async () => {
    // Prepare
    s.ses.setProductionAccess(false);
    const env = s.env({}, [
      {
        name: 'security',
        emailFrom: 'audit@unverified.example',
        emailTo: ['ana@example.com', 'bo@example.org', 'carol@example.net'],
      },
    ]);

    // Act
    const { code, lines } = await doctor([], env);

    // Assess
    expect(code).toBe(1);
    expect(lineOf(lines, 'ses sender')).toMatch(
      /^FAIL {2}ses sender {2}audit@unverified\.example, for security: neither the address nor its domain is a verified SES identity .*→ fix: verify audit@unverified\.example or its domain unverified\.example in SES/,
    );
    const account = lineOf(lines, 'ses account');
    expect(account).toMatch(/^FAIL .*sandbox in us-east-1/);
    expect(account).toContain("ses:SendEmail permission on each recipient's identity");
    expect(account).toContain('→ fix: request production access');
    expect(lineOf(lines, 'ses recipients')).toMatch(
      /^FAIL .*sandbox: 1 of 3 not verified: carol@example\.net → fix: verify each/,
    );
  });

  it.each([
    ['not JSON', '{"ddApiKey": "ddapi-secret-value-1",', /is not JSON/],
    ['without ddAppKey', '{"ddApiKey": "ddapi-secret-value-1", "ddAppKey": ""}', /ddAppKey is missing/],
    ['an array', '["ddapi-secret-value-1"]', /must be a JSON object/],
  ])(
    'names the shape of a malformed secret (%s), never its values, and skips what needs it',
    async (_, value, problem) => {
      // Prepare
      s.secrets.setSecret(DOCTOR_SECRET, value);

      // Act
      const { code, out, lines } = await doctor();

      // Assess
      expect(code).toBe(1);
      const line = lineOf(lines, 'credentials');
      expect(line).toMatch(/^FAIL {2}credentials {2}secret ai-activity-audit\/doctor: /);
      expect(line).toMatch(problem);
      expect(line).toContain('→ fix: store {"ddApiKey": "…", "ddAppKey": "…", "slackBotToken": "xoxb-…"} in it');
      expect(out).not.toContain('ddapi-secret-value-1');
      for (const name of ['datadog api key', 'datadog scope audit_logs_read', 'slack token']) {
        expect(lineOf(lines, name)).toMatch(/^skip {2}.*no credentials/);
      }
      // SES and the archive need no Datadog or Slack credentials: still checked.
      expect(lineOf(lines, 'archive')).toMatch(/^ok {4}/);
    },
  );

  it('says the secret lacks slackBotToken when a report posts to Slack', async () => {
    // Prepare
    s.secrets.setSecret(DOCTOR_SECRET, JSON.stringify({ ddApiKey: DD_API_KEY, ddAppKey: DD_APP_KEY }));

    // Act
    const { lines } = await doctor();

    // Assess
    expect(lineOf(lines, 'credentials')).toMatch(
      /^FAIL .*slackBotToken missing, and security and sre post to Slack → fix: add "slackBotToken": "xoxb-…"/,
    );
    expect(lineOf(lines, 'slack token')).toMatch(/^skip .*no slackBotToken/);
    expect(lineOf(lines, 'datadog api key')).toMatch(/^ok {4}/);
  });

  it('names the site when the API key is refused, and does not blame the scopes for it', async () => {
    // Prepare
    s.secrets.setSecret(
      DOCTOR_SECRET,
      JSON.stringify({
        ddApiKey: 'abcdefabcdefabcdefabcdefabcdef99',
        ddAppKey: DD_APP_KEY,
        slackBotToken: SLACK_TOKEN,
      }),
    );

    // Act
    const { code, lines } = await doctor();

    // Assess
    expect(code).toBe(1);
    expect(lineOf(lines, 'datadog api key')).toMatch(
      /^FAIL .*Datadog refused the API key \(HTTP 403\).*→ fix: set ddApiKey to an API key/,
    );
    expect(lineOf(lines, 'datadog scope audit_logs_read')).toMatch(/^skip .*the API key did not pass/);
  });

  it('says Datadog does not answer, after the adapters’ retries, when its API cannot be reached', async () => {
    // Act: nothing listens on port 9.
    const { code, lines } = await doctor([], s.env({ DD_API_URL: 'http://127.0.0.1:9' }));

    // Assess
    expect(code).toBe(1);
    expect(lineOf(lines, 'datadog api key')).toMatch(
      /^FAIL .*Datadog did not answer: Datadog unreachable \(ECONNREFUSED\); gave up after 3 attempts → fix: check that the API at 127\.0\.0\.1:9 is reachable from here/,
    );
    expect(lineOf(lines, 'datadog scope timeseries_query')).toMatch(/^skip .*the API key did not pass/);
    expect(lineOf(lines, 'slack token')).toMatch(/^ok {4}/);
  });

  it('takes the credentials from DD_API_KEY, DD_APP_KEY and SLACK_BOT_TOKEN when they are set', async () => {
    // Prepare
    s.secrets.setSecret(DOCTOR_SECRET, 'not even JSON');
    const env = s.env({ DD_API_KEY, DD_APP_KEY, SLACK_BOT_TOKEN: SLACK_TOKEN });

    // Act
    const { code, lines } = await doctor([], env);

    // Assess
    expect(lineOf(lines, 'credentials')).toMatch(
      /^ok {4}credentials {2}environment \(DD_API_KEY, DD_APP_KEY, SLACK_BOT_TOKEN\)/,
    );
    expect(code).toBe(0);
  });

  it('reads the secret --secret names, and says how to create one that does not exist', async () => {
    // Prepare
    s.secrets.setSecret('team/other-credentials', s.goodSecret());
    s.secrets.setSecret(DOCTOR_SECRET, 'not even JSON');

    // Act
    const good = await doctor(['--secret', 'team/other-credentials']);
    const missing = await doctor(['--secret', 'team/no-such-secret']);

    // Assess
    expect(good.code).toBe(0);
    expect(lineOf(good.lines, 'credentials')).toContain(
      'secret team/other-credentials: ddApiKey, ddAppKey, slackBotToken present',
    );
    expect(lineOf(missing.lines, 'credentials')).toMatch(
      /^FAIL .*ResourceNotFoundException.*→ fix: create the secret team\/no-such-secret \(aws secretsmanager create-secret/,
    );
  });

  it('names a team handle Datadog does not know', async () => {
    // Act
    const { lines } = await doctor(
      [],
      s.env({}, [{ name: 'sre', slackChannel: SECURITY_CHANNEL, scope: { teams: ['site-reliability'] } }]),
    );

    // Assess
    expect(lineOf(lines, 'datadog teams')).toMatch(/^FAIL .*"site-reliability".*→ fix: name each team by its handle/);
  });

  it('lists every configuration problem as a failed check', async () => {
    // Act
    const { code, lines } = await doctor([], { ORG_NAME: 'Doctor Org', EMAIL_TO: 'not-an-address', REPORTS_FILE: '' });

    // Assess
    expect(code).toBe(1);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith('FAIL  configuration  '))).toBe(true);
    expect(lines.join('\n')).toContain('EMAIL_TO');
  });

  it('prints the results as JSON with --format json', async () => {
    // Act
    const { code, out } = await doctor(['--format', 'json']);

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { checks: Array<{ name: string; status: string }>; summary: string };
    expect(parsed.summary).toBe('13 checks: 13 ok, 0 skipped, 0 failed');
    expect(parsed.checks.map((c) => c.status)).toEqual(Array(13).fill('ok'));
  });

  it('refuses an unknown option (exit 2 through the command line)', async () => {
    // Prepare
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

    // Act
    const code = await main(['doctor', '--out', 'x']);

    // Assess
    expect(code).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^report: doctor: Unknown option '--out'/);
    stderr.mockRestore();
    const { code: timeoutCode, out } = await doctor(['--timeout', '0']);
    expect(timeoutCode).toBe(2);
    expect(out).toBe(
      'report: doctor: --timeout must be a number of seconds above 0 (got "0") (report doctor --help)\n',
    );
  });

  it('runs from the built command line (npm run -s report -- doctor), from its own bundle', async () => {
    // Act: the build is made first when a source is newer (scripts/report.cjs).
    const child = spawn(process.execPath, [join(__dirname, '../../scripts/report.cjs'), 'doctor'], {
      env: { ...process.env, ...s.env() },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    // Assess
    expect(out.trim().split('\n').at(-1)).toBe('13 checks: 13 ok, 0 skipped, 0 failed');
    expect(code).toBe(0);
  }, 120_000);
});
