/**
 * The handler's configuration from environment variables (DESIGN.md "The Lambda handler's
 * contract"), read and validated once at cold start. Every problem is collected and thrown as one
 * ConfigError, each line naming the variable and the fix. Values are echoed only shortened, and
 * the environment holds no secrets by contract (credentials live in Secrets Manager).
 *
 * The reports: with REPORTS_FILE, the document the stack bundled (report-definitions.ts), every
 * report validated with the stack's rules; without it, one report named `default` from the
 * variables below, exactly as before.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { WINDOW_MODES, type WindowMode } from '../core/windows';
import { ConfigError } from '../errors';
import { DEFAULT_REPORT, parseReportsDocument, type ReportDefinition } from './report-definitions';
import {
  canonicalTimeZone,
  DATADOG_SITES,
  type DatadogSite,
  isDatadogSite,
  isEmailAddress,
  isSlackChannelId,
  parsePositiveInteger,
  parseSuppress,
  parseThresholds,
} from './values';

export interface HandlerConfig {
  /** Every report of the deployment (at least one). */
  readonly reports: readonly ReportDefinition[];
  readonly idempotencyTable: string;
  /** The report archive's S3 bucket; absent when archiving is off. */
  readonly archiveBucket?: string;
}

/**
 * The report a deployment without a `reports` list sends, from the variables: a report
 * definition before its name and key. Email is absent when `EMAIL_TO` is empty, Slack
 * when `SLACK_CHANNEL` is.
 */
