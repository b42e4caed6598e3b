/**
 * The `reports` context key: several named reports in one deployment (issue 15), each inheriting
 * the top-level keys and overriding any of them. It arrives as a JSON list from cdk.json or as
 * its text from `-c reports='[…]'`; every problem of every entry names the entry (position and
 * name) and the key, so one synth error says which report to fix.
 */
import { parseScope, REPORT_NAME } from '../functions/weekly-report/config/report-definitions';
import { unknownReportKeys } from './context-keys';
import { parseReportSettings, REPORT_KEYS, type ReportConfig, type ReportSettingKey } from './report-settings';

/** What the `reports` value says: no list (absent, empty, `[]`), a list of entries, or a value that is neither. */
export type ReportsValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'list'; readonly entries: readonly unknown[] }
  | { readonly kind: 'invalid'; readonly message: string };

const EXAMPLE = `e.g. -c reports='[{"name":"security","emailTo":["security@example.com"]}]'`;

/** Reads the `reports` value: a list (cdk.json), its JSON text (`-c`), or nothing. */
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

export interface ReportEntriesInput {
  readonly entries: readonly unknown[];
  /** The top-level value of a key: what an entry that does not set it inherits. */
  readonly inherited: (key: ReportSettingKey) => unknown;
  /**
   * Problems already reported for the top-level keys, as `key: message`. An entry that inherits
   * a bad value would repeat them word for word; they are said once, at the top-level key.
   */
  readonly reportedAtTopLevel: ReadonlySet<string>;
  /** The deployment-wide context keys, which an entry cannot set. */
  readonly deploymentKeys: readonly string[];
  readonly problem: (key: string, message: string) => void;
}

/**
 * Resolves each entry of a `reports` list against the top-level keys and validates it as a whole
 * report. Problem keys read `reports[1] (sre-team).emailTo`.
 */
export function parseReportEntries(input: ReportEntriesInput): ReportConfig[] {
  const reports: ReportConfig[] = [];
  const firstUse = new Map<string, number>();
  input.entries.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      input.problem(
        `reports[${i}]`,
        `must be an object with a name, e.g. {"name":"security","emailTo":["security@example.com"]}`,
      );
      return;
    }
    const e = entry as Readonly<Record<string, unknown>>;
    const label = entryLabel(i, e.name);
    const problem = (key: string, message: string) => input.problem(`${label}.${key}`, message);

    for (const p of unknownReportKeys(REPORT_KEYS, input.deploymentKeys, e)) problem(p.key, p.message);

    const name = typeof e.name === 'string' ? e.name.trim() : '';
    if (name === '') {
      problem('name', 'is required: a slug of lower-case letters, digits and -, e.g. "security" or "sre-team"');
    } else if (!REPORT_NAME.test(name)) {
      problem(
        'name',
        `${JSON.stringify(name)} is not a report name: lower-case letters, digits and - (not first or last), at most 40`,
      );
    } else if (firstUse.has(name)) {
      problem('name', `"${name}" is also the name of reports[${firstUse.get(name)}]: report names must be unique`);
    } else firstUse.set(name, i);

    const sets = (key: string) => Object.hasOwn(e, key) && e[key] !== undefined;
    const settings = parseReportSettings(
      (key) => (sets(key) ? e[key] : input.inherited(key)),
      (key, message) => {
        if (!sets(key) && input.reportedAtTopLevel.has(`${key}: ${message}`)) return;
        problem(key, message);
      },
    );
    const scope = parseScope(e.scope, (message) => problem('scope', message));
    reports.push({ name, ...settings, ...(scope !== undefined ? { scope } : {}) });
  });
  return reports;
}

/** `reports[1] (sre-team)`: the position always (a name may be missing or repeated), the name when there is one. */
function entryLabel(index: number, name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') return `reports[${index}]`;
  const trimmed = name.trim();
  return `reports[${index}] (${REPORT_NAME.test(trimmed) ? trimmed : JSON.stringify(trimmed)})`;
}

/** Reports that one schedule invokes the function for: the same org, schedule and window. */
export interface ScheduleGroup {
  readonly schedule: string;
  readonly timezone: string;
  readonly secretName: string;
  readonly datadogSite: string;
  readonly reports: readonly ReportConfig[];
}

/**
 * Groups reports into schedules: reports with the same secret and site (one Datadog org), the
 * same schedule and time zone (one firing) and the same window mode share one schedule, whose one
 * invocation fetches the org's events once and renders and delivers all of them. Groups come in
 * the order of their first report, so the first report's group keeps the first schedule.
 */
export function groupBySchedule(reports: readonly ReportConfig[]): ScheduleGroup[] {
  const groups = new Map<string, ScheduleGroup & { readonly reports: ReportConfig[] }>();
  for (const report of reports) {
    const { schedule, timezone, secretName, datadogSite, window } = report;
    const key = JSON.stringify([secretName, datadogSite, schedule, timezone, window]);
    const group = groups.get(key);
    if (group !== undefined) group.reports.push(report);
    else groups.set(key, { schedule, timezone, secretName, datadogSite, reports: [report] });
  }
  return [...groups.values()];
}
