/**
 * No secret value leaves the process, on the stand-ins (Datadog emulator, Secrets Manager
 * stand-in, SES, DynamoDB, s3rver, the Slack emulator), through the real handler and the real
 * command line. Secrets holding CR, LF or NUL, and ordinary ones marked with a known string
 * (`decafbad`), are searched for in everything a run leaves behind: every line the process writes
 * (the JSON logs), the error it throws (name, message, stack, every cause), the handler's result,
 * every archived object, every email, every Slack message, and the command line's stdout and
 * stderr. Where an endpoint echoes a secret back (a Slack API answering with the token as its
 * error code), the run is made to copy it into its messages, and the redaction point masks it.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createSlackSender, createSlackWebClient } from '../../functions/weekly-report/adapters/slack-post';
import { SecretError, SlackDeliveryError } from '../../functions/weekly-report/errors';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import { REDACTED } from '../../functions/weekly-report/redact';
import { LOCAL_CREDENTIALS, TEST_REGION } from '../support/aws-emulators';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { CHANNEL, EVENT, logLines, useHandlerHarness } from '../support/handler-harness';
import { runReport } from '../support/report-cli';
import { type SlackEmulator, startSlackEmulator } from '../support/slack-emulator';

const harness = useHandlerHarness();

/** The known string every marked secret holds (in any case). */
const MARK = 'decafbad';
const API_KEY = `${MARK}0a1b2c3d4e5f60718293a4b5`;
const APP_KEY = `${MARK}00112233445566778899aabbccddeeff`;
const TOKEN = `xoxb-7100000000-7200000000-${MARK.toUpperCase()}SlackMarkedToken`;
const MARKED_SECRET = 'ai-activity-audit/marked';

/** Everything a handler run left behind, by where it was found. */
type Haystacks = Record<string, string>;

/** Name, message and stack of an error and of every cause under it. */
function errorText(reason: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (!(e instanceof Error)) {
      if (e !== undefined) parts.push(String(e));
      return;
    }
    parts.push(e.name, e.message, e.stack ?? '');
    walk(e.cause);
    if (e instanceof AggregateError) for (const inner of e.errors) walk(inner);
  };
  walk(reason);
  return parts.join('\n');
}

/** What of `haystacks` holds a secret: its whole value, a JSON-escaped or piece of it, or the mark. */
function leaks(haystacks: Haystacks, secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const secret of secrets) {
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
    for (const piece of secret.split(/[\r\n\0]+/)) if (piece.length >= 8) needles.add(piece);
  }
  const found: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    if (text.toLowerCase().includes(MARK)) found.push(`${where}: the mark ${MARK}`);
    for (const needle of needles) if (text.includes(needle)) found.push(`${where}: ${JSON.stringify(needle)}`);
  }
  return found;
}

let s3: S3Client;
/** Every object of the archive bucket, unzipped, by key. */
async function archivedObjects(): Promise<Haystacks> {
  const out: Haystacks = {};
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: harness().s3.bucket }));
  for (const { Key } of listed.Contents ?? []) {
    if (Key === undefined) continue;
    const object = await s3.send(new GetObjectCommand({ Bucket: harness().s3.bucket, Key }));
    const bytes = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    out[`archive ${Key}`] = (Key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  }
  return out;
}

/** Runs the handler with `env`; returns what it left behind, and how it settled. */
async function runAndCollect(
  env: Record<string, string>,
  slack: SlackEmulator,
): Promise<{ haystacks: Haystacks; result: PromiseSettledResult<HandlerResult> }> {
  const h = harness();
  const org = env.ORG_NAME as string;
  const { output, result } = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext(90_000)));
  const emails = await h.emailsOf(org);
  const haystacks: Haystacks = {
    logs: output,
    result: result.status === 'fulfilled' ? JSON.stringify(result.value) : errorText(result.reason),
    emails: JSON.stringify(emails),
    slack: JSON.stringify(slack.messages),
  };
  return { haystacks, result };
}

