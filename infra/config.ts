/**
 * The stack's configuration: reads every CDK context key of DESIGN.md ("Configuration"), checks
 * it, and throws one StackConfigError that lists every problem with its key and the fix. Value
 * rules shared with the handler's cold-start check come from core/settings.ts.
 */
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
} from '../functions/weekly-report/core/settings';
import type { SuppressRule, Thresholds } from '../functions/weekly-report/core/types';
import { WINDOW_MODES, type WindowMode } from '../functions/weekly-report/core/windows';
import { unknownContextKeys } from './context-keys';
import { SCHEDULE_EXAMPLE, validateScheduleExpression } from './schedule-expression';

export interface StackConfig {
  /** EventBridge Scheduler expression. @default 'cron(0 9 ? * MON *)' */
  readonly schedule: string;
  /** IANA zone of the schedule and of the report's calendar days. @default 'UTC' */
  readonly timezone: string;
  readonly orgName: string;
  /** @default 'datadoghq.com' */
  readonly datadogSite: DatadogSite;
  /** Name of the Secrets Manager secret `{ddApiKey, ddAppKey, slackBotToken?}`. @default 'ai-activity-audit/credentials' */
  readonly secretName: string;
  /** SES sender; undefined when email is off. */
  readonly emailFrom?: string;
  /** Recipients; empty when email is off. */
  readonly emailTo: readonly string[];
  readonly sesConfigurationSet?: string;
  /** Slack channel ID; undefined when Slack is off. */
  readonly slackChannel?: string;
  /** @default 7 */
  readonly windowDays: number;
  /** @default 28 */
  readonly baselineDays: number;
  /**
   * `calendar`: the windowDays full local days before the day the schedule fires; `rolling`:
   * windowDays local days ending at the scheduled time. @default 'calendar'
   */
  readonly window: WindowMode;
  readonly thresholds: Thresholds;
  readonly suppress: readonly SuppressRule[];
  /** Address subscribed to the alarm topic; undefined for none. */
  readonly alarmEmail?: string;
  /** Days the function's logs are kept (a CloudWatch Logs retention value). @default 365 */
  readonly logRetentionDays: number;
  /** KMS key that encrypts the function's log group; undefined for CloudWatch's own encryption. */
  readonly logKmsKeyArn?: string;
  /** Days an archived report is kept (current and older versions); 0 keeps them forever. @default 400 */
  readonly archiveRetentionDays: number;
  /** KMS key that encrypts the report archive; undefined for SSE-S3. */
  readonly archiveKmsKeyArn?: string;
  /** When set, S3 Object Lock in compliance mode keeps every archived object unchangeable this many days. */
  readonly archiveObjectLockDays?: number;
}

