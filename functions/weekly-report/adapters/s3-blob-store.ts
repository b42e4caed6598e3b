/**
 * BlobStore over S3 (`@aws-sdk/client-s3`): the report archive's bucket, under an optional key
 * prefix. The client comes from the handler (its endpoint from AWS_ENDPOINT_URL_S3, path-style
 * addressing when that is set, for local stand-ins such as s3rver). Every call is abandoned at the
 * caller's deadline. Errors name the bucket and the fix, never an object's content. A read with
 * `maxBytes` looks at the object's ContentLength before its body and stops reading past the cap,
 * so an oversized object is refused without being downloaded.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { signalUntil } from '../deadline';
import { ReportError } from '../errors';
import { type BlobGetOptions, type BlobStore, BlobTooLargeError, type CallOptions } from '../ports';

/** One S3 call (its SDK retries included) never takes longer than this, nor past the deadline. */
const CALL_TIMEOUT_MS = 20_000;

export class ArchiveStoreError extends ReportError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveStoreError';
  }
}

export function createS3BlobStore(options: {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix inside the bucket. @default '' */
  readonly prefix?: string;
}): BlobStore {
  const { client, bucket } = options;
  const base = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const location = `s3://${bucket}${base ? `/${base.slice(0, -1)}` : ''}`;

  function fail(operation: string, key: string, error: unknown): ArchiveStoreError {
    const name = error instanceof Error ? error.name : 'Error';
    const hint =
      name === 'NoSuchBucket'
        ? `bucket ${bucket} does not exist: check ARCHIVE_BUCKET`
        : name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'Forbidden'
          ? `the role may not ${operation} in ${bucket}: check its s3 permissions (and kms:Decrypt/GenerateDataKey for a KMS-encrypted bucket)`
          : name === 'AbortError' || name === 'TimeoutError'
            ? 'S3 did not answer in time'
            : error instanceof Error
              ? error.message.slice(0, 200)
              : String(error);
    return new ArchiveStoreError(`Archive ${location}: could not ${operation} ${key} (${name}): ${hint}`, {
      cause: error,
    });
  }

  return {
    location,
    async list(prefix: string, call?: CallOptions): Promise<string[]> {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: `${base}${prefix}`,
              ...(token ? { ContinuationToken: token } : {}),
            }),
            { abortSignal: signalUntil(call?.deadline, CALL_TIMEOUT_MS) },
          );
        } catch (error) {
          throw fail('list', `${base}${prefix}`, error);
        }
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(base.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },

    async get(key: string, call?: BlobGetOptions): Promise<Uint8Array | undefined> {
      const max = call?.maxBytes;
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${base}${key}` }), {
          abortSignal: signalUntil(call?.deadline, CALL_TIMEOUT_MS),
        });
        if (!out.Body) return new Uint8Array();
        if (max === undefined) return await out.Body.transformToByteArray();
        if (out.ContentLength !== undefined && out.ContentLength > max) {
          discard(out.Body);
          throw new BlobTooLargeError(key, out.ContentLength, max);
        }
        return await readAtMost(out.Body as unknown as AsyncIterable<Uint8Array>, key, max);
      } catch (error) {
        if (error instanceof BlobTooLargeError) throw error;
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw fail('read', `${base}${key}`, error);
      }
    },

    async put(key: string, body: Uint8Array, contentType: string, call?: CallOptions): Promise<void> {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: `${base}${key}`, Body: body, ContentType: contentType }),
          { abortSignal: signalUntil(call?.deadline, CALL_TIMEOUT_MS) },
        );
      } catch (error) {
        throw fail('write', `${base}${key}`, error);
      }
    },
  };
}

/** Drops a body that will not be read, so its connection is freed rather than drained. */
function discard(body: unknown): void {
  (body as { destroy?: () => void }).destroy?.();
}

/** The body's bytes, refusing it once more than `max` have come (a store that did not say its size, or said too little). */
async function readAtMost(body: AsyncIterable<Uint8Array>, key: string, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) {
      discard(body);
      throw new BlobTooLargeError(key, size, max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A store with its own client, configured the SDK's standard way (credentials, region,
 * AWS_ENDPOINT_URL_S3, with path-style addressing when that is set), for the command line.
 */
export function createS3BlobStoreFromEnvironment(location: {
  readonly bucket: string;
  readonly prefix?: string;
}): BlobStore {
  const client = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return createS3BlobStore({ client, ...location });
}