let datadog: DatadogEmulator;
let slack: SlackEmulator;
beforeAll(async () => {
  const h = harness();
  s3 = new S3Client({ endpoint: h.s3.url, forcePathStyle: true, region: TEST_REGION, credentials: LOCAL_CREDENTIALS });
  [datadog, slack] = await Promise.all([
    startDatadogEmulator({ events: h.events, apiKey: API_KEY, appKey: APP_KEY }),
    startSlackEmulator({ token: TOKEN, channels: [CHANNEL] }),
  ]);
  h.secrets.setSecret(MARKED_SECRET, JSON.stringify({ ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: TOKEN }));
});
afterAll(async () => {
  s3?.destroy();
  await Promise.all([datadog?.close(), slack?.close()]);
});
afterEach(() => slack.clearFaults());

/** The environment of a run with the marked secret, its own Datadog and Slack stand-ins, and the archive on. */
function markedEnv(): Record<string, string> {
  return harness().appEnv({
    SECRET_ID: MARKED_SECRET,
    DD_API_URL: datadog.url,
    SLACK_API_URL: slack.url,
    ARCHIVE_BUCKET: harness().s3.bucket,
  });
}

describe('marked secrets', () => {
  it('appear in no log line, result, archived object, email or Slack message of a run that delivers', async () => {
    // Act
    const { haystacks, result } = await runAndCollect(markedEnv(), slack);
    const archive = await archivedObjects();

    // Assess
    expect(result.status).toBe('fulfilled');
    expect(JSON.parse(haystacks.emails as string)).toHaveLength(1);
    expect(slack.messages.length).toBeGreaterThan(0);
    expect(Object.keys(archive).length).toBeGreaterThanOrEqual(4);
    expect(logLines(haystacks.logs as string).length).toBeGreaterThan(3);
    expect(leaks({ ...haystacks, ...archive }, [API_KEY, APP_KEY, TOKEN])).toEqual([]);
  });

  it('are masked where an endpoint echoes one back and the run copies it into its messages', async () => {
    // Prepare: a Slack API that answers with the token as its error code (a compromised endpoint).
    slack.failAlways({ kind: 'error', error: TOKEN });

    // Act
    const { haystacks, result } = await runAndCollect(markedEnv(), slack);
    const archive = await archivedObjects();

    // Assess: the Slack channel failed with the token as its code; every copy of it was masked.
    expect(result.status).toBe('rejected');
    expect(haystacks.result).toMatch(/Slack chat\.postMessage failed: \[redacted\]/);
    expect(haystacks.logs).toContain(REDACTED);
    expect(JSON.parse(haystacks.emails as string)).toHaveLength(1);
    expect(leaks({ ...haystacks, ...archive }, [API_KEY, APP_KEY, TOKEN])).toEqual([]);
  });
});

