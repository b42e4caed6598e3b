/**
 * The stack's configuration: reads every CDK context key of DESIGN.md ("Configuration"), checks
 * it, and throws one StackConfigError that lists every problem with its key and the fix. The
 * reports are a reports document built from the context (the top-level report keys are its
 * defaults, the `reports` list its reports, or one report `default` without a list), checked by
 * the parser the function runs at cold start (config/parse-reports.ts) and bundled with the
 * function as it is. The deployment's own keys (alarms, logs, archive) are checked here.
 */

import { parseReports, problemPath, readReportsValue } from '../functions/weekly-report/config/parse-reports';
import {
  DEFAULT_REPORT,
  type ReportDefinition,
  type ReportsDocument,
} from '../functions/weekly-report/config/report-definitions';
import { DEFAULTS_KEYS } from '../functions/weekly-report/config/report-settings';
import { isEmailAddress, parsePositiveInteger, readString } from '../functions/weekly-report/config/values';
import { unknownContextKeys } from './context-keys';

export interface StackConfig {
  /** The reports the deployment sends: without a `reports` key, one named `default` from the top-level keys. */
  readonly reports: readonly ReportDefinition[];
  /** The document they were parsed from, bundled with the function as REPORTS_FILE_NAME. */
  readonly reportsDocument: ReportsDocument;
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

/** The deployment's own context keys, beside the reports' (which a `reports` entry cannot set either). */
export const DEPLOYMENT_KEYS = [
  'alarmEmail',
  'logRetentionDays',
  'logKmsKeyArn',
  'archiveRetentionDays',
  'archiveKmsKeyArn',
  'archiveObjectLockDays',
] as const;
type DeploymentKey = (typeof DEPLOYMENT_KEYS)[number];

/** The context keys this app reads: every report setting (at the top level, the default of every report), the deployment's own, and the list. */
export const CONTEXT_KEYS: readonly string[] = [...DEFAULTS_KEYS, ...DEPLOYMENT_KEYS, 'reports'];

/** The defaults of the deployment's own keys (the reports' are in config/report-definitions.ts and core/types.ts). */
const DEPLOYMENT_DEFAULTS = {
  logRetentionDays: 365,
  archiveRetentionDays: 400,
} as const;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

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
  const report = (key: DeploymentKey | 'reports', message: string) => problems.push({ key, message });

  const { document, listed } = reportsDocumentOf(get);
  const parsed = parseReports(document, { deploymentKeys: [...DEPLOYMENT_KEYS, 'reports'] });
  if (!parsed.ok) {
    for (const p of parsed.problems) {
      // Without a list, the one report is the top-level keys: its problems are theirs.
      const key = !listed && typeof p.in === 'object' ? p.key : problemPath(p);
      problems.push({ key, message: p.message });
    }
  }

  const alarmEmail = readString(get('alarmEmail'));
  if (alarmEmail !== undefined && !isEmailAddress(alarmEmail)) {
    report('alarmEmail', `${JSON.stringify(alarmEmail)} is not an e-mail address; leave it empty for no subscription`);
  }

  const logRetention = parsePositiveInteger(get('logRetentionDays'), DEPLOYMENT_DEFAULTS.logRetentionDays);
  for (const p of logRetention.problems) {
    report('logRetentionDays', `${p}; e.g. -c logRetentionDays=${DEPLOYMENT_DEFAULTS.logRetentionDays}`);
  }
  const logRetentionDays = logRetention.value;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    report(
      'logRetentionDays',
      `${logRetentionDays} is not a CloudWatch Logs retention period; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  const logKmsKeyArn = readKmsKeyArn(get('logKmsKeyArn'), 'logKmsKeyArn', report);

  const archiveRetentionDays = readWholeDays(
    get('archiveRetentionDays'),
    DEPLOYMENT_DEFAULTS.archiveRetentionDays,
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

  if (problems.length > 0 || !parsed.ok) throw new StackConfigError(problems);
  return {
    reports: parsed.reports,
    reportsDocument: document,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    logRetentionDays,
    ...(logKmsKeyArn !== undefined ? { logKmsKeyArn } : {}),
    archiveRetentionDays,
    ...(archiveKmsKeyArn !== undefined ? { archiveKmsKeyArn } : {}),
    ...(lockDays > 0 ? { archiveObjectLockDays: lockDays } : {}),
  };
}

/**
 * The reports document of a context: the top-level report keys that are set, as given, are its
 * defaults; its reports are the `reports` list, or one report `default` when there is none (a
 * value that is no list is passed on for the parser to name).
 */
function reportsDocumentOf(get: (key: string) => unknown): { document: ReportsDocument; listed: boolean } {
  const defaults: Record<string, unknown> = {};
  for (const key of DEFAULTS_KEYS) {
    const value = get(key);
    if (value !== undefined) defaults[key] = value;
  }
  const value = get('reports');
  const list = readReportsValue(value);
  const reports = list.kind === 'list' ? list.entries : list.kind === 'none' ? [{ name: DEFAULT_REPORT }] : value;
  return { document: { schema: 1, defaults, reports }, listed: list.kind !== 'none' };
}

/** An optional KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`). */
function readKmsKeyArn(
  value: unknown,
  key: 'logKmsKeyArn' | 'archiveKmsKeyArn',
  report: (key: DeploymentKey, message: string) => void,
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
  key: DeploymentKey,
  meaning: string,
  report: (key: DeploymentKey, message: string) => void,
): number {
  const text = readString(value);
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(n)) return n;
  report(key, `${JSON.stringify(value)} is not a whole number of days (${meaning})`);
  return fallback;
}