/** The context keys this app reads, in the order problems are reported. */
export const CONTEXT_KEYS = [
  'schedule',
  'timezone',
  'orgName',
  'datadogSite',
  'secretName',
  'emailFrom',
  'emailTo',
  'sesConfigurationSet',
  'slackChannel',
  'windowDays',
  'baselineDays',
  'window',
  'thresholds',
  'suppress',
  'alarmEmail',
  'logRetentionDays',
  'logKmsKeyArn',
  'archiveRetentionDays',
  'archiveKmsKeyArn',
  'archiveObjectLockDays',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

export const CONFIG_DEFAULTS = {
  schedule: SCHEDULE_EXAMPLE,
  timezone: 'UTC',
  datadogSite: 'datadoghq.com',
  secretName: 'ai-activity-audit/credentials',
  windowDays: 7,
  baselineDays: 28,
  window: 'calendar',
  logRetentionDays: 365,
  archiveRetentionDays: 400,
} as const;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Datadog keeps audit events for at most 90 days, so older windows come back empty. */
const MAX_RETENTION_DAYS = 90;
/** Lambda refuses a function whose environment variables exceed 4 KB in total. */
const MAX_ENVIRONMENT_BYTES = 4096;

export interface ConfigProblem {
  /** A key the app reads, or an unknown key that was given (see context-keys.ts). */
  readonly key: ContextKey | (string & {});
  readonly message: string;
}

export class StackConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: ErrorOptions) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`);
    super(
      `Invalid CDK context (${problems.length} problem${problems.length === 1 ? '' : 's'}); ` +
        `fix them in cdk.json or with -c key=value:\n${lines.join('\n')}`,
      options,
    );
    this.name = 'StackConfigError';
    this.problems = problems;
  }
}

export type RawContext = Readonly<Record<string, unknown>> | ((key: string) => unknown);

/**
 * Reads and validates the context. `raw` is the whole context as a record (cdk.json values,
 * possibly overridden by `-c`, which arrive as strings; `app.node.getAllContext()`), whose every
 * key must be one of CONTEXT_KEYS or the CDK's own, or a lookup such as `app.node.tryGetContext`,
 * which cannot list its keys and so is not checked for unknown ones.
 * @throws StackConfigError listing every problem
 */
export function parseStackConfig(raw: RawContext): StackConfig {
  const get = typeof raw === 'function' ? raw : (key: string) => raw[key];
  // A misspelled key (`-c orgname=Acme`) would otherwise be ignored and the default kept.
  const problems: ConfigProblem[] = typeof raw === 'function' ? [] : unknownContextKeys(CONTEXT_KEYS, raw);
  const report = (key: ContextKey, message: string) => problems.push({ key, message });

  const schedule = readString(get('schedule')) ?? CONFIG_DEFAULTS.schedule;
  for (const p of validateScheduleExpression(schedule)) report('schedule', `${JSON.stringify(schedule)}: ${p}`);

  const givenTimezone = readString(get('timezone')) ?? CONFIG_DEFAULTS.timezone;
  // One spelling for the schedule and the function: `europe/berlin` is `Europe/Berlin`.
  const canonicalZone = canonicalTimeZone(givenTimezone);
  const timezone = canonicalZone ?? givenTimezone;
  if (canonicalZone === undefined) {
    report(
      'timezone',
      `${JSON.stringify(givenTimezone)} is not an IANA time zone; use e.g. "UTC", "Europe/Berlin" or "Asia/Tokyo"`,
    );
  }

  const orgName = readString(get('orgName'));
  if (orgName === undefined) {
    report('orgName', 'is required: the organization name shown in the subject and title, e.g. -c orgName="Acme"');
  } else if (/[\r\n]/.test(orgName) || orgName.length > 100) {
    report('orgName', 'must be one line of at most 100 characters (it goes into the email subject)');
  }

  const datadogSite = readString(get('datadogSite')) ?? CONFIG_DEFAULTS.datadogSite;
  if (!isDatadogSite(datadogSite)) {
    report(
      'datadogSite',
      `${JSON.stringify(datadogSite)} is not a Datadog site; use one of ${DATADOG_SITES.join(', ')}`,
    );
  }

  const secretName = readString(get('secretName')) ?? CONFIG_DEFAULTS.secretName;
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(secretName) || secretName.startsWith('arn:')) {
    report(
      'secretName',
      `${JSON.stringify(secretName)} is not a Secrets Manager secret name (letters, digits and /_+=.@-, not an ARN), e.g. ${CONFIG_DEFAULTS.secretName}`,
    );
  }

  const emailFrom = readString(get('emailFrom'));
  if (emailFrom !== undefined && !isEmailAddress(emailFrom)) {
    report(
      'emailFrom',
      `${JSON.stringify(emailFrom)} is not an e-mail address; use the SES-verified sender, e.g. audit@example.com`,
    );
  }
  const emailTo = readList(get('emailTo'));
  if (emailTo === undefined) {
    report(
      'emailTo',
      'must be an array of addresses in cdk.json or a comma-separated list with -c emailTo=a@x.com,b@y.com',
    );
  }
  const badRecipients = (emailTo ?? []).filter((address) => !isEmailAddress(address));
  if (badRecipients.length > 0) {
    const listed = badRecipients.map((a) => JSON.stringify(a)).join(', ');
    const verb = badRecipients.length === 1 ? 'is not an e-mail address' : 'are not e-mail addresses';
    report('emailTo', `${listed} ${verb}; list addresses such as security@example.com`);
  }
  const emailOn = (emailTo ?? []).length > 0;
  if (emailOn && emailFrom === undefined) {
    report(
      'emailFrom',
      'is required when emailTo lists recipients: the SES-verified sender, e.g. -c emailFrom=audit@example.com',
    );
  }

  const sesConfigurationSet = readString(get('sesConfigurationSet'));
  if (sesConfigurationSet !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(sesConfigurationSet)) {
    report(
      'sesConfigurationSet',
      `${JSON.stringify(sesConfigurationSet)} is not an SES configuration set name (1-64 of A-Z a-z 0-9 _ -)`,
    );
  }

  const slackChannel = readString(get('slackChannel'));
  if (slackChannel !== undefined && !isSlackChannelId(slackChannel)) {
    report(
      'slackChannel',
      `${JSON.stringify(slackChannel)} is not a Slack channel ID; use the ID (e.g. C0123456789, from the channel's "About" tab), not its #name`,
    );
  }

  if (!emailOn && slackChannel === undefined) {
    report('emailTo', 'no delivery channel: set emailFrom + emailTo (email) and/or slackChannel (Slack)');
  }

  const windowDays = readInteger(get('windowDays'), CONFIG_DEFAULTS.windowDays, 'windowDays', report);
  const baselineDays = readInteger(get('baselineDays'), CONFIG_DEFAULTS.baselineDays, 'baselineDays', report);
  if (baselineDays < windowDays) {
    report(
      'baselineDays',
      `must be at least windowDays (${windowDays}): its last windowDays give the week-over-week change`,
    );
  }
  if (windowDays + baselineDays > MAX_RETENTION_DAYS) {
    report(
      'baselineDays',
      `windowDays + baselineDays is ${windowDays + baselineDays} but Datadog keeps audit events at most ${MAX_RETENTION_DAYS} days; lower baselineDays`,
    );
  }

  const window = (readString(get('window')) ?? CONFIG_DEFAULTS.window) as WindowMode;
  if (!WINDOW_MODES.includes(window)) {
    report(
      'window',
      `${JSON.stringify(window)} is not a window mode; use "calendar" (the full days before the run) or "rolling" (the days ending at the run)`,
    );
  }

  const thresholds = parseThresholds(get('thresholds'));
  for (const p of thresholds.problems) report('thresholds', `${p}; e.g. -c thresholds='{"burstCalls":50}'`);
  const suppress = parseSuppress(get('suppress'));
  for (const p of suppress.problems) {
    report('suppress', `${p}; e.g. -c suppress='[{"kind":"high_volume","user":"bot@example.com"}]'`);
  }

  const alarmEmail = readString(get('alarmEmail'));
  if (alarmEmail !== undefined && !isEmailAddress(alarmEmail)) {
    report('alarmEmail', `${JSON.stringify(alarmEmail)} is not an e-mail address; leave it empty for no subscription`);
  }

  const logRetentionDays = readInteger(
    get('logRetentionDays'),
    CONFIG_DEFAULTS.logRetentionDays,
    'logRetentionDays',
    report,
  );
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    report(
      'logRetentionDays',
      `${logRetentionDays} is not a CloudWatch Logs retention period; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  const logKmsKeyArn = readKmsKeyArn(get('logKmsKeyArn'), 'logKmsKeyArn', report);

  const archiveRetentionDays = readWholeDays(
    get('archiveRetentionDays'),
    CONFIG_DEFAULTS.archiveRetentionDays,
    'archiveRetentionDays',
    'days an archived report is kept; 0 keeps them forever',
    report,
  );
  const archiveKmsKeyArn = readKmsKeyArn(get('archiveKmsKeyArn'), 'archiveKmsKeyArn', report);
  const lockDays = readWholeDays(
    get('archiveObjectLockDays'),
    0,
    'archiveObjectLockDays',
    'days each archived object stays unchangeable (S3 Object Lock, compliance mode); 0 or empty for none',
    report,
  );
  if (lockDays > 0 && archiveRetentionDays > 0 && lockDays > archiveRetentionDays) {
    report(
      'archiveObjectLockDays',
      `${lockDays} is longer than archiveRetentionDays (${archiveRetentionDays}): a locked object cannot expire; lower it or raise the retention`,
    );
  }

  const config: StackConfig = {
    schedule,
    timezone,
    orgName: orgName ?? '',
    datadogSite: datadogSite as DatadogSite,
    secretName,
    ...(emailOn && emailFrom !== undefined ? { emailFrom } : {}),
    emailTo: emailOn ? (emailTo ?? []) : [],
    ...(emailOn && sesConfigurationSet !== undefined ? { sesConfigurationSet } : {}),
    ...(slackChannel !== undefined ? { slackChannel } : {}),
    windowDays,
    baselineDays,
    window,
    thresholds: thresholds.value,
    suppress: suppress.value,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    logRetentionDays,
    ...(logKmsKeyArn !== undefined ? { logKmsKeyArn } : {}),
    archiveRetentionDays,
    ...(archiveKmsKeyArn !== undefined ? { archiveKmsKeyArn } : {}),
    ...(lockDays > 0 ? { archiveObjectLockDays: lockDays } : {}),
  };
  const size = environmentSize(config);
  if (size > MAX_ENVIRONMENT_BYTES - 1024) {
    // 1 KB is left for the variables the stack adds (table name, secret id, Powertools settings).
    report(
      'suppress',
      `emailTo, thresholds and suppress take ${size} bytes of Lambda's 4 KB environment; shorten them`,
    );
  }

  if (problems.length > 0) throw new StackConfigError(problems);
  return config;
}

