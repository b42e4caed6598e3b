/**
 * The one parser of a deployment's reports, run by the stack at synth (on the document it builds
 * from the CDK context) and by the function at cold start (on the same document, bundled as
 * reports.json, or on the one its environment variables make). A reports document speaks the
 * context's vocabulary:
 *
 *     { "schema": 1 (optional),
 *       "defaults": { <report settings, windowDays, baselineDays> },
 *       "reports": [ { "name": "security", <settings it overrides>, "scope"?: {…} }, … ] }
 *
 * Each report inherits every default it does not set. The result is either every report's
 * definition or every problem, each naming where it is (the defaults, or a report by position and
 * name), the key, and what to write instead; a bad default that reports inherit is said once, at
 * the default. Values may be typed JSON or their text, as `-c key=value` gives them. The settings
 * and their rules are the table in report-settings.ts.
 */
import { ANALYSIS_DEFAULTS } from '../core/types';
import { nearestKey, unknownReportKeys } from './keys';
import {
  archivePrefixClashes,
  REPORT_NAME,
  type ReportDefinition,
  type ReportEntry,
  reportKey,
} from './report-definitions';
import {
  DEFAULTS_KEYS,
  DELIVERIES,
  DEPLOYMENT_SETTING_KEYS,
  ENTRY_KEYS,
  REPORT_RULES,
  REPORT_SETTINGS,
  type ReadContext,
  type ReportSetting,
  SETTING_KEYS,
  type SettingKey,
  type SettingValues,
} from './report-settings';

export interface ParseReportsOptions {
  /** A base URL that replaces every report's Datadog API host (tests, proxies): DD_API_URL. */
  readonly datadogApiUrl?: string;
  /** A base URL for every report's Slack API (tests): SLACK_API_URL. */
  readonly slackApiUrl?: string;
  /**
   * Keys that belong to the whole deployment besides windowDays and baselineDays (the stack's
   * alarmEmail, logRetentionDays, …): a report that sets one is told it belongs at the top level.
   */
  readonly deploymentKeys?: readonly string[];
  /**
   * When the document is read (epoch ms), for the settings checked against the date (an
   * exception's `expires` at most a year ahead). @default Date.now() (synth, or cold start)
   */
  readonly now?: number;
}

/** Where a problem is: the document itself, its defaults, or one report (its position, and its name when it has one). */
export type ProblemPlace = 'document' | 'defaults' | { readonly index: number; readonly name?: string };

export interface ReportProblem {
  readonly in: ProblemPlace;
  /** The key at fault; empty for a report entry that is not an object. */
  readonly key: string;
  /** What is wrong and what to write instead. */
  readonly message: string;
}

export type ParsedReports =
  | { readonly ok: true; readonly reports: readonly ReportDefinition[] }
  | { readonly ok: false; readonly problems: readonly ReportProblem[] };

/** What a `reports` value says: no list (absent, empty, `[]`), a list of entries, or a value that is neither. */
export type ReportsValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'list'; readonly entries: readonly unknown[] }
  | { readonly kind: 'invalid'; readonly message: string };

const EXAMPLE = `e.g. -c reports='[{"name":"security","emailTo":["security@example.com"]}]'`;
const DOCUMENT_KEYS = ['schema', 'defaults', 'reports'];

/** Reads a `reports` value: a list (cdk.json, a document), its JSON text (`-c reports='[…]'`), or nothing. */
export function readReportsValue(value: unknown): ReportsValue {
  if (value === undefined || value === null) return { kind: 'none' };
  let list = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return { kind: 'none' };
    try {
      list = JSON.parse(text);
    } catch (error) {
      return { kind: 'invalid', message: `is not valid JSON (${(error as Error).message}); ${EXAMPLE}` };
    }
  }
  if (!Array.isArray(list)) {
    return { kind: 'invalid', message: `must be a list of reports, each an object with a name; ${EXAMPLE}` };
  }
  return list.length === 0 ? { kind: 'none' } : { kind: 'list', entries: list };
}

