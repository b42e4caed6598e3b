/**
 * One report's settings: the context keys that say what a report reads (org, site, secret,
 * schedule, window, thresholds) and where it goes (e-mail, Slack). One function validates them
 * from a lookup, so a value means the same, and is refused with the same message, whether it is
 * set at the top level of the context (the default of every report) or in a `reports` entry.
 * Value rules shared with the handler's cold-start check come from core/settings.ts.
 */

import type { ReportScope } from '../functions/weekly-report/config/report-definitions';
import {
  canonicalTimeZone,
  DATADOG_SITES,
  type DatadogSite,
  isDatadogSite,
  isEmailAddress,
  isSlackChannelId,
  parseSuppress,
  parseThresholds,
} from '../functions/weekly-report/config/values';
import type { SuppressRule, Thresholds } from '../functions/weekly-report/core/types';
import { WINDOW_MODES, type WindowMode } from '../functions/weekly-report/core/windows';
import { readList, readString } from './context-values';
import { SCHEDULE_EXAMPLE, validateScheduleExpression } from './schedule-expression';

/** The settings of one report, in the order their problems are reported. */
export const REPORT_SETTING_KEYS = [
  'schedule',
  'timezone',
  'orgName',
  'datadogSite',
  'secretName',
  'emailFrom',
  'emailTo',
  'sesConfigurationSet',
  'slackChannel',
  'window',
  'thresholds',
  'suppress',
] as const;
export type ReportSettingKey = (typeof REPORT_SETTING_KEYS)[number];

/** The keys of a `reports` entry: its name, the settings it overrides, and who it is about. */
export const REPORT_KEYS = ['name', ...REPORT_SETTING_KEYS, 'scope'] as const;

export const REPORT_DEFAULTS = {
  schedule: SCHEDULE_EXAMPLE,
  timezone: 'UTC',
  datadogSite: 'datadoghq.com',
  secretName: 'ai-activity-audit/credentials',
  window: 'calendar',
} as const;

export interface ReportConfig {
  /** A slug, unique in the deployment; `default` for the one report of a deployment without a `reports` list. */
  readonly name: string;
  /** EventBridge Scheduler expression. @default 'cron(0 9 ? * MON *)' */
  readonly schedule: string;
  /** IANA zone of the schedule and of the report's calendar days, spelled canonically. @default 'UTC' */
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
  /** Undefined when email is off or no set is named. */
  readonly sesConfigurationSet?: string;
  /** Slack channel ID; undefined when Slack is off. */
  readonly slackChannel?: string;
  /**
   * `calendar`: the windowDays full local days before the day the schedule fires; `rolling`:
   * windowDays local days ending at the scheduled time. @default 'calendar'
   */
  readonly window: WindowMode;
  readonly thresholds: Thresholds;
  readonly suppress: readonly SuppressRule[];
  /** Teams and/or people the report is about; undefined for the whole org. */
  readonly scope?: ReportScope;
}

/**
 * Reads and validates one report's settings through `get`, filling the documented defaults.
 * Every problem goes to `problem` with its key; the value returned is then only good for more
 * checks, never for a stack. With `complete` false (the top-level defaults of a `reports` list)
 * only the values given are checked: what a report needs as a whole (an org name, a channel, a
 * sender for its recipients) is checked on each report, which may set it itself.
 */
