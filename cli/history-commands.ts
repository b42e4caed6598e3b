/**
 * `report history` and `report show`: what a reviewer needs from the report archive without the
 * AWS console. `history` lists the archived reports (window, calls, people, anomalies by
 * severity, complete) from each week's small `point.json` (or, for weeks archived before points,
 * its summary's figures); `show --week YYYY-MM-DD` prints the text report of the week that holds
 * that day, or writes all its archived files to --out. Everything read goes through the archive's
 * checks (archive/report-archive.ts): an object that is too large or does not fit its schema is
 * left out, and the command says which week and object, and why; nothing unchecked is printed.
 * Without a report named, both list the reports the archive holds. What comes from the archive is
 * shown printable (render/plain-text.ts): an archived string cannot reach the terminal as a
 * control sequence.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHIVE_FILES, type ReportArchive } from '../functions/weekly-report/archive/report-archive';
import type { SummaryFigures } from '../functions/weekly-report/archive/summary-schema';
import type { Severity } from '../functions/weekly-report/core/types';
import { weekName } from '../functions/weekly-report/pipeline/history';
import { printable } from '../functions/weekly-report/render/plain-text';
import { formatTextReport, reportDateRange } from '../functions/weekly-report/render/text-report';
import { type ArchivedReportName, readFailure } from './archive-option';

export interface HistoryRow {
  readonly window: { readonly from: string; readonly to: string };
  readonly days: { readonly from: string; readonly to: string };
  readonly calls: number;
  readonly people: number;
  readonly anomalies: Readonly<Record<Severity | 'total', number>>;
  readonly complete: boolean;
}

function rowOf(figures: SummaryFigures): HistoryRow {
  const { high, medium, low } = figures.anomalies;
  return {
    window: figures.window,
    days: reportDateRange(figures),
    calls: figures.calls,
    people: figures.people,
    anomalies: { total: high + medium + low, high, medium, low },
    complete: figures.complete,
  };
}

/** One archived week that could not be read: its window end and why ("summary.json: anomalies is not a list"). */
export interface Unreadable {
  readonly windowTo: string;
  readonly reason: string;
}

/** A week's figures: from its point, else its summary; undefined when it has neither. Throws ArchiveObjectError. */
function figuresOf(archive: ReportArchive, windowTo: string, files: readonly string[]) {
  return files.includes(ARCHIVE_FILES.point) ? archive.readPoint(windowTo) : archive.readSummaryFigures(windowTo);
}

/** The newest `weeks` archived reports, oldest first (a report whose figures are unreadable is left out and named). */
export async function historyRows(
  archive: ReportArchive,
  weeks: number,
): Promise<{ rows: HistoryRow[]; unreadable: Unreadable[] }> {
  let listed: Awaited<ReturnType<ReportArchive['list']>>;
  try {
    listed = await archive.list();
  } catch (error) {
    throw readFailure(archive.location, error);
  }
  const reports = listed
    .filter((r) => r.files.includes(ARCHIVE_FILES.summary) || r.files.includes(ARCHIVE_FILES.point))
    .slice(-weeks);
  const rows: HistoryRow[] = [];
  const unreadable: Unreadable[] = [];
  // One at a time: a week archived before points is read from its summary, which may be large.
  for (const r of reports) {
    try {
      const figures = await figuresOf(archive, r.windowTo, r.files);
      if (figures) rows.push(rowOf(figures));
    } catch (error) {
      unreadable.push({ windowTo: r.windowTo, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { rows, unreadable };
}

const n = (value: number): string => value.toLocaleString('en-US');

export function formatHistory(
  archive: ReportArchive,
  rows: readonly HistoryRow[],
  unreadable: readonly Unreadable[],
  timezone = 'UTC',
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
  if (unreadable.length > 0) {
    lines.push('', '  Left out, could not be read from the archive:');
    for (const u of unreadable) lines.push(`    ${weekName(u.windowTo, timezone)} (${u.windowTo}): ${u.reason}`);
  }
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

/**
 * The archived report whose window holds local day `date` (YYYY-MM-DD, in the report's own time
 * zone), and the weeks it had to pass over because they could not be read.
 */
export async function findWeek(
  archive: ReportArchive,
  date: string,
): Promise<{ found?: { windowTo: string; figures: SummaryFigures }; unreadable: Unreadable[] }> {
  const day = Date.parse(`${date}T00:00:00Z`);
  // A window holding that day ends after it began somewhere on Earth (zones run to UTC−12).
  const candidates = (await archive.list()).filter(
    (r) =>
      (r.files.includes(ARCHIVE_FILES.summary) || r.files.includes(ARCHIVE_FILES.point)) &&
      Date.parse(r.windowTo) > day - 14 * 3_600_000,
  );
  const unreadable: Unreadable[] = [];
  for (const r of candidates) {
    let figures: SummaryFigures | undefined;
    try {
      figures = await figuresOf(archive, r.windowTo, r.files);
    } catch (error) {
      unreadable.push({ windowTo: r.windowTo, reason: error instanceof Error ? error.message : String(error) });
      // A damaged point does not hide a week whose summary is fine: show shows the summary anyway.
      figures = r.files.includes(ARCHIVE_FILES.point)
        ? await archive.readSummaryFigures(r.windowTo).catch(() => undefined)
        : undefined;
      if (!figures) continue;
    }
    if (!figures) continue;
    const days = reportDateRange(figures);
    if (days.from <= date && date <= days.to) return { found: { windowTo: r.windowTo, figures }, unreadable };
  }
  return { unreadable };
}

/**
 * The text report of the archived week ending `windowTo`: its `email.txt` as sent, else one made
 * from its checked summary (`leftOut` then says why the sent text was not used). Throws
 * ArchiveObjectError when neither can be read.
 */
export async function archivedText(
  archive: ReportArchive,
  windowTo: string,
): Promise<{ text: string; leftOut?: string }> {
  let problem: unknown;
  try {
    const text = await archive.readFile(windowTo, ARCHIVE_FILES.text);
    if (text !== undefined) return { text: Buffer.from(text).toString('utf8') };
  } catch (error) {
    problem = error;
  }
  const summary = await archive.readSummary(windowTo);
  if (!summary) {
    throw (
      problem ?? new Error(`neither ${ARCHIVE_FILES.text} nor ${ARCHIVE_FILES.summary} is archived for ${windowTo}`)
    );
  }
  return {
    text: formatTextReport(summary),
    ...(problem instanceof Error ? { leftOut: problem.message } : {}),
  };
}

/**
 * Writes every archived file of the report ending `windowTo` that passes its checks into `dir`;
 * returns the paths written and the files left out, with why.
 */
export async function writeArchivedFiles(
  archive: ReportArchive,
  windowTo: string,
  dir: string,
): Promise<{ written: string[]; skipped: string[] }> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const skipped: string[] = [];
  for (const name of Object.values(ARCHIVE_FILES)) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await archive.readFile(windowTo, name);
    } catch (error) {
      skipped.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    if (bytes === undefined) continue;
    await writeFile(join(dir, name), bytes);
    written.push(join(dir, name));
  }
  return { written, skipped };
}
