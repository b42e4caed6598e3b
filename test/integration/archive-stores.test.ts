/**
 * The two BlobStores behind the archive honour `maxBytes` as the port says: S3 through the real
 * @aws-sdk/client-s3 against s3rver (127.0.0.1), and a local directory. An object over the cap is
 * refused from its size (S3's ContentLength, the file's size): the error carries the object's exact
 * size, which only a look at the size gives (a read that ran past the cap would know only that it
 * passed it). And a gzip bomb read through the archive, in a process of its own, keeps its peak
 * memory far below what the bomb inflates to.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { createDirectoryBlobStore } from '../../functions/weekly-report/adapters/directory-blob-store';
import { createS3BlobStore } from '../../functions/weekly-report/adapters/s3-blob-store';
import { type BlobStore, BlobTooLargeError } from '../../functions/weekly-report/ports';
import { LOCAL_CREDENTIALS, type S3Emulator, startS3Emulator, TEST_REGION } from '../support/aws-emulators';

const ROOT = join(__dirname, '../..');

async function refusal(read: Promise<unknown>): Promise<BlobTooLargeError> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BlobTooLargeError)) throw new Error(`expected BlobTooLargeError, got ${String(error)}`);
  return error;
}

/** The same checks for each store. */
function honoursMaxBytes(store: () => BlobStore): void {
  const body = Buffer.alloc(3_000_000, 7);

  it('reads an object within the cap, and says undefined for an absent one', async () => {
    await store().put('reports/x/small.json', Buffer.from('{"a":1}'), 'application/json');
    expect(Buffer.from((await store().get('reports/x/small.json', { maxBytes: 7 })) ?? []).toString()).toBe('{"a":1}');
    expect(await store().get('reports/x/absent.json', { maxBytes: 10 })).toBeUndefined();
  });

  it('refuses an object over the cap from its size, naming its exact size', async () => {
    // Prepare
    await store().put('reports/x/large.bin', body, 'application/octet-stream');

    // Act
    const error = await refusal(store().get('reports/x/large.bin', { maxBytes: 1_000_000 }));

    // Assess
    expect(error.size).toBe(body.length);
    expect(error.maxBytes).toBe(1_000_000);
    expect(error.key).toBe('reports/x/large.bin');
    expect((await store().get('reports/x/large.bin'))?.length).toBe(body.length);
  });
}

describe('the S3 store (s3rver)', () => {
  let s3: S3Emulator;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startS3Emulator('caps');
    client = new S3Client({
      endpoint: s3.url,
      forcePathStyle: true,
      region: TEST_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });
  honoursMaxBytes(() => createS3BlobStore({ client, bucket: s3.bucket, prefix: 'caps' }));
});

describe('the directory store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-caps-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  honoursMaxBytes(() => createDirectoryBlobStore(dir));
});

describe('a gzip bomb read through the archive', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bomb-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is refused under the decompressed cap with the peak memory of its process far below what it inflates to', async () => {
    // Prepare: 1 GiB of zeros, gzipped as a stream to a few MB, as a week's aggregate.
    const weekEnd = '2026-11-23T00:00:00.000Z';
    const file = join(dir, 'reports', 'acme', weekEnd, 'aggregate.json.gz');
    await mkdir(dirname(file), { recursive: true });
    const inflated = 2 ** 30;
    await pipeline(zeros(inflated), createGzip({ level: 1 }), createWriteStream(file));
    const script = join(dir, 'read-bomb.ts');
    await writeFile(
      script,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { createDirectoryBlobStore } from ${JSON.stringify(join(ROOT, 'functions/weekly-report/adapters/directory-blob-store'))};`,
        `import { createReportArchive } from ${JSON.stringify(join(ROOT, 'functions/weekly-report/archive/report-archive'))};`,
        `const archive = createReportArchive(createDirectoryBlobStore(${JSON.stringify(dir)}), 'Acme');`,
        `archive.readWeek(${JSON.stringify(weekEnd)}).then(`,
        `  () => console.log(JSON.stringify({ read: true })),`,
        `  (error) => {`,
        `    const peak = /VmHWM:\\s*(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));`,
        `    console.log(JSON.stringify({ error: error.message, peakKiB: peak ? Number(peak[1]) : process.resourceUsage().maxRSS }));`,
        `  },`,
        `);`,
      ].join('\n'),
    );

    // Act
    const out = await runNode(['--import', 'tsx', script]);

    // Assess
    const result = JSON.parse(out) as { error?: string; peakKiB?: number };
    expect(result.error).toBe('aggregate.json.gz: decompresses to more than 32.0 MB, the cap');
    // A Node process with tsx starts at ~60-90 MB; the cap adds tens of MB, never the 1 GiB.
    expect((result.peakKiB ?? Number.POSITIVE_INFINITY) * 1024).toBeLessThan(250_000_000);
  }, 60_000);
});

async function* zeros(size: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(1 << 24);
  for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
}

function runNode(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(stdout.trim()) : reject(new Error(`exit ${status}: ${stderr.slice(0, 500)}`)),
    );
  });
}
