/**
 * The table of a report's settings, the one place a per-report setting is declared: for each key
 * (a CDK context key, and the same key in a reports document), how its value is read and checked,
 * its default, where it may be written, and where it lands in the ReportDefinition. The parser
 * (parse-reports.ts) reads every document with it; the stack's known context keys, the keys a
 * `reports` entry takes and the document the stack bundles all derive from it. A new setting is
 * one entry here, its field in ReportDefinition (or the core's AnalysisSettings), and the code
 * that reads that field.
 */
import { ACTIVITIES, ANALYSIS_DEFAULTS } from '../core/types';
import { WINDOW_MODES } from '../core/windows';
import { parseScope, REPORT_DEFAULTS, type ReportDefinition, TEAMS_CHANNEL_NAME } from './report-definitions';
import { validateScheduleExpression } from './schedule-expression';
import {
  canonicalTimeZone,
  DATADOG_SITES,
  type DatadogSite,
  isDatadogSite,
  isEmailAddress,
  isSlackChannelId,
  parseExceptions,
  parsePositiveInteger,
  parseSuppress,
  parseThresholds,
  quote,
  readList,
  readString,
} from './values';

type Email = NonNullable<ReportDefinition['email']>;
type Slack = NonNullable<ReportDefinition['slack']>;
type MsTeams = NonNullable<ReportDefinition['msTeams']>;

/**
 * Where a setting's value can land: a field of the definition, or (dotted) a field of its e-mail,
 * Slack or Microsoft Teams delivery, which the definition has only when DELIVERIES says it is on.
 */
export interface SettingFields extends Omit<ReportDefinition, 'name' | 'key' | 'email' | 'slack' | 'msTeams'> {
  readonly 'email.from': Email['from'];
  readonly 'email.to': Email['to'];
  readonly 'email.configurationSet': NonNullable<Email['configurationSet']>;
  readonly 'slack.channel': Slack['channel'];
  readonly 'msTeams.channel': MsTeams['channel'];
}
export type SettingField = keyof SettingFields;

/** A delivery is on when this field of it has a value: e-mail when it has recipients, Slack and Teams when they have a channel. */
export const DELIVERIES = { email: 'to', slack: 'channel', msTeams: 'channel' } as const;

/** What a reader may know besides the value: when it is read (epoch ms). */
export interface ReadContext {
  readonly now: number;
}

export interface Read<T> {
  /** The value (when there are problems, good only for further checks); undefined when absent: the default applies. */
  readonly value: T | undefined;
  /** Each says what is wrong and what to write instead; empty when the value is fine. */
  readonly problems: readonly string[];
}

export interface ReportSetting<F extends SettingField = SettingField> {
  /** Where the value lands in the definition. */
  readonly field: F;
  /** The value when the key is absent or empty; none: the field stays unset, or `required` says why it may not. */
  readonly default?: SettingFields[F];
  /**
   * Reads a value given as typed JSON (cdk.json, a reports document) or as its text (`-c`, a
   * variable). `context.now` is when it is read (synth, or the function's cold start), for values
   * checked against the date (an exception's `expires`).
   */
  readonly read: (raw: unknown, context: ReadContext) => Read<SettingFields[F]>;
  /**
   * Where the key may be written: anywhere (the defaults and every report) when absent;
   * `deployment`: in the defaults only, one value for every report; `report`: in a report only.
   */
  readonly only?: 'deployment' | 'report';
  /** A whole report must have a value: the problem when it has none. */
  readonly required?: string;
}

/** Types each entry of the table by the field it fills. */
function setting<F extends SettingField>(definition: ReportSetting<F>): ReportSetting<F> {
  return definition;
}

const ok = <T>(value: T): Read<T> => ({ value, problems: [] });
/** A value with a problem, kept for further checks (a bad channel still counts as a channel). */
const bad = <T>(value: T, problem: string): Read<T> => ({ value, problems: [problem] });
/** A refused value: the default stands in for further checks. */
const refuse = (problem: string): Read<never> => ({ value: undefined, problems: [problem] });

