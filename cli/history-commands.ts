/**
 * `report history` and `report show`: what a reviewer needs from the report archive without the
 * AWS console. `history` lists the archived reports (window, calls, people, anomalies by
 * severity, complete); `show --week YYYY-MM-DD` prints the text report of the week that holds
 * that day, or writes all its archived files to --out.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHIVE_FILES, type ReportArchive } from '../functions/weekly-report/archive/report-archive';
import type { Severity, Summary } from '../functions/weekly-report/core/types';
import { reportDateRange } from '../functions/weekly-report/render/text-report';

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

/** The newest `weeks` archived reports, oldest first (a report whose summary is unreadable is left out and counted). */
export async function historyRows(
  archive: ReportArchive,
  weeks: number,
): Promise<{ rows: HistoryRow[]; unreadable: string[] }> {
  const reports = (await archive.list()).filter((r) => r.files.includes(ARCHIVE_FILES.summary)).slice(-weeks);
  const summaries = await Promise.all(reports.map((r) => archive.readSummary(r.windowTo)));
  const rows: HistoryRow[] = [];
  const unreadable: string[] = [];
  summaries.forEach((s, i) => {
    if (s) rows.push(rowOf(s));
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
    ];
    const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
    for (const row of table)
      lines.push(
        `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`,
      );
  }
  if (unreadable.length > 0) lines.push('', `  Unreadable summaries (left out): ${unreadable.join(', ')}`);
  return `${lines.join('\n')}\n`;
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
