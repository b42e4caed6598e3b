/**
 * The reports one deployment sends. Without a `reports` context key there is one, named
 * `default`, defined by the environment exactly as before (its ledger keys and archive prefix
 * keep the org name). With one, the stack writes every report's resolved settings into a JSON
 * document bundled with the function (`REPORTS_FILE`), since Lambda's 4 KB of environment cannot
 * hold dozens of reports; the function validates it at cold start with the rules the stack used
 * at synth (core/settings.ts), naming the report and the key of every problem.
 *
 * Reports that read the same org (secret and site) over the same window share one fetch: see
 * `fetchGroupKey`.
 */
import { reportSlug } from '../archive/report-archive';
import type { AnalysisSettings } from '../core/types';
import { WINDOW_MODES, type WindowMode } from '../core/windows';
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

/** Who a report is about: the members of Datadog Teams (by handle), listed people (e-mail or user id), or both. */
export interface ReportScope {
  readonly teams?: readonly string[];
  readonly people?: readonly string[];
}

/**
 * One report of a deployment, every default filled in: what it reads (org, site, secret, window),
 * how it analyses (AnalysisSettings: zone, thresholds, suppressions, list lengths), and where it
 * goes (email, Slack). The stack and the function both get it from one parser; the pipeline
 * reads it as it is, so a new setting is declared here (or in AnalysisSettings), parsed once, and
 * read where it is used.
 */
export interface ReportDefinition extends AnalysisSettings {
  /** A slug, unique in the deployment: `default` for the report of a deployment without a `reports` list. */
  readonly name: string;
  /** Keys its ledger items (`{key}:{window.to}:{channel}`) and names its archive prefix: the name; `default` keeps the org name. */
  readonly key: string;
  /** EventBridge Scheduler expression of its schedule (the stack's; the function never reads it). */
  readonly schedule: string;
  /** How the window ends (core/windows.ts). */
  readonly windowMode: WindowMode;
  /** Length of the report window in local days. */
  readonly windowDays: number;
  /** Local days of baseline before the window. */
  readonly baselineDays: number;
  /** Name or ARN of the credentials secret of the report's org. */
  readonly secretId: string;
  /** The Datadog site of the org: its API (`api.<site>`) and the deep links. */
  readonly site: DatadogSite;
  /** A base URL that overrides the Datadog API host of `site` (tests, proxies). */
  readonly datadogApiUrl?: string;
  readonly email?: { readonly from: string; readonly to: readonly string[]; readonly configurationSet?: string };
  readonly slack?: { readonly channel: string; readonly apiUrl?: string };
  /** Absent: the whole org. */
  readonly scope?: ReportScope;
}

/** One report in the bundled document: the CDK context keys, resolved (defaults filled in). */
export interface ReportDocumentEntry {
  readonly name: string;
  readonly orgName: string;
  readonly datadogSite: string;
  readonly secretName: string;
  readonly emailFrom?: string;
  readonly emailTo?: readonly string[];
  readonly sesConfigurationSet?: string;
  readonly slackChannel?: string;
  readonly timezone: string;
  readonly window: string;
  readonly windowDays: number;
  readonly baselineDays: number;
  readonly thresholds: unknown;
  readonly suppress: unknown;
  readonly scope?: ReportScope;
}

/** The document the stack bundles with the function (`reports.json`). */
export interface ReportsDocument {
  readonly schema: 1;
  readonly reports: readonly ReportDocumentEntry[];
}

export const REPORT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const DEFAULT_REPORT = 'default';

/** The org a report reads: reports with the same secret and site are one Datadog org. */
export function orgKey(report: Pick<ReportDefinition, 'secretId' | 'site' | 'datadogApiUrl'>): string {
  return `${report.secretId}|${report.site}|${report.datadogApiUrl ?? ''}`;
}

/** Reports with the same key read the same events over the same window: one fetch serves them all. */
export function fetchGroupKey(report: ReportDefinition): string {
  return [orgKey(report), report.timezone, report.windowMode, report.windowDays, report.baselineDays].join('|');
}

/** Validates a scope value; `problem` names the field. Undefined scope (the whole org) is fine. */
export function parseScope(raw: unknown, problem: (message: string) => void): ReportScope | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problem('must be an object such as {"teams": ["sre"]} or {"people": ["ana@example.com"]}');
    return undefined;
  }
  const scope = raw as Record<string, unknown>;
  const out: { teams?: string[]; people?: string[] } = {};
  for (const key of Object.keys(scope)) {
    if (key !== 'teams' && key !== 'people') problem(`has unknown key ${JSON.stringify(key)} (known: teams, people)`);
  }
  for (const key of ['teams', 'people'] as const) {
    const list = scope[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v.trim() !== '')) {
      problem(
        `${key} must be a non-empty list of ${key === 'teams' ? 'team handles' : 'e-mail addresses or user ids'}`,
      );
      continue;
    }
    out[key] = list.map((v: string) => v.trim());
  }
  if (out.teams === undefined && out.people === undefined) {
    problem('must name teams or people (omit it for the whole org)');
    return undefined;
  }
  return out;
}

/**
 * Parses the bundled reports document. Every problem names the report (its position and name)
 * and the key; `apiUrls` (DD_API_URL, SLACK_API_URL: tests only) apply to every report.
 */
