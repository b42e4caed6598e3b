/**
 * `report history` and `report show`: what a reviewer needs from the report archive without the
 * AWS console. `history` lists the archived reports (window, calls, people, anomalies by
 * severity, complete); `show --week YYYY-MM-DD` prints the text report of the week that holds
 * that day, or writes all its archived files to --out. Without a report named, both list the
 * reports the archive holds. What comes from the archive is shown printable
 * (render/plain-text.ts): an archived string cannot reach the terminal as a control sequence.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHIVE_FILES, type ReportArchive } from '../functions/weekly-report/archive/report-archive';
import type { Severity, Summary } from '../functions/weekly-report/core/types';
import { printable } from '../functions/weekly-report/render/plain-text';
import { reportDateRange } from '../functions/weekly-report/render/text-report';
import { type ArchivedReportName, readFailure } from './archive-option';

export interface HistoryRow {
  readonly window: { readonly from: string; readonly to: string };
  readonly days: { readonly from: string; readonly to: string };
  readonly calls: number;
  readonly people: number;
  readonly anomalies: Readonly<Record<Severity | 'total', number>>;
  readonly complete: boolean;
}

function rowOf(summary: Summary): HistoryRow {
  const anomalies = { total: summary.anomalies.length, high: 0, medium: 0, low: 0 };
  for (const flag of summary.anomalies) if (flag.severity in anomalies) anomalies[flag.severity] += 1;
  return {
    window: summary.window,
    days: reportDateRange(summary),
    calls: summary.total_tool_calls,
    people: summary.unique_users,
    anomalies,
    complete: summary.complete,
  };
}

/**
 * True when an archived summary has the figures a row shows, of their types: a summary.json
 * edited by hand (or by anyone with write access to the bucket) with a string where a number
 * belongs is unreadable, not a row.
 */
function hasRowFields(s: Summary): boolean {
  const window = s.window as unknown as Record<string, unknown> | null;
  return (
    typeof window === 'object' &&
    window !== null &&
    typeof window.from === 'string' &&
    typeof window.to === 'string' &&
    Number.isFinite(s.total_tool_calls) &&
    Number.isFinite(s.unique_users) &&
    typeof s.complete === 'boolean' &&
    Array.isArray(s.anomalies)
  );
}

/** The newest `weeks` archived reports, oldest first (a report whose summary is unreadable is left out and counted). */
export async function historyRows(
  archive: ReportArchive,
  weeks: number,
): Promise<{ rows: HistoryRow[]; unreadable: string[] }> {
  let listed: Awaited<ReturnType<ReportArchive['list']>>;
  try {
    listed = await archive.list();
  } catch (error) {
    throw readFailure(archive.location, error);
  }
  const reports = listed.filter((r) => r.files.includes(ARCHIVE_FILES.summary)).slice(-weeks);
  const summaries = await Promise.all(reports.map((r) => archive.readSummary(r.windowTo)));
  const rows: HistoryRow[] = [];
  const unreadable: string[] = [];
  summaries.forEach((s, i) => {
    if (s && hasRowFields(s)) rows.push(rowOf(s));
    else unreadable.push(reports[i]?.windowTo ?? '');
  });
  return { rows, unreadable };
}

const n = (value: number): string => value.toLocaleString('en-US');

export function formatHistory(
  archive: ReportArchive,
  rows: readonly HistoryRow[],
  unreadable: readonly string[],
): string {
  const lines = [`Archived reports in ${archive.location}`, ''];
  if (rows.length === 0) lines.push('  (none)');
  else {
    const table = [
      ['week', 'calls', 'people', 'anomalies (high/medium/low)', 'complete'],
      ...rows.map((r) => [
        `${r.days.from} to ${r.days.to}`,
        n(r.calls),
        n(r.people),
        `${n(r.anomalies.total)} (${r.anomalies.high}/${r.anomalies.medium}/${r.anomalies.low})`,
        r.complete ? 'yes' : 'PARTIAL',
      ]),
    ].map((row) => row.map(printable)); // before the widths: what is shown is what is measured
    const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => [...row[c]!].length)));
    for (const row of table)
      lines.push(
        `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`,
      );
  }
  if (unreadable.length > 0) lines.push('', `  Unreadable summaries (left out): ${unreadable.join(', ')}`);
  return `${lines.map(printable).join('\n')}\n`;
}

/** What `history` and `show` print without a report named: the reports the archive holds, and how to name one. */
export function formatReports(location: string, reports: readonly ArchivedReportName[]): string {
  const lines = [`Reports in ${location.replace(/\/+$/, '')}/reports/`, ''];
  if (reports.length === 0) lines.push('  (none: the archive holds no reports)');
  const names = reports.map((r) => printable(r.report));
  const width = Math.max(0, ...names.map((name) => [...name].length));
  reports.forEach((r, i) => {
    lines.push(`  ${names[i]?.padEnd(width)}  ${r.weeks} week${r.weeks === 1 ? '' : 's'}`);
  });
  if (reports.length > 0) {
    const first = names[0] ?? 'NAME';
    lines.push('', `Name one with --report NAME (or --org NAME), e.g. report history --report ${first}`);
  }
  return `${lines.map(printable).join('\n')}\n`;
}

/** The archived report whose window holds local day `date` (YYYY-MM-DD, in the report's own time zone). */
export async function findWeek(
  archive: ReportArchive,
  date: string,
): Promise<{ windowTo: string; summary: Summary } | undefined> {
  const day = Date.parse(`${date}T00:00:00Z`);
  // A window holding that day ends after it began somewhere on Earth (zones run to UTC−12).
  const candidates = (await archive.list()).filter(
    (r) => r.files.includes(ARCHIVE_FILES.summary) && Date.parse(r.windowTo) > day - 14 * 3_600_000,
  );
  for (const r of candidates) {
    const summary = await archive.readSummary(r.windowTo);
    if (!summary) continue;
    const days = reportDateRange(summary);
    if (days.from <= date && date <= days.to) return { windowTo: r.windowTo, summary };
  }
  return undefined;
}

/** Writes every archived file of the report ending `windowTo` into `dir`; returns the paths. */
export async function writeArchivedFiles(archive: ReportArchive, windowTo: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of Object.values(ARCHIVE_FILES)) {
    const bytes = await archive.readFile(windowTo, name);
    if (bytes === undefined) continue;
    await writeFile(join(dir, name), bytes);
    written.push(join(dir, name));
  }
  return written;
}
