/**
 * Every stand-in a preflight talks to, real and on 127.0.0.1, for the doctor's tests: the Datadog
 * emulator (API key validation, scoped application keys, the Teams API of a generated org), the
 * Slack emulator (auth.test, conversations.info), SES (aws-ses-v2-local behind the recording
 * proxy, and the identities-and-account stand-in in front of both), dynalite with the ledger
 * table, s3rver with the archive bucket, and the Secrets Manager stand-in. `env()` is a
 * deployment's environment pointing at them, with two reports: `security` (email and Slack) and
 * `sre` (Slack, scoped to the sre team).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsEmulators, awsEnv, type S3Emulator, startAwsEmulators, startS3Emulator } from './aws-emulators';
import { type DatadogEmulator, startDatadogEmulator } from './datadog-emulator';
import { generateScenario } from './generator';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './secrets-manager-emulator';
import { type SesAccountEmulator, startSesAccountEmulator } from './ses-account-emulator';
import { type SlackEmulator, startSlackEmulator } from './slack-emulator';

export const DOCTOR_SECRET = 'ai-activity-audit/doctor';
export const DD_API_KEY = '0123456789abcdef0123456789abcd01';
export const DD_APP_KEY = 'fedcba9876543210fedcba9876543210fedcba02';
export const SLACK_TOKEN = 'xoxb-222-333-DoctorSlackTokenValue';
export const SECURITY_CHANNEL = 'C0DOCTOR001';
export const SRE_CHANNEL = 'C0DOCTOR002';
/** A channel that exists but the bot was never invited to. */
export const CHANNEL_WITHOUT_BOT = 'C0DOCTOR009';
export const LEDGER_TABLE = 'doctor-deliveries';
export const SENDER = 'audit@example.com';
export const RECIPIENTS = ['ana@example.com', 'bo@example.org'] as const;

export interface DoctorStandIns {
  readonly datadog: DatadogEmulator;
  readonly slack: SlackEmulator;
  readonly aws: AwsEmulators;
  /** In front of `aws.ses`: what the SES clients talk to. */
  readonly ses: SesAccountEmulator;
  readonly s3: S3Emulator;
  readonly secrets: SecretsManagerEmulator;
  /** The environment of the SDK clients (endpoints, region, credentials): put into process.env. */
  readonly awsEnv: Record<string, string>;
  /** A deployment's environment (REPORTS_FILE of two reports), `overrides` on top. */
  env(overrides?: Record<string, string>, reports?: readonly Record<string, unknown>[]): Record<string, string>;
  /** The credentials secret as it should be. */
  goodSecret(): string;
  close(): Promise<void>;
}

export async function startDoctorStandIns(): Promise<DoctorStandIns> {
  const scenario = generateScenario({ seed: 24, end: new Date('2026-11-23T00:00:00Z'), weekEvents: 300, people: 20 });
  const goodSecret = () => JSON.stringify({ ddApiKey: DD_API_KEY, ddAppKey: DD_APP_KEY, slackBotToken: SLACK_TOKEN });
  const [datadog, slack, aws, s3, secrets] = await Promise.all([
    startDatadogEmulator({
      events: [...scenario.baseline, ...scenario.window],
      teams: scenario.teams,
      apiKey: DD_API_KEY,
      appKey: DD_APP_KEY,
      appKeyScopes: ['audit_logs_read', 'timeseries_query', 'teams_read'],
    }),
    startSlackEmulator({
      token: SLACK_TOKEN,
      channels: [SECURITY_CHANNEL, SRE_CHANNEL],
      channelsWithoutBot: [CHANNEL_WITHOUT_BOT],
    }),
    startAwsEmulators({ tableName: LEDGER_TABLE }),
    startS3Emulator('doctor-archive'),
    startSecretsManagerEmulator({ [DOCTOR_SECRET]: goodSecret() }),
  ]);
  // The example.com domain and one address of example.org are verified; production access.
  const ses = await startSesAccountEmulator(aws.ses.url, {
    identities: { 'example.com': 'Success', 'bo@example.org': 'Success' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
  let files = 0;
  const defaults = { orgName: 'Doctor Org', datadogSite: 'datadoghq.com', secretName: DOCTOR_SECRET, timezone: 'UTC' };
  const standardReports: readonly Record<string, unknown>[] = [
    { name: 'security', emailFrom: SENDER, emailTo: [...RECIPIENTS], slackChannel: SECURITY_CHANNEL },
    { name: 'sre', slackChannel: SRE_CHANNEL, scope: { teams: ['sre'] } },
  ];
  return {
    datadog,
    slack,
    aws,
    ses,
    s3,
    secrets,
    awsEnv: {
      ...awsEnv({ ses: ses.url, dynamo: aws.dynamo.url, secretsManager: secrets.url, s3: s3.url }),
      AWS_ENDPOINT_URL_SESV2: ses.url,
    },
    env(overrides = {}, reports = standardReports) {
      const file = join(dir, `reports-${++files}.json`);
      writeFileSync(file, JSON.stringify({ schema: 1, reports: reports.map((r) => ({ ...defaults, ...r })) }));
      return {
        REPORTS_FILE: file,
        DD_API_URL: datadog.url,
        SLACK_API_URL: slack.url,
        IDEMPOTENCY_TABLE: LEDGER_TABLE,
        ARCHIVE_BUCKET: s3.bucket,
        ...overrides,
      };
    },
    goodSecret,
    async close() {
      await Promise.all([datadog.close(), slack.close(), aws.close(), ses.close(), s3.close(), secrets.close()]);
    },
  };
}