/**
 * A problem's place and key as one path: `reports[1] (sre-team).emailTo`, `reports[1]` for an
 * entry that is not an object, `reports` for the list, and a default's bare key (the context's
 * top-level key) or, with `defaultsPrefix` (`defaults.` in a file), its path in the document.
 */
export function problemPath(problem: ReportProblem, defaultsPrefix = ''): string {
  const { in: place, key } = problem;
  if (place === 'document') return key === '' ? 'the reports document' : key;
  if (place === 'defaults') return `${defaultsPrefix}${key}`;
  const label = `reports[${place.index}]${place.name === undefined ? '' : ` (${REPORT_NAME.test(place.name) ? place.name : JSON.stringify(place.name)})`}`;
  return key === '' ? label : `${label}.${key}`;
}

/** Parses a reports document: every report's definition, or every problem. */
export function parseReports(input: unknown, options: ParseReportsOptions = {}): ParsedReports {
  const problems: ReportProblem[] = [];
  if (!isRecord(input)) {
    return {
      ok: false,
      problems: [
        { in: 'document', key: '', message: 'must be an object {"defaults": {…}, "reports": [{"name": …}, …]}' },
      ],
    };
  }
  const doc: Readonly<Record<string, unknown>> = input;
  for (const key of Object.keys(doc)) {
    if (DOCUMENT_KEYS.includes(key)) continue;
    const nearest = nearestKey(key, DOCUMENT_KEYS);
    problems.push({
      in: 'document',
      key,
      message: `is not a key of a reports document, so its value would be ignored; ${nearest !== undefined ? `did you mean ${nearest}?` : `it takes ${DOCUMENT_KEYS.join(', ')}`}`,
    });
  }
  if (doc.schema !== undefined && doc.schema !== 1) {
    problems.push({
      in: 'document',
      key: 'schema',
      message: `must be 1 or absent (got ${JSON.stringify(doc.schema)})`,
    });
  }

  // The defaults alone: each value's own checks, not what a whole report needs (a report may complete them).
  let defaults: Readonly<Record<string, unknown>> = {};
  if (isRecord(doc.defaults)) defaults = doc.defaults;
  else if (doc.defaults !== undefined) {
    problems.push({
      in: 'document',
      key: 'defaults',
      message: 'must be an object of report settings, e.g. {"orgName": "Acme", "timezone": "Europe/Berlin"}',
    });
  }
  for (const key of Object.keys(defaults)) {
    if (!(DEFAULTS_KEYS as readonly string[]).includes(key)) {
      problems.push({ in: 'defaults', key, message: unknownDefaultMessage(key) });
    }
  }
  const saidAtDefaults = new Set<string>();
  const context: ReadContext = { now: options.now ?? Date.now() };
  resolveSettings(
    (key) => (REPORT_SETTINGS[key].only === 'report' ? undefined : defaults[key]),
    context,
    false,
    (key, message) => {
      saidAtDefaults.add(`${key}: ${message}`);
      problems.push({ in: 'defaults', key, message });
    },
  );

  const reports: ReportDefinition[] = [];
  const list = readReportsValue(doc.reports);
  if (list.kind === 'invalid') problems.push({ in: 'document', key: 'reports', message: list.message });
  if (list.kind === 'none') {
    problems.push({ in: 'document', key: 'reports', message: `lists no report; list at least one, ${EXAMPLE}` });
  }
  const entries = list.kind === 'list' ? list.entries : [];
  const firstUse = new Map<string, number>();
  const deploymentKeys = [...DEPLOYMENT_SETTING_KEYS, ...(options.deploymentKeys ?? [])];
  entries.forEach((entry, index) => {
    if (!isRecord(entry)) {
      problems.push({
        in: { index },
        key: '',
        message: 'must be an object with a name, e.g. {"name":"security","emailTo":["security@example.com"]}',
      });
      return;
    }
    const e: ReportEntry = entry;
    const name = typeof e.name === 'string' ? e.name.trim() : '';
    const place: ProblemPlace = name === '' ? { index } : { index, name };
    const problem = (key: string, message: string) => problems.push({ in: place, key, message });

    for (const p of unknownReportKeys(ENTRY_KEYS, deploymentKeys, e)) problem(p.key, p.message);
    if (name === '') {
      problem('name', 'is required: a slug of lower-case letters, digits and -, e.g. "security" or "sre-team"');
    } else if (!REPORT_NAME.test(name)) {
      problem(
        'name',
        `${JSON.stringify(name)} is not a report name: lower-case letters, digits and - (not first or last), at most 40`,
      );
    } else if (firstUse.has(name)) {
      problem('name', `"${name}" is also the name of reports[${firstUse.get(name)}]: report names must be unique`);
    } else firstUse.set(name, index);

    const sets = (key: SettingKey) => Object.hasOwn(e, key) && e[key] !== undefined;
    const values = resolveSettings(
      (key) => {
        const only = REPORT_SETTINGS[key].only;
        if (only === 'deployment') return defaults[key];
        return sets(key) || only === 'report' ? e[key] : defaults[key];
      },
      context,
      true,
      (key, message) => {
        // A bad default this report inherits was said once, at the default.
        if (!sets(key) && saidAtDefaults.has(`${key}: ${message}`)) return;
        problem(key, message);
      },
    );
    reports.push(toDefinition(name, values, options));
  });

  for (const clash of archivePrefixClashes(reports.filter((r) => r.name !== ''))) {
    problems.push({ in: 'document', key: 'reports', message: clash });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, reports };
}

