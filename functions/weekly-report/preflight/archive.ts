/**
 * The archive check: the report archive's bucket takes what a run does to it, under the prefix
 * the function uses (`reports/`), through the same BlobStore (adapters/s3-blob-store.ts): write
 * one object, read it back, list it, then delete it. The object is `reports/.doctor-probe`, named
 * for what it is and outside every report's prefix (report names are letters, digits and `-`),
 * so no history ever reads it. The function's own role may not delete (it never needs to): the
 * probe then stays, one small object the next check overwrites, and the check says so.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3BlobStore } from '../adapters/s3-blob-store';
import { ARCHIVE_ROOT } from '../archive/report-archive';
import { signalUntil } from '../deadline';
import { type Check, fail, ok, type Verdict } from './check';

/** The probe's key under `reports/`. */
export const PROBE_KEY = '.doctor-probe';

export interface ArchivePreflightOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly now?: () => number;
}

export function archiveCheck(options: ArchivePreflightOptions): Check {
  const { client, bucket } = options;
  const key = `${ARCHIVE_ROOT}/${PROBE_KEY}`;
  return {
    name: 'archive',
    target: `s3://${bucket}/${ARCHIVE_ROOT}/`,
    async run(deadline): Promise<Verdict> {
      const store = createS3BlobStore({ client, bucket, prefix: ARCHIVE_ROOT });
      const call = { deadline };
      const written = `written by the AI Activity Audit preflight (report doctor) at ${new Date((options.now ?? Date.now)()).toISOString()}; safe to delete\n`;
      try {
        await store.put(PROBE_KEY, Buffer.from(written, 'utf8'), 'text/plain; charset=utf-8', call);
        const read = await store.get(PROBE_KEY, call);
        if (read === undefined || Buffer.from(read).toString('utf8') !== written) {
          return fail(
            `wrote ${key} but read ${read === undefined ? 'nothing' : 'other bytes'} back`,
            'check what else writes to the bucket (a replication or lifecycle rule, another stack), then run the check again',
          );
        }
        const listed = await store.list(PROBE_KEY, call);
        if (!listed.includes(PROBE_KEY)) {
          return fail(
            `wrote ${key} but listing ${ARCHIVE_ROOT}/ did not show it`,
            'check that nothing rewrites listings (an S3-compatible store must list what it wrote at once)',
          );
        }
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error), archiveFix(error, bucket));
      }
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: signalUntil(deadline, 10_000),
        });
        return ok(`wrote, read back and listed ${key}, then deleted it`);
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        return ok(
          `wrote, read back and listed ${key}; it stays (delete refused: ${name}), one small object each check overwrites`,
        );
      }
    },
  };
}

/** What to do about an archive error, from the S3 error's name (the ArchiveStoreError keeps it as its cause). */
function archiveFix(error: unknown, bucket: string): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const name = cause instanceof Error ? cause.name : '';
  if (name === 'NoSuchBucket') {
    return `create the bucket, or set ARCHIVE_BUCKET to the stack's ArchiveBucketName output (now ${bucket})`;
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'Forbidden') {
    return `allow s3:PutObject and s3:GetObject on arn:aws:s3:::${bucket}/${ARCHIVE_ROOT}/*, s3:ListBucket on the bucket for the prefix ${ARCHIVE_ROOT}/, and kms:GenerateDataKey and kms:Decrypt on its key when it has one`;
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    return 'check that S3 is reachable from here (a VPC needs an S3 gateway endpoint or a NAT gateway), then run the check again';
  }
  return `check ARCHIVE_BUCKET (${bucket}), the region (AWS_REGION) and that S3 is reachable from here`;
}