describe('secrets holding CR, LF or NUL', () => {
  const broken = (at: number, value: string, char: string) => `${value.slice(0, at)}${char}${value.slice(at)}`;
  it.each([
    ['ddApiKey', 'an LF', { ddApiKey: broken(16, API_KEY, '\n') }, /ddApiKey holds a line break/],
    ['ddApiKey', 'a NUL', { ddApiKey: broken(16, API_KEY, '\0') }, /ddApiKey holds a NUL character/],
    ['ddAppKey', 'a CR', { ddAppKey: broken(20, APP_KEY, '\r') }, /ddAppKey holds a line break/],
    ['ddAppKey', 'CR LF', { ddAppKey: broken(20, APP_KEY, '\r\n') }, /ddAppKey holds a line break/],
    ['slackBotToken', 'an LF', { slackBotToken: broken(30, TOKEN, '\n') }, /slackBotToken holds a line break/],
    ['slackBotToken', 'a NUL', { slackBotToken: broken(30, TOKEN, '\0') }, /slackBotToken holds a NUL character/],
  ])('fail the run naming %s (holding %s) and appear nowhere', async (_field, _char, bad, expected) => {
    // Prepare
    const secretId = `ai-activity-audit/broken-${Object.keys(bad)[0]}-${String(expected).length}`;
    const secret = { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: TOKEN, ...bad };
    harness().secrets.setSecret(secretId, JSON.stringify(secret));
    const env = harness().appEnv({
      SECRET_ID: secretId,
      DD_API_URL: datadog.url,
      SLACK_API_URL: slack.url,
      ARCHIVE_BUCKET: harness().s3.bucket,
    });

    // Act
    const { haystacks, result } = await runAndCollect(env, slack);
    const archive = await archivedObjects();

    // Assess
    expect(result.status).toBe('rejected');
    const reason = (result as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(SecretError);
    expect(reason.message).toMatch(expected);
    expect(logLines(haystacks.logs as string).some((l) => l.message === 'report_failed')).toBe(true);
    expect(leaks({ ...haystacks, ...archive }, Object.values(secret))).toEqual([]);
  });

  it('a Slack token holding a line break, given to the Slack client directly, is in no error or client log line', async () => {
    // Prepare: past the secret's check (as a caller that skips it would): the header itself is refused.
    const token = broken(30, TOKEN, '\r\n');
    const lines: string[] = [];
    const log = { warn: (m: string, e?: unknown) => lines.push(m, JSON.stringify(e)), error: () => undefined };
    const sender = createSlackSender({
      client: createSlackWebClient(token, { slackApiUrl: `${slack.url}/api/`, log: { ...log, error: log.warn } }),
    });

    // Act
    const post = sender.post({ channel: CHANNEL, text: 'hello', blocks: [], unfurl_links: false });
    const reason = await post.then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(reason).toBeInstanceOf(SlackDeliveryError);
    expect((reason as Error).message).toMatch(/^Could not reach Slack for chat.postMessage.*ERR_INVALID_HEADER_VALUE/);
    expect(errorText((reason as Error).cause)).toMatch(/ERR_INVALID_HEADER_VALUE/);
    expect(leaks({ error: errorText(reason), log: lines.join('\n') }, [token])).toEqual([]);
  });
});

describe('the command line', () => {
  it('prints no key: not one holding a line break, not one Datadog refuses, not one pasted where it does not belong', async () => {
    // Prepare
    const range = ['--from', '2026-11-16T00:00:00Z', '--to', '2026-11-23T00:00:00Z'];
    const env = { DD_API_URL: datadog.url, DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY };
    const withBreak = { ...env, DD_API_KEY: `${API_KEY.slice(0, 16)}\r\n${API_KEY.slice(16)}` };
    const refused = { ...env, DD_APP_KEY: APP_KEY.replace(MARK, 'deadbeef') };

    // Act
    const runs = {
      delivered: await runReport(['summarize', ...range, '--format', 'json'], env),
      lineBreak: await runReport(['summarize', ...range], withBreak),
      refusedKey: await runReport(['summarize', ...range], refused),
      pasted: await runReport(['render', ...range, '--out', '/tmp/never-written', '--channel', APP_KEY], env),
    };

    // Assess
    expect(runs.delivered.status).toBe(0);
    expect(JSON.parse(runs.delivered.stdout).total_tool_calls).toBeGreaterThan(0);
    expect(runs.lineBreak.status).toBe(1);
    expect(runs.lineBreak.stderr).toMatch(/The Datadog API key \(DD_API_KEY\) holds a line break/);
    expect(runs.refusedKey.status).toBe(1);
    expect(runs.refusedKey.stderr).toMatch(/403/);
    expect(runs.pasted.status).toBe(2);
    expect(runs.pasted.stderr).toContain(`(got "${REDACTED}")`);
    const printed = Object.fromEntries(
      Object.entries(runs).flatMap(([name, run]) => [
        [`${name} stdout`, run.stdout],
        [`${name} stderr`, run.stderr],
      ]),
    );
    expect(leaks(printed, [API_KEY, APP_KEY, withBreak.DD_API_KEY, refused.DD_APP_KEY])).toEqual([]);
  });
});
