/**
 * The deployed bundle seals the archive: the function as the stack bundles it
 * (scripts/lib/function-bundle.cjs, which takes the KMS client from its ES module build so only
 * GenerateMac and VerifyMac are kept), run in fresh Node processes as Lambda runs it, against the
 * stand-ins of test/support/handler-harness.ts with ARCHIVE_BUCKET and ARCHIVE_MAC_KEY, for two
 * consecutive weeks. The archive it leaves verifies with the key, and the second week is chained
 * to the first: the tree-shaken client makes and checks real MACs.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { createKmsMacSigner } from '../../functions/weekly-report/adapters/kms-mac';
import { createS3BlobStore } from '../../functions/weekly-report/adapters/s3-blob-store';
import { checkManifest, MANIFEST_FILE } from '../../functions/weekly-report/archive/manifest';
import { reportSlug } from '../../functions/weekly-report/archive/report-archive';
import { verifyReportArchive } from '../../functions/weekly-report/archive/verify';
import { functionBundle } from '../../infra/report-function';
import { LOCAL_CREDENTIALS, TEST_REGION } from '../support/aws-emulators';
import { nonJsonLines, useHandlerHarness } from '../support/handler-harness';

const run = promisify(execFile);
const harness = useHandlerHarness();

/** Loads the bundle as Lambda does and invokes `index.handler` once. */
const INVOKE = `
const { handler } = require(process.env.BUNDLE);
const started = Date.now();
handler(JSON.parse(process.env.EVENT), { awsRequestId: 'req-sealed', getRemainingTimeInMillis: () => 120000 - (Date.now() - started) })
  .then((result) => require('node:fs').writeFileSync(process.env.RESULT_FILE, JSON.stringify(result)),
        (error) => { console.error(error); process.exitCode = 1; });
`;

describe('the built function bundle with a signed archive', () => {
  let dir: string;
  let bundle: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-bundle-seal-'));
    await functionBundle.buildFunction({ outdir: dir, overrides: { logLevel: 'silent' } });
    bundle = path.join(dir, functionBundle.BUNDLE_FILE);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('seals two consecutive weeks that verify with the key, the second chained to the first', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, ARCHIVE_MAC_KEY: h.kms.keyArn });
    const before = { ...h.kms.calls };

    // Act
    const results: Array<{ channels: unknown }> = [];
    for (const scheduledTime of ['2026-11-16T09:00:00Z', '2026-11-23T09:00:00Z']) {
      const resultFile = path.join(dir, `result-${Date.parse(scheduledTime)}.json`);
      const { stdout, stderr } = await run(process.execPath, ['-e', INVOKE], {
        env: {
          ...process.env,
          ...env,
          BUNDLE: bundle,
          EVENT: JSON.stringify({ scheduledTime }),
          RESULT_FILE: resultFile,
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(stderr).toBe('');
      expect(nonJsonLines(stdout)).toEqual([]);
      results.push(JSON.parse(fs.readFileSync(resultFile, 'utf8')));
    }
    const bundleCalls = {
      GenerateMac: (h.kms.calls.GenerateMac ?? 0) - (before.GenerateMac ?? 0),
      VerifyMac: (h.kms.calls.VerifyMac ?? 0) - (before.VerifyMac ?? 0),
    };
    const s3 = new S3Client({
      endpoint: h.s3.url,
      forcePathStyle: true,
      region: TEST_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const kms = new KMSClient({ endpoint: h.kms.url, region: TEST_REGION, credentials: LOCAL_CREDENTIALS });
    const store = createS3BlobStore({ client: s3, bucket: h.s3.bucket });
    const second = checkManifest(
      JSON.parse(
        Buffer.from(
          (await store.get(
            `reports/${reportSlug(env.ORG_NAME as string)}/2026-11-23T00:00:00.000Z/${MANIFEST_FILE}`,
          )) ?? new Uint8Array(),
        ).toString('utf8'),
      ),
    );
    const first = await store.get(
      `reports/${reportSlug(env.ORG_NAME as string)}/2026-11-16T00:00:00.000Z/${MANIFEST_FILE}`,
    );
    const verification = await verifyReportArchive(
      store,
      env.ORG_NAME as string,
      createKmsMacSigner({ client: kms, keyId: h.kms.keyArn }),
    );
    s3.destroy();
    kms.destroy();

    // Assess
    for (const r of results) expect(r.channels).toContainEqual({ channel: 'archive', outcome: 'delivered' });
    expect(verification.breaks).toEqual([]);
    expect(second.previous).toEqual({
      windowTo: '2026-11-16T00:00:00.000Z',
      mac: checkManifest(JSON.parse(Buffer.from(first ?? new Uint8Array()).toString('utf8'))).mac,
    });
    expect(verification.weeks).toEqual([
      { windowTo: '2026-11-16T00:00:00.000Z', status: 'verified' },
      { windowTo: '2026-11-23T00:00:00.000Z', status: 'verified' },
    ]);
    // One GenerateMac a week; the second run checked the first week once to fold it, once to chain to it.
    expect(bundleCalls).toEqual({ GenerateMac: 2, VerifyMac: 2 });
  });
});
