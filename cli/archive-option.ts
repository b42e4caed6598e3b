/**
 * `--archive DIR|s3://bucket[/prefix]` (or ARCHIVE_BUCKET, as the function has it): opens the
 * report archive for the command line, one report's (`openArchive`) or the whole of it, to list the
 * reports it holds (`archiveReports`). A directory needs nothing but the disk; an S3 location uses
 * the AWS SDK's usual credentials, region and AWS_ENDPOINT_URL_S3 (path-style addressing when that
 * is set), and is loaded only when asked for. A command that reads the archive (history, show)
 * refuses one that is missing or unreadable, rather than show it as an empty history.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDirectoryBlobStore } from '../functions/weekly-report/adapters/directory-blob-store';
import {
  ARCHIVE_ROOT,
  createReportArchive,
  parseS3Url,
  type ReportArchive,
} from '../functions/weekly-report/archive/report-archive';
import type { BlobStore } from '../functions/weekly-report/ports';

export class ArchiveOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveOptionError';
  }
}

/** The archive cannot be read: missing, not a directory, or refused. */
export class ArchiveReadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveReadError';
  }
}

/** Where the archive is: `--archive`, else `s3://$ARCHIVE_BUCKET`, else nowhere. */
export function archiveLocation(option: string | undefined, env = process.env): string | undefined {
  if (option !== undefined && option.trim() !== '') return option.trim();
  return env.ARCHIVE_BUCKET ? `s3://${env.ARCHIVE_BUCKET}` : undefined;
}

/** Why a directory cannot be read, in words. */
function fsWhy(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such directory (render --archive DIR creates it; check the path)'
    : code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOTDIR'
        ? 'it is a file, not a directory'
        : (error as Error).message;
}

/**
 * The blob store at `location`; refuses an `s3:` location that is not `s3://bucket[/prefix]`.
 * With `mustExist` (a command that only reads), a directory that is missing or not a directory is
 * an ArchiveReadError.
 */
export async function openArchiveStore(location: string, options: { mustExist?: boolean } = {}): Promise<BlobStore> {
  const s3 = parseS3Url(location);
  if (s3) {
    // Its own bundle in the built CLI (scripts/build-cli.cjs): only --archive s3://… loads the SDK.
    const { createS3BlobStoreFromEnvironment } = await import('../functions/weekly-report/adapters/s3-blob-store');
    return createS3BlobStoreFromEnvironment(s3);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ArchiveOptionError(
      `--archive must be a directory or s3://bucket[/prefix] with a valid bucket name (got "${location}")`,
    );
  }
  const dir = resolve(location);
  if (options.mustExist) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(dir)).isDirectory();
    } catch (error) {
      throw new ArchiveReadError(`cannot read the archive ${location}: ${fsWhy(error)}`, { cause: error });
    }
    if (!isDirectory) throw new ArchiveReadError(`cannot read the archive ${location}: it is a file, not a directory`);
  }
  return createDirectoryBlobStore(dir);
}

/** The archive of `report` at `location`. */
export async function openArchive(
  location: string,
  report: string,
  options: { mustExist?: boolean } = {},
): Promise<ReportArchive> {
  return createReportArchive(await openArchiveStore(location, options), report);
}

/** One report the archive holds: its name in keys (what `--report` takes) and its archived weeks. */
export interface ArchivedReportName {
  readonly report: string;
  readonly weeks: number;
}

/** A week's folder: its window end, as report-archive.ts names it. */
const WEEK_FOLDER = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every report under `reports/` with its number of archived weeks, by name. */
export async function archiveReports(store: BlobStore): Promise<ArchivedReportName[]> {
  const weeks = new Map<string, Set<string>>();
  let keys: string[];
  try {
    keys = await store.list(`${ARCHIVE_ROOT}/`);
  } catch (error) {
    throw readFailure(store.location, error);
  }
  for (const key of keys) {
    const [root, report, week] = key.split('/');
    if (root !== ARCHIVE_ROOT || !report || !week || !WEEK_FOLDER.test(week)) continue;
    weeks.set(report, (weeks.get(report) ?? new Set()).add(week));
  }
  return [...weeks]
    .map(([report, set]) => ({ report, weeks: set.size }))
    .sort((a, b) => (a.report < b.report ? -1 : a.report > b.report ? 1 : 0));
}

/** `acme-corp (2 weeks), sre-team (1 week)`. */
export function describeReports(reports: readonly ArchivedReportName[]): string {
  return reports.map((r) => `${r.report} (${r.weeks} week${r.weeks === 1 ? '' : 's'})`).join(', ');
}

/** An archive that could not be listed or read: a directory's error in words; an S3 store's message already names the fix. */
export function readFailure(location: string, error: unknown): Error {
  if ((error as NodeJS.ErrnoException).code !== undefined) {
    return new ArchiveReadError(`cannot read the archive ${location}: ${fsWhy(error)}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