export function parseReportsDocument(
  raw: unknown,
  apiUrls: { readonly datadog?: string; readonly slack?: string } = {},
): { reports: ReportDefinition[]; problems: string[] } {
  const problems: string[] = [];
  const doc = raw as Partial<ReportsDocument> | null;
  if (typeof doc !== 'object' || doc === null || doc.schema !== 1 || !Array.isArray(doc.reports)) {
    return { reports: [], problems: ['the reports document must be {"schema": 1, "reports": [...]}'] };
  }
  if (doc.reports.length === 0) problems.push('the reports document lists no report');
  const reports: ReportDefinition[] = [];
  const names = new Set<string>();
  doc.reports.forEach((entry, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<Record<string, unknown>>;
    const label = `reports[${i}]${typeof e.name === 'string' ? ` (${e.name})` : ''}`;
    const problem = (key: string, message: string) => problems.push(`${label} ${key} ${message}`);
    const name = typeof e.name === 'string' ? e.name : '';
    if (!REPORT_NAME.test(name)) problem('name', 'must be a slug: lower-case letters, digits and -, at most 40');
    else if (names.has(name)) problem('name', `is used twice: report names must be unique`);
    names.add(name);
    const org = typeof e.orgName === 'string' ? e.orgName.trim() : '';
    if (org === '' || /[\r\n]/.test(org)) problem('orgName', 'is required: one line, shown in the subject and title');
    const site = e.datadogSite;
    if (!isDatadogSite(site)) problem('datadogSite', `must be one of ${DATADOG_SITES.join(', ')}`);
    const secretId = typeof e.secretName === 'string' ? e.secretName.trim() : '';
    if (secretId === '') problem('secretName', 'is required: the Secrets Manager secret of the org');
    const timezone = canonicalTimeZone(e.timezone);
    if (timezone === undefined) problem('timezone', 'must be an IANA time zone such as Europe/Berlin');
    const window = e.window as WindowMode;
    if (!WINDOW_MODES.includes(window)) problem('window', `must be ${WINDOW_MODES.join(' or ')}`);
    const windowDays = parsePositiveInteger(e.windowDays, 7);
    for (const p of windowDays.problems) problem('windowDays', p);
    const baselineDays = parsePositiveInteger(e.baselineDays, 28);
    for (const p of baselineDays.problems) problem('baselineDays', p);
    const thresholds = parseThresholds(e.thresholds);
    for (const p of thresholds.problems) problem('thresholds', p);
    const suppress = parseSuppress(e.suppress);
    for (const p of suppress.problems) problem('suppress', p);

    let email: ReportDefinition['email'];
    const to = Array.isArray(e.emailTo) ? (e.emailTo as unknown[]) : [];
    if (to.length > 0) {
      if (!to.every(isEmailAddress)) problem('emailTo', 'must be a list of e-mail addresses');
      const from = e.emailFrom;
      if (!isEmailAddress(from)) problem('emailFrom', 'must be the SES-verified sender when emailTo lists recipients');
      const configurationSet = typeof e.sesConfigurationSet === 'string' ? e.sesConfigurationSet : undefined;
      email = {
        from: String(from),
        to: [...new Set(to.map(String))],
        ...(configurationSet ? { configurationSet } : {}),
      };
    }
    let slack: ReportDefinition['slack'];
    if (e.slackChannel !== undefined && e.slackChannel !== '') {
      if (!isSlackChannelId(e.slackChannel)) problem('slackChannel', 'must be a channel ID such as C0123456789');
      slack = { channel: String(e.slackChannel), ...(apiUrls.slack ? { apiUrl: apiUrls.slack } : {}) };
    }
    if (!email && !slack) problem('emailTo', 'no channel: set emailFrom + emailTo and/or slackChannel');
    const scope = parseScope(e.scope, (message) => problem('scope', message));

    reports.push({
      name,
      key: reportKey(name, org),
      org,
      site: (isDatadogSite(site) ? site : 'datadoghq.com') as DatadogSite,
      ...(apiUrls.datadog ? { datadogApiUrl: apiUrls.datadog } : {}),
      secretId,
      schedule: typeof e.schedule === 'string' ? e.schedule : 'cron(0 9 ? * MON *)',
      ...(email ? { email } : {}),
      ...(slack ? { slack } : {}),
      timezone: timezone ?? 'UTC',
      windowDays: windowDays.value,
      baselineDays: baselineDays.value,
      windowMode: WINDOW_MODES.includes(window) ? window : 'calendar',
      topUsers: 5,
      changesLimit: 200,
      thresholds: thresholds.value,
      suppress: suppress.value,
      ...(scope ? { scope } : {}),
    });
  });
  problems.push(...archivePrefixClashes(reports));
  return { reports, problems };
}

/**
 * What keys a report's ledger items and names its archive prefix: its name, except that a report
 * named `default` keeps its org name, as the one report of a deployment without a list is keyed
 * (env.ts), so a deployment that moves to a list keeps that report's history.
 */
export function reportKey(name: string, org: string): string {
  return name === DEFAULT_REPORT && org !== '' ? org : name;
}

/** Each report's archive prefix is the slug of its key: two reports must not share one. */
export function archivePrefixClashes(
  reports: ReadonlyArray<{ readonly name: string; readonly key: string }>,
): string[] {
  const problems: string[] = [];
  const byPrefix = new Map<string, string>();
  for (const r of reports) {
    const prefix = reportSlug(r.key);
    const other = byPrefix.get(prefix);
    if (other !== undefined && other !== r.name) {
      problems.push(
        `reports ${other} and ${r.name} would share the archive prefix reports/${prefix}/ (a report named default is keyed by its org name): rename one`,
      );
    }
    byPrefix.set(prefix, r.name);
  }
  return problems;
}
