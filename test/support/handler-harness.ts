/**
 * The deployed handler's surroundings for integration tests, all real and on 127.0.0.1: the
 * Datadog emulator holding a generated week and baseline, aws-ses-v2-local (SES), dynalite
 * (DynamoDB), s3rver (S3, the report archive), the KMS stand-in (the archive's MAC key), the
 * Secrets Manager stand-in, the Slack emulator and the Teams workflow webhook stand-in (the
 * secret's `teamsWebhooks` name three of its channels: `security`, a live workflow; `gone`, a
 * deleted one; `insecure`, a plain-http URL), reached by the real clients
 * through the standard endpoint variables. `useHandlerHarness()` starts them for a test file and
 * captures what the process writes (the handler's JSON logs and metrics) so tests can read it.
 * Each `appEnv()` gets its own ORG_NAME, so idempotency keys never collide between tests.
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { ReportEvent } from '../../functions/weekly-report/handler';
import {
  type AwsEmulators,
  awsEnv,
  LOCAL_CREDENTIALS,
  type S3Emulator,
  type SentEmail,
  startAwsEmulators,
  startS3Emulator,
  TEST_REGION,
} from './aws-emulators';
import { type DatadogEmulator, startDatadogEmulator } from './datadog-emulator';
import type { EmulatedTeam } from './datadog-teams-emulator';
import { generateScenario, type RawAuditEvent } from './generator';
import { type KmsEmulator, startKmsEmulator } from './kms-emulator';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './secrets-manager-emulator';
import { type SlackEmulator, type SlackPostedMessage, startSlackEmulator } from './slack-emulator';
import { startTeamsWebhookEmulator, type TeamsPost, type TeamsWebhookEmulator } from './teams-webhook-emulator';

export const SCHEDULED = '2026-11-23T09:00:00Z';
/** The calendar week a Monday 09:00 UTC run reports ends at that Monday's midnight. */
export const WEEK_END = new Date('2026-11-23T00:00:00Z');
export const SECRET_ID = 'ai-activity-audit/credentials';
/** Keys in the form the function checks for (adapters/secrets.ts: 32 and 40 hexadecimal characters). */
export const DD_API_KEY = '0123456789abcdef0123456789abcdef';
export const DD_APP_KEY = 'fedcba9876543210fedcba9876543210fedcba98';
export const SLACK_TOKEN = 'xoxb-111-222-SecretSlackTokenValue';
export const CHANNEL = 'C0123456789';
export const CHANNEL_WITHOUT_BOT = 'C0999999999';
export const TABLE = 'ai-activity-audit-deliveries';
/** Teams channels of the secret's `teamsWebhooks`: a live workflow, a deleted one, a URL that is not https. */
export const TEAMS_CHANNEL = 'security';
export const TEAMS_GONE = 'gone';
export const TEAMS_INSECURE = 'insecure';
export const EVENT: ReportEvent = { scheduledTime: SCHEDULED };

export interface HarnessOptions {
  /** Events the Datadog emulator holds. @default a generated week (600 events, 20 people) and its baseline */
  readonly events?: () => Iterable<RawAuditEvent>;
  /** Teams the emulator's Teams API serves. @default the generated scenario's teams (none with `events` given) */
  readonly teams?: readonly EmulatedTeam[];
}

export interface HandlerHarness {
  /** The events the Datadog emulator holds (audit search and metric alike). */
  readonly events: readonly RawAuditEvent[];
  /** The teams the emulator's Teams API serves (sre, platform, data of the generated people by default). */
  readonly teams: readonly EmulatedTeam[];
  readonly datadog: DatadogEmulator;
  readonly aws: AwsEmulators;
  /** s3rver with the archive bucket (`s3.bucket`); a run archives only when ARCHIVE_BUCKET is set. */
  readonly s3: S3Emulator;
  /** The KMS stand-in with the archive's HMAC key (`kms.keyArn`); a run seals its archive only when ARCHIVE_MAC_KEY is set. */
  readonly kms: KmsEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly slack: SlackEmulator;
  /** The Microsoft Teams workflow webhook stand-in; `teamsUrls` are the secret's `teamsWebhooks`. */
  readonly msTeams: TeamsWebhookEmulator;
  readonly teamsUrls: Readonly<Record<string, string>>;
  /** The environment the stack would set, pointing at the emulators; a fresh org name per call. */
  appEnv(overrides?: Record<string, string>): Record<string, string>;
  /** A Lambda context whose remaining time runs down from `remainingMs`. */
  lambdaContext(remainingMs?: number): Context;
  emailsOf(org: string): Promise<SentEmail[]>;
  /** The report's channel posts of `org` (not their thread replies). */
  postsOf(org: string): SlackPostedMessage[];
  /** The replies in the threads of `org`'s posts. */
  repliesOf(org: string): SlackPostedMessage[];
  /** The Teams cards posted for `org` (to any workflow of the stand-in). */
  teamsPostsOf(org: string): TeamsPost[];
  /** Runs `fn`, returning what the process wrote meanwhile and how `fn` settled. */
  captureOutput<T>(fn: () => Promise<T>): Promise<{ output: string; result: PromiseSettledResult<T> }>;
}

/** The delivery ledger's item of `key` (`{report}:{window end}:{channel}`), read through the real client. */
export async function ledgerItem(h: HandlerHarness, key: string): Promise<Record<string, AttributeValue> | undefined> {
  const client = new DynamoDBClient({
    endpoint: h.aws.dynamo.url,
    region: TEST_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    return (await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } } }))).Item;
  } finally {
    client.destroy();
  }
}