/** A text value: a string or a number, trimmed; absent or empty is undefined. Anything else is refused, naming `example`. */
function fromText<T>(example: string, parse: (text: string) => Read<T>): (raw: unknown) => Read<T> {
  return (raw) => {
    if (raw !== undefined && raw !== null && typeof raw !== 'string' && typeof raw !== 'number') {
      return refuse(`must be text such as ${JSON.stringify(example)} (got ${quote(raw)})`);
    }
    const text = readString(raw);
    return text === undefined ? { value: undefined, problems: [] } : parse(text);
  };
}

/** A number of days (a positive integer, or its text). */
function days(key: string, fallback: number): (raw: unknown) => Read<number> {
  return (raw) => {
    if (raw === undefined || raw === null || raw === '') return { value: undefined, problems: [] };
    const parsed = parsePositiveInteger(raw, fallback);
    if (parsed.problems.length === 0) return ok(parsed.value);
    return { value: undefined, problems: parsed.problems.map((p) => `${p}; e.g. -c ${key}=${fallback}`) };
  };
}

const DEFAULT_SITE: DatadogSite = isDatadogSite(ANALYSIS_DEFAULTS.site) ? ANALYSIS_DEFAULTS.site : DATADOG_SITES[0];

/** Datadog keeps audit events for at most 90 days, so older windows come back empty. */
const MAX_RETENTION_DAYS = 90;

/** Every setting of a report, in the order their problems are reported. */
/** A Secrets Manager secret's ARN, complete (with the 6-character suffix) or partial. */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

