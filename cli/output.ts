/**
 * Where the command line's reports go: stdout (text or JSON), or the four files of a rendered
 * report in `--out`, written only once the report exists. What stdout gets is printable: the text
 * report is (render/text-report.ts), and JSON escapes the characters JSON.stringify leaves raw.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Summary } from '../functions/weekly-report/core/types';
import type { RenderedReport } from '../functions/weekly-report/ports';
import { formatTextReport } from '../functions/weekly-report/render/text-report';

/** The --out directory cannot be made or written. */
export class OutputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputError';
  }
}

function describeOutError(dir: string, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'a file is in the way (it or one of its parent folders is a file, not a directory)'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : (error as Error).message;
  return new OutputError(`cannot write to --out ${dir}: ${why}`, { cause: error });
}

/** Refuses an --out that exists and is not a directory, before any work is done for it. */
export async function checkOutDir(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // created when the report is written
    throw describeOutError(dir, error);
  }
  if (!isDirectory) {
    throw new OutputError(`cannot write to --out ${dir}: it is a file; name a directory (it is created if missing)`);
  }
}

/** Writes the four files of a rendered report into `dir`; returns their paths. */
export async function writeReportFiles(report: RenderedReport, dir: string): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw describeOutError(dir, error);
  }
  const files: Array<[string, string]> = [
    ['email.html', report.html],
    ['email.txt', report.text],
    ['slack.json', `${JSON.stringify(report.slack, null, 2)}\n`],
    ['summary.json', `${JSON.stringify(report.summary, null, 2)}\n`],
  ];
  await Promise.all(files.map(([name, body]) => writeFile(join(dir, name), body)));
  return files.map(([name]) => join(dir, name));
}

/**
 * Characters JSON.stringify writes raw inside strings that a terminal may still act on or show as
 * something else: DEL and the C1 controls (U+009B is a CSI in some terminals), the Unicode line
 * separators, and the bidirectional controls and marks (render/plain-text.ts).
 */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * `value` as indented JSON, printable: every character a terminal could act on escaped as
 * `\uXXXX`. Still the same JSON (those characters only occur inside strings), so `jq` reads it
 * back unchanged.
 */
export function printableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

export function print(summary: Summary, format: 'text' | 'json'): void {
  process.stdout.write(format === 'json' ? printableJson(summary) : formatTextReport(summary));
}