export function parseReportSettings(
  get: (key: ReportSettingKey) => unknown,
  problem: (key: ReportSettingKey, message: string) => void,
  complete = true,
): Omit<ReportConfig, 'name' | 'scope'> {
  const schedule = readString(get('schedule')) ?? REPORT_DEFAULTS.schedule;
  for (const p of validateScheduleExpression(schedule)) problem('schedule', `${JSON.stringify(schedule)}: ${p}`);

  const givenTimezone = readString(get('timezone')) ?? REPORT_DEFAULTS.timezone;
  // One spelling for the schedule and the function: `europe/berlin` is `Europe/Berlin`.
  const canonicalZone = canonicalTimeZone(givenTimezone);
  const timezone = canonicalZone ?? givenTimezone;
  if (canonicalZone === undefined) {
    problem(
      'timezone',
      `${JSON.stringify(givenTimezone)} is not an IANA time zone; use e.g. "UTC", "Europe/Berlin" or "Asia/Tokyo"`,
    );
  }

  const orgName = readString(get('orgName'));
  if (orgName === undefined) {
    if (complete)
      problem('orgName', 'is required: the organization name shown in the subject and title, e.g. -c orgName="Acme"');
  } else if (/[\r\n]/.test(orgName) || orgName.length > 100) {
    problem('orgName', 'must be one line of at most 100 characters (it goes into the email subject)');
  }

  const datadogSite = readString(get('datadogSite')) ?? REPORT_DEFAULTS.datadogSite;
  if (!isDatadogSite(datadogSite)) {
    problem(
      'datadogSite',
      `${JSON.stringify(datadogSite)} is not a Datadog site; use one of ${DATADOG_SITES.join(', ')}`,
    );
  }

  const secretName = readString(get('secretName')) ?? REPORT_DEFAULTS.secretName;
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(secretName) || secretName.startsWith('arn:')) {
    problem(
      'secretName',
      `${JSON.stringify(secretName)} is not a Secrets Manager secret name (letters, digits and /_+=.@-, not an ARN), e.g. ${REPORT_DEFAULTS.secretName}`,
    );
  }

  const emailFrom = readString(get('emailFrom'));
  if (emailFrom !== undefined && !isEmailAddress(emailFrom)) {
    problem(
      'emailFrom',
      `${JSON.stringify(emailFrom)} is not an e-mail address; use the SES-verified sender, e.g. audit@example.com`,
    );
  }
  const emailTo = readList(get('emailTo'));
  if (emailTo === undefined) {
    problem(
      'emailTo',
      'must be an array of addresses in cdk.json or a comma-separated list with -c emailTo=a@x.com,b@y.com',
    );
  }
  const badRecipients = (emailTo ?? []).filter((address) => !isEmailAddress(address));
  if (badRecipients.length > 0) {
    const listed = badRecipients.map((a) => JSON.stringify(a)).join(', ');
    const verb = badRecipients.length === 1 ? 'is not an e-mail address' : 'are not e-mail addresses';
    problem('emailTo', `${listed} ${verb}; list addresses such as security@example.com`);
  }
  const emailOn = (emailTo ?? []).length > 0;
  if (complete && emailOn && emailFrom === undefined) {
    problem(
      'emailFrom',
      'is required when emailTo lists recipients: the SES-verified sender, e.g. -c emailFrom=audit@example.com',
    );
  }

  const sesConfigurationSet = readString(get('sesConfigurationSet'));
  if (sesConfigurationSet !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(sesConfigurationSet)) {
    problem(
      'sesConfigurationSet',
      `${JSON.stringify(sesConfigurationSet)} is not an SES configuration set name (1-64 of A-Z a-z 0-9 _ -)`,
    );
  }

  const slackChannel = readString(get('slackChannel'));
  if (slackChannel !== undefined && !isSlackChannelId(slackChannel)) {
    problem(
      'slackChannel',
      `${JSON.stringify(slackChannel)} is not a Slack channel ID; use the ID (e.g. C0123456789, from the channel's "About" tab), not its #name`,
    );
  }

  if (complete && !emailOn && slackChannel === undefined) {
    problem('emailTo', 'no delivery channel: set emailFrom + emailTo (email) and/or slackChannel (Slack)');
  }

  const window = (readString(get('window')) ?? REPORT_DEFAULTS.window) as WindowMode;
  if (!WINDOW_MODES.includes(window)) {
    problem(
      'window',
      `${JSON.stringify(window)} is not a window mode; use "calendar" (the full days before the run) or "rolling" (the days ending at the run)`,
    );
  }

  const thresholds = parseThresholds(get('thresholds'));
  for (const p of thresholds.problems) problem('thresholds', `${p}; e.g. -c thresholds='{"burstCalls":50}'`);
  const suppress = parseSuppress(get('suppress'));
  for (const p of suppress.problems) {
    problem('suppress', `${p}; e.g. -c suppress='[{"kind":"high_volume","user":"bot@example.com"}]'`);
  }

  return {
    schedule,
    timezone,
    orgName: orgName ?? '',
    datadogSite: datadogSite as DatadogSite,
    secretName,
    ...(emailOn && emailFrom !== undefined ? { emailFrom } : {}),
    emailTo: emailOn ? (emailTo ?? []) : [],
    ...(emailOn && sesConfigurationSet !== undefined ? { sesConfigurationSet } : {}),
    ...(slackChannel !== undefined ? { slackChannel } : {}),
    window,
    thresholds: thresholds.value,
    suppress: suppress.value,
  };
}