type EnvReport = Omit<ReportDefinition, 'name' | 'key' | 'scope'>;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates every variable (and the reports document); throws one ConfigError listing all problems. */
export function readEnv(env: Env = process.env): HandlerConfig {
  const problems: string[] = [];
  const get = (name: string): string => (env[name] ?? '').trim();

  const file = get('REPORTS_FILE');
  let reports: readonly ReportDefinition[] = [];
  if (file !== '') {
    reports = readReportsFile(file, env, problems);
  } else {
    const single = readEnvReport(env, problems);
    reports = [{ name: DEFAULT_REPORT, key: single.org, ...single }];
  }
  const idempotencyTable = get('IDEMPOTENCY_TABLE');
  if (idempotencyTable === '') {
    problems.push('IDEMPOTENCY_TABLE is required (DynamoDB table, partition key id (S), TTL attribute expiration)');
  } else if (!/^[A-Za-z0-9_.-]{3,255}$/.test(idempotencyTable)) {
    problems.push(
      `IDEMPOTENCY_TABLE must be a DynamoDB table name (3–255 of letters, digits, _ . -) (got ${show(idempotencyTable)})`,
    );
  }
  const archiveBucket = get('ARCHIVE_BUCKET');
  if (archiveBucket !== '' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(archiveBucket)) {
    problems.push(`ARCHIVE_BUCKET must be an S3 bucket name (3–63 of a-z, 0-9, . and -) (got ${show(archiveBucket)})`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { reports, idempotencyTable, ...(archiveBucket ? { archiveBucket } : {}) };
}

/** The reports document the stack bundled with the function; its path is relative to this code's directory. */
function readReportsFile(file: string, env: Env, problems: string[]): ReportDefinition[] {
  const path = isAbsolute(file) ? file : join(__dirname, file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON';
    problems.push(`REPORTS_FILE ${show(file)} cannot be read (${why}): redeploy the stack, which writes it`);
    return [];
  }
  const apiUrl = (name: string) => (env[name] ?? '').trim() || undefined;
  const parsed = parseReportsDocument(raw, {
    ...(apiUrl('DD_API_URL') ? { datadog: apiUrl('DD_API_URL') } : {}),
    ...(apiUrl('SLACK_API_URL') ? { slack: apiUrl('SLACK_API_URL') } : {}),
  });
  for (const p of parsed.problems) problems.push(`REPORTS_FILE ${p}`);
  return parsed.reports;
}

/** The one report of a deployment without a `reports` list, from ORG_NAME, TIMEZONE, … as before. */
function readEnvReport(env: Env, problems: string[]): EnvReport {
  const get = (name: string): string => (env[name] ?? '').trim();

  const org = get('ORG_NAME');
  if (org === '') problems.push('ORG_NAME is required (the organisation name shown in the subject and title)');

  const givenTimezone = get('TIMEZONE') || 'UTC';
  // Spelled as the stack spells it (`europe/berlin` is `Europe/Berlin`), whatever the variable says.
  const canonicalZone = canonicalTimeZone(givenTimezone);
  if (canonicalZone === undefined) {
    problems.push(`TIMEZONE must be an IANA time zone such as Europe/Berlin or UTC (got ${show(givenTimezone)})`);
  }
  const timezone = canonicalZone ?? givenTimezone;

  const windowDays = positive('WINDOW_DAYS', 7);
  const baselineDays = positive('BASELINE_DAYS', 28);
  const window = (get('WINDOW') || 'calendar') as WindowMode;
  if (!WINDOW_MODES.includes(window)) {
    problems.push(`WINDOW must be ${WINDOW_MODES.join(' or ')} (got ${show(window)})`);
  }

  const site = get('DATADOG_SITE') || 'datadoghq.com';
  if (!isDatadogSite(site)) {
    problems.push(`DATADOG_SITE must be one of ${DATADOG_SITES.join(', ')} (got ${show(site)})`);
  }
  const apiUrl = optionalUrl('DD_API_URL', 'a base URL such as https://api.datadoghq.com');

  const secretId = get('SECRET_ID');
  if (secretId === '') {
    problems.push(
      'SECRET_ID is required (name or ARN of the Secrets Manager secret {ddApiKey, ddAppKey, slackBotToken?})',
    );
  }

  let email: EnvReport['email'];
  const emailTo = get('EMAIL_TO');
  if (emailTo !== '') {
    const to = emailTo
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = to.filter((a) => !isEmailAddress(a));
    if (bad.length > 0 || to.length === 0) {
      problems.push(
        `EMAIL_TO must be comma-separated e-mail addresses (got ${bad.map(show).join(', ') || show(emailTo)})`,
      );
    }
    const from = get('EMAIL_FROM');
    if (from === '') problems.push('EMAIL_FROM is required when EMAIL_TO is set (an SES-verified sender address)');
    else if (!isEmailAddress(from)) problems.push(`EMAIL_FROM must be one e-mail address (got ${show(from)})`);
    const configurationSet = get('SES_CONFIGURATION_SET');
    if (configurationSet !== '' && !/^[A-Za-z0-9_-]{1,64}$/.test(configurationSet)) {
      problems.push(
        `SES_CONFIGURATION_SET must be an SES configuration set name (letters, digits, _ and -, at most 64) (got ${show(configurationSet)})`,
      );
    }
    email = { from, to: [...new Set(to)], ...(configurationSet ? { configurationSet } : {}) };
  }

  let slack: EnvReport['slack'];
  const channel = get('SLACK_CHANNEL');
  if (channel !== '') {
    if (!isSlackChannelId(channel)) {
      problems.push(
        `SLACK_CHANNEL must be a channel ID such as C0123456789 (channel details → About), not a name (got ${show(channel)})`,
      );
    }
    const slackApiUrl = optionalUrl('SLACK_API_URL', 'a base URL such as https://slack.com/api/');
    slack = { channel, ...(slackApiUrl ? { apiUrl: slackApiUrl } : {}) };
  }
  if (!email && !slack) {
    problems.push('at least one channel is required: set EMAIL_TO (with EMAIL_FROM) or SLACK_CHANNEL');
  }

  const thresholds = parseThresholds(get('THRESHOLDS'));
  for (const p of thresholds.problems) problems.push(`THRESHOLDS ${p}`);
  const suppress = parseSuppress(get('SUPPRESS'));
  for (const p of suppress.problems) problems.push(`SUPPRESS ${p}`);

  return {
    org,
    timezone,
    windowDays,
    baselineDays,
    windowMode: window,
    schedule: 'cron(0 9 ? * MON *)',
    topUsers: 5,
    changesLimit: 200,
    site: site as DatadogSite,
    ...(apiUrl ? { datadogApiUrl: apiUrl } : {}),
    secretId,
    ...(email ? { email } : {}),
    ...(slack ? { slack } : {}),
    thresholds: thresholds.value,
    suppress: suppress.value,
  };

  function positive(name: string, fallback: number): number {
    const parsed = parsePositiveInteger(get(name), fallback);
    for (const p of parsed.problems) problems.push(`${name} ${p}`);
    return parsed.value;
  }

  function optionalUrl(name: string, example: string): string | undefined {
    const value = get(name);
    if (value === '') return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // reported below
    }
    problems.push(`${name} must be an http(s) URL, ${example} (got ${show(value)})`);
    return undefined;
  }
}

/** Quotes a value for an error message, shortened so a mistakenly pasted long value is not echoed whole. */
function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
}
