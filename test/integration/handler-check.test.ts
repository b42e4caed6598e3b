/**
 * The deployed function's preflight, `{"check": true}`, through the real handler against the
 * doctor's stand-ins (test/support/doctor-stand-ins.ts): it runs the checks `report doctor` runs
 * and sends nothing (no email reaches SES, no Slack post, no ledger item, no metric); it returns
 * the results when no check failed and fails the invocation otherwise, one line per check in
 * the error, so `aws lambda invoke` shows what to fix; a role that may not read SES skips those
 * checks with the permission named; no credential reaches the logs.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createHandler } from '../../functions/weekly-report/handler';
import { PreflightFailedError } from '../../functions/weekly-report/preflight/deployed';
import {
  CHANNEL_WITHOUT_BOT,
  DD_API_KEY,
  DD_APP_KEY,
  DOCTOR_SECRET,
  type DoctorStandIns,
  LEDGER_TABLE,
  SENDER,
  SLACK_TOKEN,
  startDoctorStandIns,
} from '../support/doctor-stand-ins';
import { logLines } from '../support/handler-harness';

let s: DoctorStandIns;
const savedEnv = { ...process.env };
let captured: string[] = [];

beforeAll(async () => {
  s = await startDoctorStandIns();
  Object.assign(process.env, s.awsEnv, { POWERTOOLS_DEV: '' });
});

afterAll(async () => {
  process.env = savedEnv;
  await s?.close();
});

// The handler's JSON log lines (and any metric) go to stdout: kept for the assertions.
beforeEach(() => {
  captured = [];
  const capture = (chunk: unknown) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  jest.restoreAllMocks();
  s.ses.setDenied([]);
  s.secrets.setSecret(DOCTOR_SECRET, s.goodSecret());
});

function lambdaContext(remainingMs = 60_000): Context {
  const started = Date.now();
  return {
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    functionName: 'weekly-report',
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
  } as unknown as Context;
}

async function ledgerItems(): Promise<number> {
  const client = new DynamoDBClient({});
  const out = await client.send(new ScanCommand({ TableName: LEDGER_TABLE }));
  client.destroy();
  return out.Count ?? 0;
}

describe('the function invoked with {"check": true}', () => {
  it('returns every check passed and sends nothing: no email, no Slack post, no ledger item, no metric', async () => {
    // Prepare
    const run = createHandler(s.env());

    // Act
    const result = await run({ check: true }, lambdaContext());

    // Assess
    expect(result.check).toBe(true);
    expect(result.summary).toBe('13 checks: 13 ok, 0 skipped, 0 failed');
    expect(result.checks.map((c) => c.name)).toEqual([
      'credentials',
      'datadog api key',
      'datadog scope audit_logs_read',
      'datadog scope timeseries_query',
      'datadog scope teams_read',
      'datadog teams',
      'slack token',
      'slack channel',
      'slack channel',
      'ses sender',
      'ses account',
      'ses recipients',
      'archive',
    ]);
    expect(await s.aws.ses.emails()).toEqual([]);
    expect(s.ses.calls.SendEmail).toBeUndefined();
    expect(s.slack.requests).toBe(0);
    expect(s.slack.messages).toEqual([]);
    expect(await ledgerItems()).toBe(0);
    const lines = logLines(captured.join(''));
    expect(lines.filter((l) => '_aws' in l)).toEqual([]);
    expect(lines.filter((l) => l.message === 'preflight_check')).toHaveLength(13);
    expect(lines.find((l) => l.message === 'preflight_done')).toMatchObject({ ok: 13, fail: 0, skip: 0 });
  });

  it('fails the invocation when a check fails, with one line per check and the fix, and never logs a credential', async () => {
    // Prepare
    const run = createHandler(
      s.env({}, [
        { name: 'security', emailFrom: SENDER, emailTo: ['ana@example.com'], slackChannel: CHANNEL_WITHOUT_BOT },
      ]),
    );

    // Act
    const outcome = run({ check: true }, lambdaContext());

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(PreflightFailedError);
    const error = (await outcome.catch((e: unknown) => e)) as PreflightFailedError;
    const [first, ...rest] = error.message.split('\n');
    expect(first).toBe('Preflight: 1 of 10 checks failed');
    expect(rest[0]).toMatch(
      /^FAIL {2}slack channel {2}C0DOCTOR009, for security: .* → fix: invite it: \/invite @ai-activity-audit/,
    );
    expect(rest).toHaveLength(10);
    expect(error.results.filter((r) => r.status === 'fail')).toHaveLength(1);
    const output = captured.join('');
    const failed = logLines(output).find((l) => l.message === 'preflight_check' && l.status === 'fail');
    expect(failed).toMatchObject({ level: 'ERROR', check: 'slack channel' });
    for (const secret of [DD_API_KEY, DD_APP_KEY, SLACK_TOKEN]) expect(output).not.toContain(secret);
    expect(s.slack.messages).toEqual([]);
  });

  it('skips the SES checks, naming the permission, when the role may not read SES', async () => {
    // Prepare: the stack's role may only send, as its senders.
    s.ses.setDenied(['GetAccount', 'GetIdentityVerificationAttributes']);
    const run = createHandler(s.env());

    // Act
    const result = await run({ check: true }, lambdaContext());

    // Assess
    const ses = result.checks.filter((c) => c.name.startsWith('ses '));
    expect(ses.map((c) => `${c.name}: ${c.status}`)).toEqual([
      'ses sender: skip',
      'ses account: skip',
      'ses recipients: skip',
    ]);
    expect(ses[0]?.fix).toContain('allow ses:GetIdentityVerificationAttributes');
    expect(ses[1]?.fix).toContain('allow ses:GetAccount');
    expect(result.summary).toBe('13 checks: 10 ok, 3 skipped, 0 failed');
  });

  it('still runs reports for every other event', async () => {
    // Prepare: a report of a real week, to show the branch takes only {"check": true}.
    const run = createHandler(s.env());

    // Act
    const result = await run({ scheduledTime: '2026-11-23T09:00:00Z' }, lambdaContext(120_000));

    // Assess
    expect(result.reports.map((r) => r.report)).toEqual(['security', 'sre']);
    // Each report's channel post, and its one reply in the post's thread.
    const posts = s.slack.messages.filter((m) => m.thread_ts === undefined);
    const replies = s.slack.messages.filter((m) => m.thread_ts !== undefined);
    expect(posts).toHaveLength(2);
    expect(replies).toHaveLength(2);
    expect(replies.map((r) => r.thread_ts).sort()).toEqual(posts.map((p) => p.ts).sort());
    expect(await s.aws.ses.emails()).toHaveLength(1);
  });
});
