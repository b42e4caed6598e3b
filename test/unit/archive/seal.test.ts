/**
 * The archive's seal over a store in memory and a MacSigner of our own (HMAC-SHA-256 with a key it
 * keeps, as KMS does; the MacSigner port, no network): the exact bytes MACed, the chain each week's
 * manifest makes to the week before, and what the reads and `verifyReportArchive` make of each way
 * a week can be tampered with (changed, removed, unlisted, forged, swapped, replayed, copied from
 * another report, its manifest removed), of weeks archived before MACs, and of a key that cannot
 * be used. The same attacks through the real handler, S3 and KMS clients: test/integration/archive-seal.test.ts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ArchiveObjectError } from '../../../functions/weekly-report/archive/checks';
import {
  checkManifest,
  encodeManifest,
  MANIFEST_FILE,
  macMessage,
  type WeekManifest,
} from '../../../functions/weekly-report/archive/manifest';
import { createReportArchive, type ReportArchive } from '../../../functions/weekly-report/archive/report-archive';
import { MANIFEST_ABSENT } from '../../../functions/weekly-report/archive/seal';
import { verifyReportArchive } from '../../../functions/weekly-report/archive/verify';
import { WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { archivedWeek } from '../../../functions/weekly-report/core/archived-week';
import { readArchivedBaseline, readTrend } from '../../../functions/weekly-report/pipeline/history';
import { type BlobStore, MacKeyError, type MacSigner } from '../../../functions/weekly-report/ports';
import { renderReport } from '../../../functions/weekly-report/render';
import { makeBusySummary } from '../../support/summary-fixtures';

const DAY = 86_400_000;
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000001';

function memoryStore(): BlobStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    location: 'memory://archive',
    objects,
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix));
    },
    async get(key) {
      return objects.get(key);
    },
    async put(key, body) {
      objects.set(key, body);
    },
  };
}

/** HMAC-SHA-256 with a secret it never shows; `failing` makes every call throw as an unusable KMS key does. */
function hmacSigner(): MacSigner & { failing: boolean; calls: number } {
  const secret = randomBytes(32);
  const mac = (m: Uint8Array) => createHmac('sha256', secret).update(m).digest();
  const signer = {
    keyId: KEY_ARN,
    failing: false,
    calls: 0,
    async sign(message: Uint8Array) {
      signer.calls++;
      if (signer.failing) throw new MacKeyError('the key could not be used (GenerateMac: AccessDeniedException)');
      return { mac: mac(message), keyArn: KEY_ARN };
    },
    async verify(message: Uint8Array, given: Uint8Array) {
      signer.calls++;
      if (signer.failing) throw new MacKeyError('the key could not be used (VerifyMac: AccessDeniedException)');
      const expected = mac(message);
      return given.length === expected.length && timingSafeEqual(Buffer.from(given), expected);
    },
  };
  return signer;
}

const base = makeBusySummary(3);
const END = Date.parse(base.window.to);
/** The window ends of four consecutive weeks, the last one the fixture's. */
const ENDS = [3, 2, 1, 0].map((k) => new Date(END - k * 7 * DAY).toISOString());

/** Writes the week ending `windowTo` (a summary of `calls` calls) to `archive`. */
async function writeWeek(archive: ReportArchive, windowTo: string, calls = 12): Promise<void> {
  const to = Date.parse(windowTo);
  const summary = {
    ...base,
    total_tool_calls: calls,
    window: { from: new Date(to - 7 * DAY).toISOString(), to: windowTo },
  };
  const range = { from: to - 7 * DAY, to };
  await archive.write(
    windowTo,
    renderReport(summary, { slackChannel: 'C0123456789' }),
    archivedWeek('Acme', new WindowAggregate({ range }), range),
  );
}

async function problem(read: Promise<unknown>): Promise<string> {
  try {
    await read;
    return 'read';
  } catch (error) {
    if (error instanceof ArchiveObjectError) return error.message;
    throw error;
  }
}

const key = (w: string, file: string) => `reports/acme/${w}/${file}`;
const manifestAt = (store: ReturnType<typeof memoryStore>, w: string) =>
  checkManifest(JSON.parse(Buffer.from(store.objects.get(key(w, MANIFEST_FILE)) as Uint8Array).toString('utf8')));

async function signedArchive(weeks = ENDS) {
  const store = memoryStore();
  const signer = hmacSigner();
  const archive = createReportArchive(store, 'Acme', { signer });
  for (const w of weeks) await writeWeek(archive, w);
  // A fresh archive for reading, as the next invocation has: nothing remembered from the writes.
  return { store, signer, archive: createReportArchive(store, 'Acme', { signer }) };
}

