/**
 * The command line's decode pool (cli/decode-pool.ts) with its real worker, dist/cli/decode-worker.cjs
 * (built here as `npm run report` builds it): every page and block decoded on a worker is what the
 * same decoder gives on this thread, in shared memory or not, malformed or not; after the pool
 * is closed, it decodes here. And the built CLI gives byte-identical reports with and without
 * workers, from a file and live from the emulator under faults.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecodePool, type DecodePool } from '../../cli/decode-pool';
import { decodeBlock, documentBlocks } from '../../cli/json-blocks';
import { decodeSearchPage } from '../../functions/weekly-report/adapters/datadog/audit-page';
import { startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents } from '../support/generator';
import { runReport } from '../support/report-cli';

const FROM = new Date('2026-11-16T09:00:00.000Z');
const TO = new Date('2026-11-23T09:00:00.000Z');
const buildCli = require('../../scripts/build-cli.cjs') as { ensureBuilt(): Promise<string>; OUT_DIR: string };

const events = [
  ...generateEvents({
    seed: 41,
    from: FROM,
    to: TO,
    count: 3000,
    hostileRate: 0.1,
    malformedRate: 0.1,
    nonMcpRate: 0.05,
  }),
];

describe('decode pool', () => {
  let pool: DecodePool;

  beforeAll(async () => {
    await buildCli.ensureBuilt();
    pool = createDecodePool(join(buildCli.OUT_DIR, 'decode-worker.cjs'), 2);
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('decodes pages on its workers exactly as on this thread, malformed ones too', async () => {
    const bodies = [
      JSON.stringify({ data: events.slice(0, 1000), meta: { page: { after: 'c1' }, status: 'done' } }),
      JSON.stringify({ data: events.slice(1000, 1001), meta: { warnings: [{ code: 'w' }] } }),
      JSON.stringify({ data: [] }),
      '<html>gateway</html>',
      '{"data":null}',
      '{"data":[],"meta":{"page":{"after":7}}}',
    ].map((text) => Buffer.from(text));
    const viaPool = await Promise.all(bodies.map((b) => pool.decodePage(b)));
    expect(viaPool).toEqual(bodies.map((b) => decodeSearchPage(b)));
    // The caller's bytes are untouched: the pool hands a copy over.
    expect(bodies[0]?.length).toBeGreaterThan(0);
    expect(JSON.parse(bodies[2]?.toString() ?? '')).toEqual({ data: [] });
  });

  it('decodes the blocks of a document in shared memory in place, and of a plain buffer from a copy', async () => {
    const text = JSON.stringify({ data: events, meta: {} });
    const plain = Buffer.from(text);
    const shared = Buffer.from(new SharedArrayBuffer(plain.length));
    plain.copy(shared);
    for (const bytes of [plain, shared]) {
      const blocks = [...documentBlocks(bytes, 64 * 1024)];
      expect(blocks.length).toBeGreaterThan(3);
      const viaPool = await Promise.all(blocks.map((b) => pool.decodeBlock(bytes.subarray(b.start, b.end), b.kind)));
      expect(viaPool).toEqual(blocks.map((b) => decodeBlock(bytes.subarray(b.start, b.end), b.kind)));
    }
    const refused = await pool.decodeBlock(Buffer.from('{"id": x}'), 'data');
    expect(refused.ok).toBe(false);
  });

  it('decodes on this thread the jobs its workers held when they stop', async () => {
    const stopping = createDecodePool(join(buildCli.OUT_DIR, 'decode-worker.cjs'), 2);
    const bodies = [0, 1, 2, 3, 4, 5].map((k) =>
      Buffer.from(JSON.stringify({ data: events.slice(k * 500, k * 500 + 500) })),
    );
    const jobs = bodies.map((b) => stopping.decodePage(b));
    await stopping.close(); // while the jobs are in flight
    expect(await Promise.all(jobs)).toEqual(bodies.map((b) => decodeSearchPage(b)));
  });

  it('decodes on this thread once closed', async () => {
    const closed = createDecodePool(join(buildCli.OUT_DIR, 'decode-worker.cjs'), 1);
    closed.warm();
    await closed.close();
    const body = Buffer.from(JSON.stringify({ data: events.slice(0, 10) }));
    expect(await closed.decodePage(body)).toEqual(decodeSearchPage(body));
  });
});

describe('report CLI with and without workers', () => {
  it('summarizes a large file identically whatever the workers, as a response, an array of pages and NDJSON', async () => {
    // Prepare: above the pool's 4 MiB threshold, so the workers decode it.
    const many = [
      ...generateEvents({ seed: 42, from: FROM, to: TO, count: 12_000, malformedRate: 0.05, hostileRate: 0.05 }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'pool-'));
    const files = {
      response: JSON.stringify({ data: many, meta: { page: {} } }),
      pages: JSON.stringify([{ data: many.slice(0, 5000) }, { data: many.slice(5000) }]),
      ndjson: `${many.map((e) => JSON.stringify(e)).join('\n')}\n`,
    };
    for (const [name, text] of Object.entries(files)) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, text);
      expect(text.length).toBeGreaterThan(4 << 20);

      // Act
      const args = ['summarize', '--input', file, '--format', 'json'];
      const [here, pooled] = await Promise.all([
        runReport([...args, '--workers', '0']),
        runReport([...args, '--workers', '3']),
      ]);

      // Assess
      expect({ name, stderr: pooled.stderr, status: pooled.status }).toEqual({ name, stderr: '', status: 0 });
      expect(here.status).toBe(0);
      expect(pooled.stdout).toBe(here.stdout);
      expect(JSON.parse(pooled.stdout).total_tool_calls).toBeGreaterThan(10_000);
    }
  });

  it('refuses a broken large document with workers as without', async () => {
    const text = JSON.stringify({ data: events.concat(events, events, events, events, events) });
    const file = join(mkdtempSync(join(tmpdir(), 'pool-')), 'broken.json');
    writeFileSync(file, `${text.slice(0, text.length - 5000)}#${text.slice(text.length - 4999)}`);
    const [here, pooled] = await Promise.all([
      runReport(['summarize', '--input', file, '--workers', '0']),
      runReport(['summarize', '--input', file, '--workers', '2']),
    ]);
    expect(pooled.status).toBe(1);
    expect(here.status).toBe(1);
    expect(pooled.stderr).toMatch(/is not JSON/);
    expect(here.stderr).toMatch(/is not JSON/);
  });

  it('fetches live identically whatever the workers, under malformed pages, short pages and replayed pages', async () => {
    // 20k events: two pages or more per slice, so a replayed page can cost part of one. A fresh
    // emulator per run: its faults depend on what it was asked before.
    const events = [...generateEvents({ seed: 43, from: FROM, to: TO, count: 20_000 })];
    const live = async (workers: string) => {
      const emulator = await startDatadogEmulator({
        events,
        faults: { malformedRate: 0.1, shortPageRate: 0.2, cursorFault: 'repeat-page' },
      });
      try {
        const env = { DD_API_URL: emulator.url, DD_API_KEY: emulator.apiKey, DD_APP_KEY: emulator.appKey };
        const range = ['--from', FROM.toISOString(), '--to', TO.toISOString()];
        return await runReport(['summarize', ...range, '--format', 'json', '--workers', workers], env);
      } finally {
        await emulator.close();
      }
    };
    const here = await live('0');
    const pooled = await live('2');
    expect(pooled.status).toBe(here.status);
    expect(pooled.stdout).toBe(here.stdout);
    const summary = JSON.parse(pooled.stdout);
    expect(summary.total_tool_calls).toBeGreaterThan(0);
    expect(summary.complete).toBe(false); // a replayed page costs the rest of its slice, and the report says so
  });
});