export const REPORT_SETTINGS = {
  schedule: setting({
    field: 'schedule',
    default: REPORT_DEFAULTS.schedule,
    read: fromText(REPORT_DEFAULTS.schedule, (schedule) => ({
      value: schedule,
      problems: validateScheduleExpression(schedule).map((p) => `${quote(schedule)}: ${p}`),
    })),
  }),
  timezone: setting({
    field: 'timezone',
    default: ANALYSIS_DEFAULTS.timezone,
    // One spelling for the schedule and the function: `europe/berlin` is `Europe/Berlin`.
    read: fromText('Europe/Berlin', (zone) => {
      const spelled = canonicalTimeZone(zone);
      return spelled !== undefined
        ? ok(spelled)
        : bad(zone, `${quote(zone)} is not an IANA time zone; use e.g. "UTC", "Europe/Berlin" or "Asia/Tokyo"`);
    }),
  }),
  orgName: setting({
    field: 'org',
    required: 'is required: the organization name shown in the subject and title, e.g. -c orgName="Acme"',
    read: fromText('Acme', (org) =>
      /[\r\n]/.test(org) || org.length > 100
        ? bad(org, 'must be one line of at most 100 characters (it goes into the email subject)')
        : ok(org),
    ),
  }),
  datadogSite: setting({
    field: 'site',
    default: DEFAULT_SITE,
    read: fromText(DEFAULT_SITE, (site) =>
      isDatadogSite(site)
        ? ok(site)
        : refuse(`${quote(site)} is not a Datadog site; use one of ${DATADOG_SITES.join(', ')}`),
    ),
  }),
  secretName: setting({
    field: 'secretId',
    default: REPORT_DEFAULTS.secretName,
    read: fromText(REPORT_DEFAULTS.secretName, (name) =>
      (/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name) && !name.startsWith('arn:')) || SECRET_ARN.test(name)
        ? ok(name)
        : bad(
            name,
            `${quote(name)} is not a Secrets Manager secret name (letters, digits and /_+=.@-) or ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), e.g. ${REPORT_DEFAULTS.secretName}`,
          ),
    ),
  }),
  emailFrom: setting({
    field: 'email.from',
    read: fromText('audit@example.com', (from) =>
      isEmailAddress(from)
        ? ok(from)
        : bad(from, `${quote(from)} is not an e-mail address; use the SES-verified sender, e.g. audit@example.com`),
    ),
  }),
  emailTo: setting({
    field: 'email.to',
    default: [],
    read: (raw) => {
      const list = readList(raw);
      if (list === undefined) {
        return refuse(
          'must be an array of addresses in cdk.json or a comma-separated list with -c emailTo=a@x.com,b@y.com',
        );
      }
      const to = [...new Set(list)];
      const wrong = to.filter((address) => !isEmailAddress(address));
      if (wrong.length === 0) return ok(to);
      const verb = wrong.length === 1 ? 'is not an e-mail address' : 'are not e-mail addresses';
      return bad(to, `${wrong.map(quote).join(', ')} ${verb}; list addresses such as security@example.com`);
    },
  }),
  sesConfigurationSet: setting({
    field: 'email.configurationSet',
    read: fromText('audit', (set) =>
      /^[A-Za-z0-9_-]{1,64}$/.test(set)
        ? ok(set)
        : bad(set, `${quote(set)} is not an SES configuration set name (1-64 of A-Z a-z 0-9 _ -)`),
    ),
  }),
  slackChannel: setting({
    field: 'slack.channel',
    read: fromText('C0123456789', (channel) =>
      isSlackChannelId(channel)
        ? ok(channel)
        : bad(
            channel,
            `${quote(channel)} is not a Slack channel ID; use the ID (e.g. C0123456789, from the channel's "About" tab), not its #name`,
          ),
    ),
  }),
  teamsChannel: setting({
    field: 'msTeams.channel',
    // The name of the channel's workflow webhook in the credentials secret (`teamsWebhooks`): the URL is a credential, never configuration.
    read: fromText('security', (channel) =>
      TEAMS_CHANNEL_NAME.test(channel)
        ? ok(channel)
        : /^https?:/i.test(channel)
          ? refuse(
              'must name the Teams channel, not hold its webhook URL: the URL is a credential and goes into the credentials secret as {"teamsWebhooks": {"security": "https://…"}}, with teamsChannel "security" here (docs/teams.md)',
            )
          : bad(
              channel,
              `${quote(channel)} is not a Teams channel name: 1-64 of letters, digits, _ and -, the key of its webhook in the credentials secret's teamsWebhooks (docs/teams.md)`,
            ),
    ),
  }),
  window: setting({
    field: 'windowMode',
    default: REPORT_DEFAULTS.window,
    read: fromText(REPORT_DEFAULTS.window, (mode) => {
      const known = WINDOW_MODES.find((m) => m === mode);
      return known !== undefined
        ? ok(known)
        : refuse(
            `${quote(mode)} is not a window mode; use "calendar" (the full days before the run) or "rolling" (the days ending at the run)`,
          );
    }),
  }),
  windowDays: setting({
    field: 'windowDays',
    default: REPORT_DEFAULTS.windowDays,
    only: 'deployment',
    read: days('windowDays', REPORT_DEFAULTS.windowDays),
  }),
  baselineDays: setting({
    field: 'baselineDays',
    default: REPORT_DEFAULTS.baselineDays,
    only: 'deployment',
    read: days('baselineDays', REPORT_DEFAULTS.baselineDays),
  }),
  thresholds: setting({
    field: 'thresholds',
    default: ANALYSIS_DEFAULTS.thresholds,
    read: (raw) => {
      const parsed = parseThresholds(raw);
      return {
        value: parsed.value,
        problems: parsed.problems.map((p) => `${p}; e.g. -c thresholds='{"burstCalls":50}'`),
      };
    },
  }),
  suppress: setting({
    field: 'suppress',
    default: ANALYSIS_DEFAULTS.suppress,
    read: (raw) => {
      const parsed = parseSuppress(raw);
      return {
        value: parsed.value,
        problems: parsed.problems.map(
          (p) => `${p}; e.g. -c suppress='[{"kind":"high_volume","user":"bot@example.com"}]'`,
        ),
      };
    },
  }),
  exceptions: setting({
    field: 'exceptions',
    default: ANALYSIS_DEFAULTS.exceptions,
    read: (raw, { now }) => {
      const parsed = parseExceptions(raw, now);
      return {
        value: parsed.value,
        problems: parsed.problems.map(
          (p) =>
            `${p}; e.g. -c exceptions='[{"kind":"destructive_action","user":"dana@example.com","owner":"secops@example.com","reason":"monitor clean-up","expires":"2026-12-31"}]'`,
        ),
      };
    },
  }),
  activity: setting({
    field: 'activity',
    default: ANALYSIS_DEFAULTS.activity,
    read: fromText(ANALYSIS_DEFAULTS.activity, (activity) => {
      const known = ACTIVITIES.find((a) => a === activity);
      return known !== undefined
        ? ok(known)
        : refuse(
            `${quote(activity)} is not an activity; use "all" (MCP tool calls, actions through the MCP server and Datadog AI agents, docs/ai-activity.md) or "mcp" (the seed's MCP tool calls alone)`,
          );
    }),
  }),
  scope: setting({
    field: 'scope',
    only: 'report',
    read: (raw) => {
      const problems: string[] = [];
      const value = parseScope(raw, (message) => problems.push(message));
      return { value, problems };
    },
  }),
} as const satisfies Record<string, ReportSetting>;