describe('the bytes MACed', () => {
  const manifest: WeekManifest = {
    report: 'acme-corp',
    window: { from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' },
    objects: {
      'summary.json': { sha256: 'b'.repeat(64), bytes: 20 },
      'aggregate.json.gz': { sha256: 'a'.repeat(64), bytes: 10 },
    },
    previous: { windowTo: '2026-11-16T00:00:00.000Z', mac: `${'Q'.repeat(43)}=` },
  };

  it('are the canonical text docs/archive.md gives, objects by name', () => {
    // Act
    const text = Buffer.from(macMessage(manifest)).toString('utf8');

    // Assess
    expect(text).toBe(
      [
        'ai-activity-audit.week-manifest 1',
        'report acme-corp',
        'window 2026-11-16T00:00:00.000Z 2026-11-23T00:00:00.000Z',
        `previous 2026-11-16T00:00:00.000Z mac:${'Q'.repeat(43)}=`,
        `object aggregate.json.gz sha256:${'a'.repeat(64)} 10`,
        `object summary.json sha256:${'b'.repeat(64)} 20`,
        '',
      ].join('\n'),
    );
    expect(Buffer.from(macMessage({ ...manifest, previous: null })).toString()).toContain('\nprevious none\n');
    expect(
      Buffer.from(macMessage({ ...manifest, previous: { windowTo: manifest.window.from, mac: null } })).toString(),
    ).toContain('\nprevious 2026-11-16T00:00:00.000Z unsigned\n');
  });

  it('never take a field that could give the text a second reading', () => {
    // Assess
    expect(() => macMessage({ ...manifest, report: 'acme\nobject x' })).toThrow(/report is not of its form/);
    expect(() => macMessage({ ...manifest, objects: { 'a b': { sha256: 'a'.repeat(64), bytes: 1 } } })).toThrow(
      /object name/,
    );
  });

  it('round-trip through manifest.json, whose reader refuses what is not a manifest of the archive', () => {
    // Prepare
    const sealed = { ...manifest, mac: `${'M'.repeat(43)}=`, key: KEY_ARN };
    const json = JSON.parse(encodeManifest(sealed));

    // Assess
    expect(checkManifest(json)).toEqual(sealed);
    expect(() => checkManifest({ ...json, kind: 'other' })).toThrow('not a week manifest');
    expect(() => checkManifest({ ...json, schema: 2 })).toThrow('schema is 2 (this version reads 1)');
    expect(() => checkManifest({ ...json, window: { ...json.window, to: '2026-11-23T00:00:00Z' } })).toThrow(
      'window.to is not an ISO time as the archive writes them',
    );
    expect(() => checkManifest({ ...json, previous: { window_to: json.window.to, mac: null } })).toThrow(
      'previous.window_to is not before the week',
    );
    expect(() => checkManifest({ ...json, mac: 'short' })).toThrow('mac is not a MAC in base64');
  });
});

describe('a signed archive', () => {
  it('seals each week: its six objects listed, chained to the week before, first week chained to none', async () => {
    // Act
    const { store, archive } = await signedArchive();

    // Assess
    const manifests = ENDS.map((w) => manifestAt(store, w));
    expect(manifests[0]?.previous).toBeNull();
    for (let i = 1; i < ENDS.length; i++) {
      expect(manifests[i]?.previous).toEqual({ windowTo: ENDS[i - 1], mac: manifests[i - 1]?.mac });
    }
    expect(Object.keys(manifests[3]?.objects ?? {})).toHaveLength(6);
    for (const w of ENDS) expect(await problem(archive.readWeek(w))).toBe('read');
  });

  it('verifies with its own key only: another key finds every MAC bad', async () => {
    // Prepare
    const { store } = await signedArchive();

    // Act
    const result = await verifyReportArchive(store, 'Acme', hmacSigner());

    // Assess
    expect(result.breaks.map((b) => b.kind)).toEqual(['unsigned_archive', 'bad_mac', 'bad_mac', 'bad_mac', 'bad_mac']);
  });

  it('verifies a clean archive with its key: every week verified, no break', async () => {
    // Prepare
    const { store, signer } = await signedArchive();

    // Act
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(result.breaks).toEqual([]);
    expect(result.weeks.map((w) => w.status)).toEqual(['verified', 'verified', 'verified', 'verified']);
  });

  it.each([
    [
      'a changed object',
      async (s: ReturnType<typeof memoryStore>, _signer: MacSigner): Promise<void> => {
        s.objects.set(key(ENDS[1] as string, 'aggregate.json.gz'), gzipSync('{}'));
      },
      ENDS[1],
      "aggregate.json.gz: does not match the week's manifest (another SHA-256): changed after it was archived",
      'changed_object',
    ],
    [
      'a removed object',
      async (s: ReturnType<typeof memoryStore>, _signer: MacSigner): Promise<void> => {
        s.objects.delete(key(ENDS[1] as string, 'aggregate.json.gz'));
      },
      ENDS[1],
      "aggregate.json.gz: is missing, though the week's manifest lists it: removed after it was archived",
      'missing_object',
    ],
    [
      'a manifest rewritten to the changed object (its MAC kept)',
      async (s: ReturnType<typeof memoryStore>, _signer: MacSigner) => {
        const w = ENDS[1] as string;
        const forged = gzipSync('{}');
        s.objects.set(key(w, 'aggregate.json.gz'), forged);
        const m = manifestAt(s, w);
        const { createHash } = await import('node:crypto');
        const objects = {
          ...m.objects,
          'aggregate.json.gz': { sha256: createHash('sha256').update(forged).digest('hex'), bytes: forged.length },
        };
        s.objects.set(key(w, MANIFEST_FILE), Buffer.from(encodeManifest({ ...m, objects })));
      },
      ENDS[1],
      "manifest.json: its MAC does not verify with the archive's key: the week was changed or forged after it was archived",
      'bad_mac',
    ],
    [
      'a week copied from another report',
      async (s: ReturnType<typeof memoryStore>, signer: MacSigner) => {
        // The week of report "Other", sealed by the function with the same key, put in Acme's place.
        await writeWeek(createReportArchive(s, 'Other', { signer }), ENDS[1] as string, 500);
        for (const [k, v] of [...s.objects]) {
          if (k.startsWith(`reports/other/${ENDS[1]}/`)) s.objects.set(k.replace('reports/other/', 'reports/acme/'), v);
        }
      },
      ENDS[1],
      "manifest.json: belongs to the report other, not acme: copied from another report's archive",
      'wrong_report',
    ],
  ] as const)('refuses %s, in the reads and in the check', async (_name, damage, week, message, kind) => {
    // Prepare
    const { store, signer, archive } = await signedArchive();
    await damage(store, signer);

    // Act
    const read = await problem(archive.readWeek(week as string));
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(read).toBe(message);
    expect(result.breaks.map((b) => [b.windowTo, b.kind])).toContainEqual([week, kind]);
    expect(result.weeks.find((w) => w.windowTo === week)?.status).toBe('broken');
  });

  it('names an object nobody listed, and does not read it', async () => {
    // Prepare
    const { store, signer, archive } = await signedArchive();
    store.objects.set(key(ENDS[2] as string, 'notes.txt'), Buffer.from('added later'));

    // Act
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(result.breaks).toEqual([
      {
        windowTo: ENDS[2],
        kind: 'unlisted_object',
        object: 'notes.txt',
        detail: "notes.txt is not in the week's manifest: added after it was archived",
      },
    ]);
    expect(await problem(archive.readWeek(ENDS[2] as string))).toBe('read');
  });

  it('names a deleted week through the chain: the run can tell it from a week the job did not run', async () => {
    // Prepare: a gap (no week 1) and a deletion (week 2, after week 3 was chained to it).
    const { store, signer } = await signedArchive([ENDS[0], ENDS[2], ENDS[3]] as string[]);
    for (const k of [...store.objects.keys()]) if (k.includes(ENDS[2] as string)) store.objects.delete(k);
    const archive = createReportArchive(store, 'Acme', { signer });

    // Act
    const missing = await archive.missingWeeks(ENDS[0] as string, ENDS[3] as string);
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(missing).toEqual([{ windowTo: ENDS[2], namedBy: ENDS[3] }]);
    expect(result.weeks).toEqual([
      { windowTo: ENDS[0], status: 'verified' },
      { windowTo: ENDS[2], status: 'missing' },
      { windowTo: ENDS[3], status: 'verified' },
    ]);
    expect(result.breaks.map((b) => b.kind)).toEqual(['missing_week']);
    expect(await createReportArchive(store, 'Acme').missingWeeks(ENDS[0] as string, ENDS[3] as string)).toEqual([]);
  });

  it('refuses an older version of a week put back after the next week was chained to the newer one', async () => {
    // Prepare: week 3 written, saved, written again (a retried run that read late events), then week 4.
    const store = memoryStore();
    const signer = hmacSigner();
    const writer = createReportArchive(store, 'Acme', { signer });
    for (const w of ENDS.slice(0, 3)) await writeWeek(writer, w);
    const old = new Map([...store.objects].filter(([k]) => k.includes(ENDS[2] as string)));
    await writeWeek(writer, ENDS[2] as string, 99);
    await writeWeek(writer, ENDS[3] as string);
    for (const [k, v] of old) store.objects.set(k, v);
    const archive = createReportArchive(store, 'Acme', { signer });

    // Act
    const read = await problem(archive.readPoint(ENDS[2] as string));
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(read).toBe(
      `manifest.json: is not the one the next archived week (ending ${ENDS[3]}) was chained to: the week was replaced after that week was archived`,
    );
    expect(result.breaks.map((b) => [b.windowTo, b.kind])).toEqual([[ENDS[2], 'replaced_week']]);
  });

  it('treats a week archived before MACs as unsigned: never used, named once, not a break; a removed manifest after it is one', async () => {
    // Prepare: two weeks archived unsigned, then two signed (the first chained to the last unsigned one).
    const store = memoryStore();
    const signer = hmacSigner();
    const unsigned = createReportArchive(store, 'Acme');
    for (const w of ENDS.slice(0, 2)) await writeWeek(unsigned, w);
    const signed = createReportArchive(store, 'Acme', { signer });
    for (const w of ENDS.slice(2)) await writeWeek(signed, w);
    const archive = createReportArchive(store, 'Acme', { signer });
    const baseline = { from: Date.parse(ENDS[0] as string) - 7 * DAY, to: Date.parse(ENDS[3] as string) };

    // Act
    const plan = await readArchivedBaseline(archive, { baseline, previous: { from: baseline.to, to: baseline.to } });
    const trend = await readTrend(
      archive,
      { ...base, window: { from: base.window.from, to: new Date(END + 7 * DAY).toISOString() } },
      7,
    );
    const clean = await verifyReportArchive(store, 'Acme', signer);
    store.objects.delete(key(ENDS[2] as string, MANIFEST_FILE));
    const removed = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(manifestAt(store, ENDS[3] as string).previous?.windowTo).toBe(ENDS[2]);
    expect(plan.weeks.map((w) => new Date(w.window.to).toISOString())).toEqual([ENDS[2], ENDS[3]]);
    const both = `The weeks ending 1 Nov 2026 and 8 Nov 2026 could not be verified (manifest.json ${MANIFEST_ABSENT})`;
    expect(plan.warnings).toEqual([`${both}: fetched from Datadog.`]);
    expect(trend.warnings).toEqual([`${both}: left out of the trend.`]);
    expect(clean.breaks).toEqual([]);
    expect(clean.weeks.map((w) => w.status)).toEqual(['unsigned', 'unsigned', 'verified', 'verified']);
    expect(removed.breaks.map((b) => [b.windowTo, b.kind])).toEqual([[ENDS[2], 'no_manifest']]);
  });

  it('says that nothing is signed when every manifest is gone: an archive with no signed week is a break', async () => {
    // Prepare
    const { store, signer } = await signedArchive();
    for (const w of ENDS) store.objects.delete(key(w, MANIFEST_FILE));

    // Act
    const result = await verifyReportArchive(store, 'Acme', signer);

    // Assess
    expect(result.breaks).toEqual([
      {
        windowTo: '',
        kind: 'unsigned_archive',
        detail: 'not one of its 4 weeks has a manifest that verifies: nothing in it can be trusted',
      },
    ]);
    expect(result.weeks.map((w) => w.status)).toEqual(['unsigned', 'unsigned', 'unsigned', 'unsigned']);
  });

  it('uses no week while the key cannot be used, and asks again once it can; writes nothing without it', async () => {
    // Prepare
    const { store, signer, archive } = await signedArchive();
    const before = store.objects.size;

    // Act
    signer.failing = true;
    const refused = await problem(archive.readWeek(ENDS[3] as string));
    const write = await writeWeek(archive, new Date(END + 7 * DAY).toISOString()).catch((e: unknown) => e);
    const check = await verifyReportArchive(store, 'Acme', signer).catch((e: unknown) => e);
    signer.failing = false;
    const again = await problem(archive.readWeek(ENDS[3] as string));

    // Assess
    expect(refused).toBe(
      'manifest.json: could not be verified (the key could not be used (VerifyMac: AccessDeniedException))',
    );
    expect(write).toBeInstanceOf(MacKeyError);
    expect(store.objects.size).toBe(before);
    expect(check).toBeInstanceOf(MacKeyError);
    expect(again).toBe('read');
  });

  it('writes no manifest and checks nothing without a key, as before', async () => {
    // Prepare
    const store = memoryStore();
    const archive = createReportArchive(store, 'Acme');

    // Act
    await writeWeek(archive, ENDS[0] as string);

    // Assess
    expect([...store.objects.keys()].some((k) => k.endsWith(MANIFEST_FILE))).toBe(false);
    expect(archive.seal).toBeUndefined();
    expect(await problem(archive.readWeek(ENDS[0] as string))).toBe('read');
  });
});
