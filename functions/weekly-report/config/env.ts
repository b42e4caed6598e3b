/**
 * The handler's configuration, read and validated once at cold start (DESIGN.md "The Lambda
 * handler's contract"). The reports come from a reports document run through the one parser the
 * stack ran at synth (parse-reports.ts): with REPORTS_FILE, the document the stack bundled beside
 * the code; without it, one report named `default` that the variables below define, turned into
 * a one-report document. Either way a problem reads the same as at synth, prefixed with where to
 * fix it (the variable, or the file). DD_API_URL and SLACK_API_URL override the endpoints of every
 * report. Every problem is thrown as one ConfigError; values are echoed only shortened, and the
 * environment holds no secrets by contract (credentials live in Secrets Manager).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../errors';
import { apiBaseUrlProblem } from './api-url';
import { type ParseReportsOptions, parseReports, problemPath } from './parse-reports';
import { DEFAULT_REPORT, type ReportDefinition, type ReportsDocument } from './report-definitions';
import type { SettingKey } from './report-settings';
import { quote } from './values';

export interface HandlerConfig {
  /** Every report of the deployment (at least one). */
  readonly reports: readonly ReportDefinition[];
  readonly idempotencyTable: string;
  /** The report archive's S3 bucket; absent when archiving is off. */
  readonly archiveBucket?: string;
  /**
   * The KMS HMAC key that seals the archive's weeks (ARCHIVE_MAC_KEY: its ARN, id or alias; the
   * stack's output ArchiveMacKeyArn); absent, the archive is neither signed nor verified.
   */
  readonly archiveMacKey?: string;
}

/** A KMS key's ARN, id, alias or alias ARN (what GenerateMac's KeyId takes). */
const KMS_KEY_ID =
  /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250})|(?:mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250})$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The variables of a deployment without REPORTS_FILE, and the setting each one gives (EMAIL_TO
 * comma-separated, THRESHOLDS and SUPPRESS as JSON text). Empty means unset: the default applies.
 */
export const REPORT_VARIABLES = {
  ORG_NAME: 'orgName',
  TIMEZONE: 'timezone',
  WINDOW_DAYS: 'windowDays',
  BASELINE_DAYS: 'baselineDays',
  WINDOW: 'window',
  DATADOG_SITE: 'datadogSite',
  SECRET_ID: 'secretName',
  EMAIL_FROM: 'emailFrom',
  EMAIL_TO: 'emailTo',
  SES_CONFIGURATION_SET: 'sesConfigurationSet',
  SLACK_CHANNEL: 'slackChannel',
  /** The Teams channel's name; its workflow webhook URL is in the credentials secret (teamsWebhooks). */
  TEAMS_CHANNEL: 'teamsChannel',
  THRESHOLDS: 'thresholds',
  SUPPRESS: 'suppress',
} as const satisfies Record<string, SettingKey>;

/**
 * Reads and validates every variable (and the reports document); throws one ConfigError listing
 * all problems. `now` (epoch ms) is the cold start's moment, for settings checked against the date
 * (an exception's `expires`). @default Date.now()
 */
export function readEnv(env: Env = process.env, now?: number): HandlerConfig {
  const problems: string[] = [];
  const get = (name: string): string => (env[name] ?? '').trim();

  const options: ParseReportsOptions = {
    ...(now !== undefined ? { now } : {}),
    ...optionalUrl('DD_API_URL', 'a base URL such as https://api.datadoghq.com', 'datadogApiUrl'),
    ...optionalUrl('SLACK_API_URL', 'a base URL such as https://slack.com/api/', 'slackApiUrl'),
  };
  const file = get('REPORTS_FILE');
  const reports = file !== '' ? readReportsFile(file, options, problems) : readVariables(env, options, problems);

  const idempotencyTable = get('IDEMPOTENCY_TABLE');
  if (idempotencyTable === '') {
    problems.push('IDEMPOTENCY_TABLE is required (DynamoDB table, partition key id (S), TTL attribute expiration)');
  } else if (!/^[A-Za-z0-9_.-]{3,255}$/.test(idempotencyTable)) {
    problems.push(
      `IDEMPOTENCY_TABLE must be a DynamoDB table name (3–255 of letters, digits, _ . -) (got ${quote(idempotencyTable)})`,
    );
  }
  const archiveBucket = get('ARCHIVE_BUCKET');
  if (archiveBucket !== '' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(archiveBucket)) {
    problems.push(`ARCHIVE_BUCKET must be an S3 bucket name (3–63 of a-z, 0-9, . and -) (got ${quote(archiveBucket)})`);
  }

  const archiveMacKey = get('ARCHIVE_MAC_KEY');
  if (archiveMacKey !== '' && !KMS_KEY_ID.test(archiveMacKey)) {
    problems.push(
      `ARCHIVE_MAC_KEY must be a KMS key ARN, key id or alias, such as the stack output ArchiveMacKeyArn (got ${quote(archiveMacKey)})`,
    );
  } else if (archiveMacKey !== '' && archiveBucket === '') {
    problems.push('ARCHIVE_MAC_KEY seals the report archive, but ARCHIVE_BUCKET is not set: set both, or neither');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    reports,
    idempotencyTable,
    ...(archiveBucket ? { archiveBucket } : {}),
    ...(archiveMacKey ? { archiveMacKey } : {}),
  };

  function optionalUrl(name: string, example: string, option: 'datadogApiUrl' | 'slackApiUrl') {
    const value = get(name);
    if (value === '') return {};
    // Credentials go to this URL: https only, except to a loopback stand-in (config/api-url.ts).
    const problem = apiBaseUrlProblem(value);
    if (problem === undefined) return { [option]: value };
    problems.push(`${name} ${problem}: ${example} (got ${quote(value)})`);
    return {};
  }
}

/** The reports document the stack bundled with the function; its path is relative to this code's directory. */
function readReportsFile(file: string, options: ParseReportsOptions, problems: string[]): ReportDefinition[] {
  const path = isAbsolute(file) ? file : join(__dirname, file);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON';
    problems.push(`REPORTS_FILE ${quote(file)} cannot be read (${why}): redeploy the stack, which writes it`);
    return [];
  }
  const parsed = parseReports(document, options);
  if (parsed.ok) return [...parsed.reports];
  for (const p of parsed.problems) problems.push(`REPORTS_FILE ${problemPath(p, 'defaults.')}: ${p.message}`);
  return [];
}

/**
 * The one report of a deployment without REPORTS_FILE: the variables as the defaults of a
 * document with one report, `default`, which inherits them all. A problem names the variable.
 */
function readVariables(env: Env, options: ParseReportsOptions, problems: string[]): ReportDefinition[] {
  const defaults: Record<string, string> = {};
  const variableOf = new Map<string, string>();
  for (const [variable, key] of Object.entries(REPORT_VARIABLES)) {
    variableOf.set(key, variable);
    const value = (env[variable] ?? '').trim();
    if (value !== '') defaults[key] = value;
  }
  const document: ReportsDocument = { defaults, reports: [{ name: DEFAULT_REPORT }] };
  const parsed = parseReports(document, options);
  if (parsed.ok) return [...parsed.reports];
  for (const p of parsed.problems) problems.push(`${variableOf.get(p.key) ?? problemPath(p)}: ${p.message}`);
  return [];
}
