/**
 * `report doctor`: the preflight of a deployment from the command line, the checks the deployed
 * function runs for `{"check": true}` (functions/weekly-report/preflight/), with the caller's own
 * AWS credentials. The configuration is the function's environment contract, read by the
 * function's own reader (config/env.ts `readEnv`): REPORTS_FILE, or ORG_NAME, EMAIL_FROM,
 * EMAIL_TO, SLACK_CHANNEL, DATADOG_SITE, SECRET_ID, ARCHIVE_BUCKET… (IDEMPOTENCY_TABLE may be
 * left out: no check uses the ledger). Credentials: `--secret NAME` (Secrets Manager), else
 * DD_API_KEY, DD_APP_KEY and SLACK_BOT_TOKEN when set, else each report's secret. One line per
 * check on stdout, then a count; exit 1 when any check failed, 2 for a usage mistake (said here:
 * the command line loads this module from its own bundle, dist/cli/doctor.cjs, whose error
 * classes are not report.cjs's).
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { nodeHttpTransport } from '../functions/weekly-report/adapters/datadog/node-transport';
import { readEnv } from '../functions/weekly-report/config/env';
import { ConfigError } from '../functions/weekly-report/errors';
import { type CheckResult, formatResult, formatTally } from '../functions/weekly-report/preflight/check';
import {
  type CredentialSource,
  environmentCredentials,
  secretCredentials,
} from '../functions/weekly-report/preflight/credentials';
import { runPreflight } from '../functions/weekly-report/preflight/plan';

export const DOCTOR_USAGE = `usage: report doctor [--secret NAME|ARN] [--timeout SECONDS] [--format text|json]
Checks a deployment before it runs, sending nothing: the Datadog keys and the application key's
scopes, the Slack token and the bot's channels, the SES senders, account and recipients, the
credentials secret's shape and the archive bucket. Configuration from the function's variables
(REPORTS_FILE, or ORG_NAME, EMAIL_FROM, EMAIL_TO, SLACK_CHANNEL, DATADOG_SITE, SECRET_ID,
ARCHIVE_BUCKET); credentials from --secret, else DD_API_KEY/DD_APP_KEY/SLACK_BOT_TOKEN, else each
report's secret. Exit 1 when a check fails. See docs/doctor.md.`;

const OPTIONS = {
  secret: { type: 'string' },
  timeout: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Stands in for IDEMPOTENCY_TABLE, which readEnv requires and no check reads. */
const NO_TABLE = 'not-used-by-doctor';

export interface DoctorIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: DoctorIo = {
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

interface DoctorOptions {
  readonly format: 'text' | 'json';
  readonly timeoutSeconds: number;
  readonly secret?: string;
}

/** The options, `help`, or the usage mistake to report. */
function parseOptions(args: readonly string[]): DoctorOptions | 'help' | { readonly mistake: string } {
  let values: { secret?: string; timeout?: string; format?: string; help?: boolean };
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { mistake: (error as Error).message.split('\n')[0] ?? 'bad arguments' };
  }
  if (values.help) return 'help';
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return { mistake: `--format must be text or json (got "${format}")` };
  const timeoutSeconds = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
    return { mistake: `--timeout must be a number of seconds above 0 (got "${values.timeout}")` };
  }
  const secret = values.secret?.trim();
  if (values.secret !== undefined && !secret) return { mistake: '--secret needs the name or ARN of a secret' };
  return { format, timeoutSeconds, ...(secret ? { secret } : {}) };
}

/** Runs the checks; the exit code: 0 all passed or skipped, 1 a check failed or the configuration is invalid, 2 a usage mistake. */
export async function runDoctor(args: readonly string[], io: DoctorIo = processIo): Promise<number> {
  const options = parseOptions(args);
  if (options === 'help') {
    io.stdout(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  if ('mistake' in options) {
    io.stderr(`report: doctor: ${options.mistake} (report doctor --help)\n`);
    return 2;
  }
  const { format, timeoutSeconds, secret } = options;

  const { env } = io;
  // The function reads a relative REPORTS_FILE beside its code; here it is relative to where you are.
  const reportsFile = env.REPORTS_FILE?.trim();
  let config: ReturnType<typeof readEnv>;
  try {
    config = readEnv({
      ...env,
      ...(reportsFile && !isAbsolute(reportsFile) ? { REPORTS_FILE: resolve(reportsFile) } : {}),
      IDEMPOTENCY_TABLE: env.IDEMPOTENCY_TABLE?.trim() || NO_TABLE,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = error.problems.map(
      (problem) => `FAIL  configuration  ${problem} → fix: set the variable as the stack would (docs/doctor.md)`,
    );
    print(io, format, lines, { configuration: error.problems });
    return 1;
  }

  const secrets = new SecretsManagerClient({});
  const ses = new SESClient({ maxAttempts: 5 });
  const sesv2 = new SESv2Client({});
  const s3 = config.archiveBucket ? new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }) : undefined;
  const fromEnvironment = !secret && Boolean(env.DD_API_KEY?.trim() || env.DD_APP_KEY?.trim());
  const credentials = (secretId: string): CredentialSource =>
    secret
      ? secretCredentials(secrets, secret)
      : fromEnvironment
        ? environmentCredentials(env)
        : secretCredentials(secrets, secretId);
  try {
    const results = await runPreflight(
      {
        reports: config.reports,
        ...(config.archiveBucket ? { archiveBucket: config.archiveBucket } : {}),
        credentials,
        aws: { ses, sesv2, ...(s3 ? { s3 } : {}) },
        datadog: { fetch: nodeHttpTransport },
      },
      Date.now() + Math.round(timeoutSeconds * 1000),
    );
    print(io, format, results.map(formatResult), { checks: results, summary: formatTally(results) }, results);
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  } finally {
    for (const client of [secrets, ses, sesv2, s3]) client?.destroy();
  }
}

function print(
  io: DoctorIo,
  format: 'text' | 'json',
  lines: readonly string[],
  json: Record<string, unknown>,
  results?: readonly CheckResult[],
): void {
  if (format === 'json') {
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  io.stdout(`${lines.join('\n')}\n`);
  if (results) io.stdout(`\n${formatTally(results)}\n`);
}
