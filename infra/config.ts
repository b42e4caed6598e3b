/**
 * The stack's configuration: reads every CDK context key of DESIGN.md ("Configuration"), checks
 * it, and throws one StackConfigError that lists every problem with its key and the fix. A
 * report's own keys are checked in report-settings.ts; the deployment's (windows, logs, alarms,
 * archive) here. Value rules shared with the handler's cold-start check come from core/settings.ts.
 */

import {
  archivePrefixClashes,
  DEFAULT_REPORT,
  type ReportsDocument,
  reportKey,
} from '../functions/weekly-report/config/report-definitions';
import { isEmailAddress, parsePositiveInteger } from '../functions/weekly-report/config/values';
import { encodeBundledFile, MAX_ENCODED_FILE_BYTES } from './bundled-files';
import { unknownContextKeys } from './context-keys';
import { readString } from './context-values';
import { parseReportSettings, REPORT_DEFAULTS, REPORT_SETTING_KEYS, type ReportConfig } from './report-settings';
import { parseReportEntries, readReportsValue } from './reports-list';

export interface StackConfig {
  /** The reports the deployment sends: without a `reports` key, one named `default` from the top-level keys. */
  readonly reports: readonly ReportConfig[];
  /**
   * True when the `reports` key lists the reports: the top-level report keys are then only their
   * defaults. False for a deployment as it was before the list (one report, `default`).
   */
  readonly reportsListed: boolean;
  /** @default 7 */
  readonly windowDays: number;
  /** @default 28 */
  readonly baselineDays: number;
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

/** The context keys this app reads: every report setting (at the top level, the default of every report), then the deployment's own. */
export const CONTEXT_KEYS = [
  ...REPORT_SETTING_KEYS,
  'windowDays',
  'baselineDays',
  'alarmEmail',
  'logRetentionDays',
  'logKmsKeyArn',
  'archiveRetentionDays',
  'archiveKmsKeyArn',
  'archiveObjectLockDays',
  'reports',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

export const CONFIG_DEFAULTS = {
  ...REPORT_DEFAULTS,
  windowDays: 7,
  baselineDays: 28,
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

/** The reports document's file in the bundle, next to the handler; the function reads REPORTS_FILE. */
export const REPORTS_FILE_NAME = 'reports.json';

export interface ConfigProblem {
  /** A key the app reads, an unknown key that was given (see context-keys.ts), or a report's key. */
  readonly key: string;
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

  // With a list (even one that cannot be read), the top-level keys are defaults that each report
  // completes: an org name, a channel and a sender are required of the reports, not of them.
  const reportsValue = readReportsValue(get('reports'));
  const listed = reportsValue.kind !== 'none';
  const reportedAtTopLevel = new Set<string>();
  const defaults = parseReportSettings(
    get,
    (key, message) => {
      reportedAtTopLevel.add(`${key}: ${message}`);
      report(key, message);
    },
    !listed,
  );

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

  if (reportsValue.kind === 'invalid') report('reports', reportsValue.message);
  const reports =
    reportsValue.kind === 'list'
      ? parseReportEntries({
          entries: reportsValue.entries,
          inherited: get,
          reportedAtTopLevel,
          deploymentKeys: CONTEXT_KEYS,
          problem: (key, message) => problems.push({ key, message }),
        })
      : [{ name: DEFAULT_REPORT, ...defaults }];

  const config: StackConfig = {
    reports,
    reportsListed: reportsValue.kind === 'list',
    windowDays,
    baselineDays,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    logRetentionDays,
    ...(logKmsKeyArn !== undefined ? { logKmsKeyArn } : {}),
    archiveRetentionDays,
    ...(archiveKmsKeyArn !== undefined ? { archiveKmsKeyArn } : {}),
    ...(lockDays > 0 ? { archiveObjectLockDays: lockDays } : {}),
  };
  // With a list, the reports are in the bundled document and the environment holds only its name.
  const size = environmentSize(config);
  if (size > MAX_ENVIRONMENT_BYTES - 1024) {
    // 1 KB is left for the variables the stack adds (table name, secret id, Powertools settings).
    report(
      'suppress',
      `emailTo, thresholds and suppress take ${size} bytes of Lambda's 4 KB environment; shorten them`,
    );
  }

  if (config.reportsListed) {
    const keyed = config.reports.map((r) => ({ name: r.name, key: reportKey(r.name, r.orgName) }));
    for (const clash of archivePrefixClashes(keyed)) report('reports', clash);
    const encoded = encodeBundledFile(JSON.stringify(buildReportsDocument(config))).length;
    if (encoded > MAX_ENCODED_FILE_BYTES) {
      report(
        'reports',
        `the ${config.reports.length} reports take ${encoded} bytes gzipped and base64-encoded, more than the ${MAX_ENCODED_FILE_BYTES} the bundling command can carry; shorten their suppress lists or split them over two deployments`,
      );
    }
  }

  if (problems.length > 0) throw new StackConfigError(problems);
  return config;
}

/**
 * The document bundled with the function when a `reports` list is given (report-definitions.ts,
 * schema 1): each report with everything it inherited filled in, so the function needs no
 * defaults of its own, and the function validates it at cold start with parseReportsDocument.
 */
export function buildReportsDocument(config: StackConfig): ReportsDocument {
  return {
    schema: 1,
    reports: config.reports.map((report) => ({
      name: report.name,
      orgName: report.orgName,
      datadogSite: report.datadogSite,
      secretName: report.secretName,
      ...(report.emailFrom !== undefined && report.emailTo.length > 0
        ? {
            emailFrom: report.emailFrom,
            emailTo: report.emailTo,
            ...(report.sesConfigurationSet !== undefined ? { sesConfigurationSet: report.sesConfigurationSet } : {}),
          }
        : {}),
      ...(report.slackChannel !== undefined ? { slackChannel: report.slackChannel } : {}),
      timezone: report.timezone,
      window: report.window,
      windowDays: config.windowDays,
      baselineDays: config.baselineDays,
      thresholds: report.thresholds,
      suppress: report.suppress,
      ...(report.scope !== undefined ? { scope: report.scope } : {}),
    })),
  };
}

/**
 * The configuration's part of the function's environment (DESIGN.md "The Lambda handler's
 * contract"): the one report's settings, or with a `reports` list only where its document is
 * (Lambda's environment holds 4 KB in all, too little for dozens of reports).
 */
export function reportEnvironment(config: StackConfig): Record<string, string> {
  const [report] = config.reports;
  if (config.reportsListed || report === undefined) return { REPORTS_FILE: REPORTS_FILE_NAME };
  return {
    ORG_NAME: report.orgName,
    TIMEZONE: report.timezone,
    WINDOW_DAYS: String(config.windowDays),
    BASELINE_DAYS: String(config.baselineDays),
    WINDOW: report.window,
    DATADOG_SITE: report.datadogSite,
    SECRET_ID: report.secretName,
    EMAIL_FROM: report.emailFrom ?? '',
    EMAIL_TO: report.emailTo.join(','),
    SES_CONFIGURATION_SET: report.sesConfigurationSet ?? '',
    SLACK_CHANNEL: report.slackChannel ?? '',
    THRESHOLDS: JSON.stringify(report.thresholds),
    SUPPRESS: JSON.stringify(report.suppress),
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