export type SettingKey = keyof typeof REPORT_SETTINGS;
/** A setting's value once read, the default filled in. */
export type SettingValue<K extends SettingKey> = SettingFields[(typeof REPORT_SETTINGS)[K]['field']];
export type SettingValues = { readonly [K in SettingKey]: SettingValue<K> | undefined };

export const SETTING_KEYS = Object.keys(REPORT_SETTINGS) as SettingKey[];
/** The keys the defaults take (at synth: the top-level context keys of a report). */
export const DEFAULTS_KEYS = SETTING_KEYS.filter((key) => REPORT_SETTINGS[key].only !== 'report');
/** The keys a report's entry takes: its name and the settings it may override. */
export const ENTRY_KEYS = ['name', ...SETTING_KEYS.filter((key) => REPORT_SETTINGS[key].only !== 'deployment')];
/** The settings one value of which holds for every report. */
export const DEPLOYMENT_SETTING_KEYS = SETTING_KEYS.filter((key) => REPORT_SETTINGS[key].only === 'deployment');

/** A check that reads several settings; its problem names `key`. */
export interface ReportRule {
  readonly key: SettingKey;
  /** Checked on each whole report only, not on the defaults alone (a report may complete them). */
  readonly wholeReport?: boolean;
  readonly check: (values: SettingValues) => string | undefined;
}

/** The checks across settings, after the settings' own. */
export const REPORT_RULES: readonly ReportRule[] = [
  {
    key: 'emailFrom',
    wholeReport: true,
    check: (v) =>
      (v.emailTo ?? []).length > 0 && v.emailFrom === undefined
        ? 'is required when emailTo lists recipients: the SES-verified sender, e.g. -c emailFrom=audit@example.com'
        : undefined,
  },
  {
    key: 'emailTo',
    wholeReport: true,
    check: (v) =>
      (v.emailTo ?? []).length === 0 && v.slackChannel === undefined && v.teamsChannel === undefined
        ? 'no delivery channel: set emailFrom + emailTo (email), slackChannel (Slack) and/or teamsChannel (Microsoft Teams)'
        : undefined,
  },
  {
    key: 'baselineDays',
    check: ({ windowDays = REPORT_DEFAULTS.windowDays, baselineDays = REPORT_DEFAULTS.baselineDays }) =>
      baselineDays < windowDays
        ? `must be at least windowDays (${windowDays}): its last windowDays give the week-over-week change`
        : undefined,
  },
  {
    key: 'baselineDays',
    check: ({ windowDays = REPORT_DEFAULTS.windowDays, baselineDays = REPORT_DEFAULTS.baselineDays }) =>
      windowDays + baselineDays > MAX_RETENTION_DAYS
        ? `windowDays + baselineDays is ${windowDays + baselineDays} but Datadog keeps audit events at most ${MAX_RETENTION_DAYS} days; lower baselineDays`
        : undefined,
  },
];
