/**
 * Where the command line's reports go: stdout (text or JSON), or the four files of a rendered
 * report in `--out`, written only once the report exists.
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

export function print(summary: Summary, format: 'text' | 'json'): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatTextReport(summary));
}