/** The configuration's part of the function's environment (DESIGN.md "The Lambda handler's contract"). */
export function reportEnvironment(config: StackConfig): Record<string, string> {
  return {
    ORG_NAME: config.orgName,
    TIMEZONE: config.timezone,
    WINDOW_DAYS: String(config.windowDays),
    BASELINE_DAYS: String(config.baselineDays),
    WINDOW: config.window,
    DATADOG_SITE: config.datadogSite,
    SECRET_ID: config.secretName,
    EMAIL_FROM: config.emailFrom ?? '',
    EMAIL_TO: config.emailTo.join(','),
    SES_CONFIGURATION_SET: config.sesConfigurationSet ?? '',
    SLACK_CHANNEL: config.slackChannel ?? '',
    THRESHOLDS: JSON.stringify(config.thresholds),
    SUPPRESS: JSON.stringify(config.suppress),
  };
}

function environmentSize(config: StackConfig): number {
  return Object.entries(reportEnvironment(config)).reduce((n, [k, v]) => n + Buffer.byteLength(k + v), 0);
}

/** An optional KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`). */
function readKmsKeyArn(
  value: unknown,
  key: 'logKmsKeyArn' | 'archiveKmsKeyArn',
  report: (key: ContextKey, message: string) => void,
): string | undefined {
  const arn = readString(value);
  if (arn !== undefined && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(arn)) {
    report(
      key,
      `${JSON.stringify(arn)} is not a KMS key ARN such as arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    );
    return undefined;
  }
  return arn;
}

/** A whole number of days, 0 included (absent or empty: `fallback`). */
function readWholeDays(
  value: unknown,
  fallback: number,
  key: ContextKey,
  meaning: string,
  report: (key: ContextKey, message: string) => void,
): number {
  const text = readString(value);
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(n)) return n;
  report(key, `${JSON.stringify(value)} is not a whole number of days (${meaning})`);
  return fallback;
}

/** A trimmed non-empty string, or undefined for absent/empty (so `-c slackChannel=` turns Slack off). */
function readString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** An array (cdk.json) or a comma-separated string (`-c`); undefined when it is neither. */
function readList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // `-c emailTo='["a@x.com"]'` arrives as JSON text; accept it like the array form.
    if (trimmed.startsWith('[')) {
      try {
        return readList(JSON.parse(trimmed));
      } catch {
        return undefined;
      }
    }
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  return undefined;
}

function readInteger(
  value: unknown,
  fallback: number,
  key: 'windowDays' | 'baselineDays' | 'logRetentionDays',
  report: (key: ContextKey, message: string) => void,
): number {
  const parsed = parsePositiveInteger(value, fallback);
  for (const p of parsed.problems) report(key, `${p}; e.g. -c ${key}=${fallback}`);
  return parsed.value;
}