/** Reads every setting through `source` in the table's order, then the rules across them. */
function resolveSettings(
  source: (key: SettingKey) => unknown,
  context: ReadContext,
  wholeReport: boolean,
  problem: (key: SettingKey, message: string) => void,
): SettingValues {
  const values: Partial<Record<SettingKey, unknown>> = {};
  for (const key of SETTING_KEYS) {
    const setting: ReportSetting = REPORT_SETTINGS[key];
    const read = setting.read(source(key), context);
    for (const message of read.problems) problem(key, message);
    const value = read.value ?? setting.default;
    if (value === undefined && wholeReport && setting.required !== undefined) problem(key, setting.required);
    values[key] = value;
  }
  const resolved = values as SettingValues;
  for (const rule of REPORT_RULES) {
    if (rule.wholeReport && !wholeReport) continue;
    const message = rule.check(resolved);
    if (message !== undefined) problem(rule.key, message);
  }
  return resolved;
}

/** Puts each setting's value where the table says, keeps the deliveries that are on, and adds the endpoint overrides. */
function toDefinition(name: string, values: SettingValues, options: ParseReportsOptions): ReportDefinition {
  const definition: Record<string, unknown> = { ...ANALYSIS_DEFAULTS, name };
  const deliveries: Record<string, Record<string, unknown>> = {};
  for (const key of SETTING_KEYS) {
    const value = values[key];
    if (value === undefined) continue;
    const [field = '', part] = REPORT_SETTINGS[key].field.split('.');
    if (part === undefined) definition[field] = value;
    else deliveries[field] = { ...deliveries[field], [part]: value };
  }
  for (const [delivery, onWhen] of Object.entries(DELIVERIES)) {
    const fields = deliveries[delivery];
    const on = fields?.[onWhen];
    if (on !== undefined && !(Array.isArray(on) && on.length === 0)) definition[delivery] = fields;
  }
  const slack = definition.slack as ReportDefinition['slack'];
  if (slack !== undefined && options.slackApiUrl !== undefined) {
    definition.slack = { ...slack, apiUrl: options.slackApiUrl };
  }
  if (options.datadogApiUrl !== undefined) definition.datadogApiUrl = options.datadogApiUrl;
  definition.key = reportKey(name, typeof definition.org === 'string' ? definition.org : '');
  return definition as unknown as ReportDefinition;
}

function unknownDefaultMessage(key: string): string {
  if (ENTRY_KEYS.includes(key)) return 'is set per report, in its entry of reports, not in the defaults';
  const nearest = nearestKey(key, DEFAULTS_KEYS);
  const hint = nearest !== undefined ? `did you mean ${nearest}?` : `the settings are ${DEFAULTS_KEYS.join(', ')}`;
  return `is not a report setting, so its value would be ignored; ${hint}`;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
