/**
 * The report archive's bucket in the handler harness (s3rver), read and changed through the real
 * S3 client, for the integration tests that inspect or damage archived weeks. `useArchiveBucket`
 * makes the client before the file's tests and destroys it after them.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, TEST_REGION } from './aws-emulators';
import type { HandlerHarness } from './handler-harness';

export interface ArchiveBucket {
  /** The client itself, for a call the helpers below do not make. */
  readonly client: () => S3Client;
  /** The keys under `prefix`, sorted. */
  readonly keysUnder: (prefix: string) => Promise<string[]>;
  readonly getBytes: (key: string) => Promise<Uint8Array>;
  readonly getText: (key: string) => Promise<string>;
  readonly put: (key: string, body: Uint8Array | string) => Promise<void>;
  readonly remove: (key: string) => Promise<void>;
}

export function useArchiveBucket(harness: () => HandlerHarness): ArchiveBucket {
  let s3: S3Client | undefined;
  beforeAll(() => {
    s3 = new S3Client({
      endpoint: harness().s3.url,
      forcePathStyle: true,
      region: TEST_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  });
  afterAll(() => s3?.destroy());
  const client = (): S3Client => {
    if (!s3) throw new Error('useArchiveBucket: the client exists only while the tests run');
    return s3;
  };
  const bucket = () => harness().s3.bucket;
  const getBytes = async (key: string): Promise<Uint8Array> => {
    const out = await client().send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
  };
  return {
    client,
    keysUnder: async (prefix) => {
      const out = await client().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
    },
    getBytes,
    getText: async (key) => Buffer.from(await getBytes(key)).toString('utf8'),
    put: async (key, body) => {
      await client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
    },
    remove: async (key) => {
      await client().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key }));
    },
  };
}
