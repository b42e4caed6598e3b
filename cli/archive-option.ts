/**
 * `--archive DIR|s3://bucket[/prefix]` (or ARCHIVE_BUCKET, as the function has it): opens the
 * report archive of one report for the command line. A directory needs nothing but the disk; an
 * S3 location uses the AWS SDK's usual credentials, region and AWS_ENDPOINT_URL_S3 (path-style
 * addressing when that is set), and is loaded only when asked for.
 */
import { resolve } from 'node:path';
import { createDirectoryBlobStore } from '../functions/weekly-report/adapters/directory-blob-store';
import { createReportArchive, parseS3Url, type ReportArchive } from '../functions/weekly-report/archive/report-archive';

export class ArchiveOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveOptionError';
  }
}

/** Where the archive is: `--archive`, else `s3://$ARCHIVE_BUCKET`, else nowhere. */
export function archiveLocation(option: string | undefined, env = process.env): string | undefined {
  if (option !== undefined && option.trim() !== '') return option.trim();
  return env.ARCHIVE_BUCKET ? `s3://${env.ARCHIVE_BUCKET}` : undefined;
}

/** The archive of `report` at `location`; refuses an `s3:` location that is not `s3://bucket[/prefix]`. */
export async function openArchive(location: string, report: string): Promise<ReportArchive> {
  const s3 = parseS3Url(location);
  if (s3) {
    // Its own bundle in the built CLI (scripts/build-cli.cjs): only --archive s3://… loads the SDK.
    const { createS3BlobStoreFromEnvironment } = await import('../functions/weekly-report/adapters/s3-blob-store');
    return createReportArchive(createS3BlobStoreFromEnvironment(s3), report);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ArchiveOptionError(
      `--archive must be a directory or s3://bucket[/prefix] with a valid bucket name (got "${location}")`,
    );
  }
  return createReportArchive(createDirectoryBlobStore(resolve(location)), report);
}