/** The JSON lines of `output` (logs and EMF metrics), parsed. */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The lines of `output` that are not JSON objects (what would break a JSON log stream). */
export function nonJsonLines(output: string): string[] {
  return output.split('\n').filter((l) => {
    if (l.trim() === '') return false;
    try {
      const value: unknown = JSON.parse(l);
      return typeof value !== 'object' || value === null;
    } catch {
      return true;
    }
  });
}

/** Registers beforeAll/afterAll/beforeEach/afterEach for the file; the returned getter works inside tests. */
export function useHandlerHarness(options: HarnessOptions = {}): () => HandlerHarness {
  let harness: HandlerHarness | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  const savedEnv = { ...process.env };
  let orgCounter = 0;
  let captured: string[] = [];

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const scenario = options.events
      ? undefined
      : generateScenario({ seed: 42, end: WEEK_END, weekEvents: 600, people: 20 });
    const events = options.events?.() ?? [...(scenario?.baseline ?? []), ...(scenario?.window ?? [])];
    const teams = options.teams ?? scenario?.teams ?? [];
    const msTeams = await startTeamsWebhookEmulator();
    const teamsUrls = {
      [TEAMS_CHANNEL]: msTeams.workflowUrl(),
      [TEAMS_GONE]: msTeams.unknownWorkflowUrl(),
      [TEAMS_INSECURE]: 'http://teams.example/workflows/0123/triggers/manual/paths/invoke?sig=not-https',
    };
    const [datadog, aws, s3, kms, secrets, slack] = await Promise.all([
      startDatadogEmulator({ events, teams, apiKey: DD_API_KEY, appKey: DD_APP_KEY }),
      startAwsEmulators({ tableName: TABLE }),
      startS3Emulator(),
      startKmsEmulator(),
      startSecretsManagerEmulator({
        [SECRET_ID]: JSON.stringify({
          ddApiKey: DD_API_KEY,
          ddAppKey: DD_APP_KEY,
          slackBotToken: SLACK_TOKEN,
          teamsWebhooks: teamsUrls,
        }),
      }),
      startSlackEmulator({ token: SLACK_TOKEN, channels: [CHANNEL], channelsWithoutBot: [CHANNEL_WITHOUT_BOT] }),
    ]);
    closeAll = async () => {
      await Promise.all([
        datadog.close(),
        aws.close(),
        s3.close(),
        kms.close(),
        secrets.close(),
        slack.close(),
        msTeams.close(),
      ]);
    };
    Object.assign(
      process.env,
      awsEnv({ ses: aws.ses.url, dynamo: aws.dynamo.url, secretsManager: secrets.url, s3: s3.url }),
      { AWS_ENDPOINT_URL_KMS: kms.url },
      // Some Powertools versions print to the global console in dev mode; keep the production path.
      { POWERTOOLS_DEV: '' },
    );
    harness = {
      events: [...events],
      teams,
      datadog,
      aws,
      s3,
      kms,
      secrets,
      slack,
      msTeams,
      teamsUrls,
      appEnv(overrides = {}) {
        orgCounter++;
        return {
          ORG_NAME: `Acme ${String(orgCounter).padStart(3, '0')}`,
          TIMEZONE: 'UTC',
          WINDOW_DAYS: '7',
          BASELINE_DAYS: '28',
          DD_API_URL: datadog.url,
          SECRET_ID,
          EMAIL_FROM: 'audit@example.com',
          EMAIL_TO: 'ana@example.com,bo@example.com',
          SLACK_CHANNEL: CHANNEL,
          SLACK_API_URL: slack.url,
          IDEMPOTENCY_TABLE: TABLE,
          ...overrides,
        };
      },
      lambdaContext(remainingMs = 120_000) {
        const started = Date.now();
        return {
          callbackWaitsForEmptyEventLoop: false,
          functionName: 'weekly-report',
          functionVersion: '$LATEST',
          invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:weekly-report',
          memoryLimitInMB: '1024',
          awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
          logGroupName: '/aws/lambda/weekly-report',
          logStreamName: 'local',
          getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
          done: () => undefined,
          fail: () => undefined,
          succeed: () => undefined,
        };
      },
      async emailsOf(org) {
        return (await aws.ses.emails()).filter((e) => e.subject.includes(org));
      },
      postsOf(org) {
        return slack.messages.filter(
          (m) => m.thread_ts === undefined && (m.text.includes(org) || JSON.stringify(m.blocks).includes(org)),
        );
      },
      repliesOf(org) {
        return slack.messages.filter(
          (m) => m.thread_ts !== undefined && (m.text.includes(org) || JSON.stringify(m.blocks).includes(org)),
        );
      },
      teamsPostsOf(org) {
        // The card's fallback text names the org (its title, as every medium shows it).
        const title = ` — ${org} — `;
        return msTeams.posts.filter((p) => JSON.stringify(p.message).includes(title));
      },
      async captureOutput(fn) {
        const from = captured.length;
        const [result] = await Promise.allSettled([fn()]);
        return { output: captured.slice(from).join(''), result: result as PromiseSettledResult<Awaited<typeof fn>> };
      },
    } as HandlerHarness;
  });

  afterAll(async () => {
    process.env = savedEnv;
    await closeAll?.();
  });

  // Everything the process writes while a test runs (the Powertools Logger and Metrics write JSON
  // lines to stdout; clients may use the console): captured for assertions, kept off the output.
  beforeEach(() => {
    captured = [];
    const capture = (chunk: unknown) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      jest
        .spyOn(console, level)
        .mockImplementation((...args: unknown[]) => void capture(`${args.map(String).join(' ')}\n`));
    }
  });

  afterEach(() => {
    harness?.slack.clearFaults();
    harness?.msTeams.clearFaults();
    harness?.datadog.setFaults({});
    jest.restoreAllMocks();
  });

  return () => {
    if (!harness) throw new Error('the handler harness is used before beforeAll ran');
    return harness;
  };
}
