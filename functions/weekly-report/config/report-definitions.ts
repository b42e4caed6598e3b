/**
 * The reports one deployment sends, as the pipeline reads them (ReportDefinition), and the shape
 * of the document they are defined by (ReportsDocument). One parser (parse-reports.ts) turns a
 * document into definitions, at synth and at cold start. Without a `reports` context key there
 * is one report, named `default`, whose ledger keys and archive prefix keep the org name.
 *
 * Reports that read the same org (secret and site) over the same window share one fetch: see
 * `fetchGroupKey`.
 */
import { reportSlug } from '../archive/report-archive';
import { ANALYSIS_DEFAULTS, type AnalysisSettings } from '../core/types';
import type { WindowMode } from '../core/windows';
import type { DatadogSite } from './values';

/** Who a report is about: the members of Datadog Teams (by handle), listed people (e-mail or user id), or both. */
export interface ReportScope {
  readonly teams?: readonly string[];
  readonly people?: readonly string[];
}

/**
 * One report of a deployment, every default filled in: what it reads (org, site, secret, window),
 * how it analyses (AnalysisSettings: zone, thresholds, suppressions, list lengths), and where it
 * goes (email, Slack, Microsoft Teams). The stack and the function both get it from one parser; the pipeline
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
  /**
   * Microsoft Teams: the channel's name (`teamsChannel`), the key of its workflow webhook's URL in
   * the credentials secret's `teamsWebhooks` (the URL is a credential, never configuration).
   */
  readonly msTeams?: { readonly channel: string };
  /** Absent: the whole org. */
  readonly scope?: ReportScope;
}

/**
 * One entry of a reports document: a name, the report settings it overrides (context keys,
 * report-settings.ts), and an optional `scope`. Values are typed JSON or their text.
 */
export interface ReportEntry {
  readonly name?: unknown;
  readonly [key: string]: unknown;
}
/** @deprecated the old name of ReportEntry, kept for callers not yet renamed. */
export type ReportDocumentEntry = ReportEntry;

/**
 * A reports document (parse-reports.ts), in the CDK context's vocabulary: the `defaults` every
 * report inherits (the top-level context keys), and the reports, each overriding any of them.
 * The stack builds it from the context and bundles it with the function as `reports.json`.
 */
export interface ReportsDocument {
  readonly schema?: 1;
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly reports: unknown;
}

export const REPORT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** A Teams channel's name: a report's `teamsChannel`, a key of the credentials secret's `teamsWebhooks`. */
export const TEAMS_CHANNEL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const DEFAULT_REPORT = 'default';

/**
 * The defaults of a report's settings that are not the analysis's own (those are
 * ANALYSIS_DEFAULTS in core/types.ts): the one place they are written. The stack and the function
 * read them from here.
 */
export const REPORT_DEFAULTS = {
  /** Monday 09:00 in the report's zone. */
  schedule: 'cron(0 9 ? * MON *)',
  window: 'calendar',
  windowDays: 7,
  baselineDays: 28,
  secretName: 'ai-activity-audit/credentials',
} as const satisfies {
  schedule: string;
  window: WindowMode;
  windowDays: number;
  baselineDays: number;
  secretName: string;
};

/** The org a report reads: reports with the same secret and site are one Datadog org. */
export function orgKey(report: Pick<ReportDefinition, 'secretId' | 'site' | 'datadogApiUrl'>): string {
  return `${report.secretId}|${report.site}|${report.datadogApiUrl ?? ''}`;
}

/**
 * Reports with the same key read the same events over the same window: one fetch serves them all.
 * The `activity` is part of it: a report of the seed's MCP tool calls alone reads exactly its query.
 */
export function fetchGroupKey(report: ReportDefinition): string {
  return [
    orgKey(report),
    report.timezone,
    report.windowMode,
    report.windowDays,
    report.baselineDays,
    report.activity ?? ANALYSIS_DEFAULTS.activity,
  ].join('|');
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
 * What keys a report's ledger items and names its archive prefix: its name, except that a report
 * named `default` keeps its org name, as the one report of a deployment without a list always
 * was, so a deployment that moves to a list keeps that report's history.
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
