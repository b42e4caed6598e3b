/**
 * The tamper-evident archive (issue 28, finding 3) through the real handler, the real
 * @aws-sdk/client-s3 against s3rver and the real @aws-sdk/client-kms against our KMS stand-in
 * (test/support/kms-emulator.ts), each on 127.0.0.1, and the real `report verify` (the built
 * command line, a child process with the same endpoints):
 * - a signed history of four weeks gives the fifth week the summary a run without an archive
 *   gives, from the archive, and verifies (exit 0);
 * - the forgery the review made (an aggregate.json.gz with a valid checksum that hides a
 *   first_time_user flag) hides it in an unsigned archive, and in a signed one is caught: the week
 *   is fetched from Datadog, the flag stays, the report names the week; verify names it, exit 1;
 * - a removed week, two swapped weeks and a removed manifest: each caught by the run (not folded,
 *   named in the report) and by verify (exit 1, naming the week);
 * - a key the function may not use: the archived weeks are fetched, the archive channel fails and
 *   the email and Slack post still go out; verify says it cannot verify.
 * Each attack works on a copy of one history under a new report name, sealed for that name as the
 * function seals a week (archive/seal.ts with the same key), so the history is built once.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsMacSigner } from '../../functions/weekly-report/adapters/kms-mac';
import { createS3BlobStore } from '../../functions/weekly-report/adapters/s3-blob-store';
import { checkManifest, MANIFEST_FILE, type SealedManifest } from '../../functions/weekly-report/archive/manifest';
import { reportSlug } from '../../functions/weekly-report/archive/report-archive';
import { createArchiveSeal } from '../../functions/weekly-report/archive/seal';
import { decodeArchivedWeek, encodeArchivedWeek } from '../../functions/weekly-report/core/archived-week';
import { normalizeEvent } from '../../functions/weekly-report/core/normalize';
import type { Summary } from '../../functions/weekly-report/core/types';
import { DeliveryError } from '../../functions/weekly-report/errors';
import { createHandler } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { useArchiveBucket } from '../support/archive-bucket';
import { LOCAL_CREDENTIALS, TEST_REGION } from '../support/aws-emulators';
import { generateScenario } from '../support/generator';
import { CHANNEL, type HandlerHarness, useHandlerHarness } from '../support/handler-harness';
import { runReport } from '../support/report-cli';

const DAY = 86_400_000;
/** Five Monday runs; the fifth reports the scenario's week, the first four the weeks before. */
const WEEK_ENDS = [-28, -21, -14, -7, 0].map((d) => new Date(Date.parse('2026-11-23T00:00:00Z') + d * DAY));
const iso = (i: number): string => (WEEK_ENDS[i] as Date).toISOString();
const scheduled = (weekEnd: Date): string => new Date(weekEnd.getTime() + 9 * 3_600_000).toISOString();

const scenario = generateScenario({
  seed: 2828,
  end: WEEK_ENDS[4] as Date,
  weekEvents: 600,
  people: 20,
  baselineDays: 56,
});
const EVENTS = [...scenario.baseline, ...scenario.window];
const harness = useHandlerHarness({ events: () => EVENTS });

const archiveBucket = useArchiveBucket(harness);
const { keysUnder, getBytes, put, remove } = archiveBucket;
let kms: KMSClient;
beforeAll(() => {
  const h = harness();
  kms = new KMSClient({ endpoint: h.kms.url, region: TEST_REGION, credentials: LOCAL_CREDENTIALS });
});
afterAll(() => kms?.destroy());

const bucket = () => harness().s3.bucket;
const prefixOf = (org: string) => `reports/${reportSlug(org)}/`;
const keyOf = (org: string, i: number, file: string) => `${prefixOf(org)}${iso(i)}/${file}`;

async function manifestOf(org: string, i: number): Promise<SealedManifest> {
  return checkManifest(JSON.parse(Buffer.from(await getBytes(keyOf(org, i, MANIFEST_FILE))).toString('utf8')));
}

/** The environment of a report whose archive is signed with the stand-in's key (a fresh org each). */
function signedEnv(h: HandlerHarness, extra: Record<string, string> = {}): Record<string, string> {
  return h.appEnv({
    ARCHIVE_BUCKET: h.s3.bucket,
    ARCHIVE_MAC_KEY: h.kms.keyArn,
    EMAIL_TO: 'ana@example.com',
    SLACK_CHANNEL: CHANNEL,
    ...extra,
  });
}

/** One invocation for the week ending `weekEnd`: its run (a failed channel's too) and how it settled. */
async function runWeek(h: HandlerHarness, env: Record<string, string>, weekEnd: Date) {
  let run: RunResult | undefined;
  const { result } = await h.captureOutput(() =>
    createHandler(env, {
      onResult: (r) => {
        run = r;
      },
    })({ scheduledTime: scheduled(weekEnd) }, h.lambdaContext()),
  );
  const error = result.status === 'rejected' ? result.reason : undefined;
  for (let e = error; !run && e instanceof Error; e = e.cause) if (e instanceof DeliveryError) run = e.run;
  if (!run) throw new Error(`no run: ${String(error)}`);
  return { run, error };
}

/** What must not change whether the baseline came from the archive or from Datadog. */
function essentials(summary: Summary) {
  return {
    window: summary.window,
    total_tool_calls: summary.total_tool_calls,
    unique_users: summary.unique_users,
    anomaly_counts: summary.anomaly_counts,
    anomalies: summary.anomalies,
    baseline_events: summary.baseline?.events,
    previous_window: summary.previous_window,
    complete: summary.complete,
  };
}

/**
 * The four weeks of `from`'s archive under `to`'s report name, each week sealed for that name, in
 * order, as the function seals a week it writes (the same seal, the same key): a history to attack
 * without touching the original. `sealed: false` copies the objects alone (an unsigned archive).
 */
async function copyHistory(from: string, to: string, sealed = true): Promise<void> {
  const h = harness();
  const store = createS3BlobStore({ client: archiveBucket.client(), bucket: bucket() });
  const signer = createKmsMacSigner({ client: kms, keyId: h.kms.keyArn });
  const target = prefixOf(to);
  const seal = createArchiveSeal({
    store,
    slug: reportSlug(to),
    signer,
    keyOf: (w, name) => `${target}${w}/${name}`,
    weeks: async () =>
      [...new Set((await keysUnder(target)).map((k) => k.slice(target.length).split('/')[0] as string))].sort(),
  });
  for (let i = 0; i < 4; i++) {
    const objects: Array<[string, Uint8Array]> = [];
    for (const key of await keysUnder(`${prefixOf(from)}${iso(i)}/`)) {
      const name = key.split('/').pop() as string;
      if (name === MANIFEST_FILE) continue;
      const bytes = await getBytes(key);
      objects.push([name, bytes]);
      await put(`${target}${iso(i)}/${name}`, bytes);
    }
    if (!sealed) continue;
    const source = await manifestOf(from, i);
    await put(
      `${target}${iso(i)}/${MANIFEST_FILE}`,
      await seal.seal({ from: source.window.from, to: iso(i) }, objects),
    );
  }
}

/** The people the scenario's window has and its 56 days before it do not: the first_time_user flags. */
function firstTimers(): string[] {
  const windowFrom = (WEEK_ENDS[4] as Date).getTime() - 7 * DAY;
  const before = new Set<string>();
  const inWindow = new Set<string>();
  for (const raw of EVENTS) {
    const e = normalizeEvent(raw);
    (e.time >= windowFrom ? inWindow : before).add(e.personKey);
  }
  return [...inWindow].filter((k) => !before.has(k) && k !== '(unknown)');
}

/**
 * The review's forgery: week `i`'s aggregate with the window's first-time users added as regular
 * users, its checksum recomputed (anyone can), written over the original.
 */
async function forgeAggregate(org: string, i: number): Promise<void> {
  const key = keyOf(org, i, 'aggregate.json.gz');
  const week = decodeArchivedWeek(gunzipSync(await getBytes(key)).toString('utf8'));
  const added = firstTimers().map(
    (k) => [k, { calls: 5, undated: 0, events: 5, resourceTypes: ['dashboard'], countries: ['(unknown)'] }] as const,
  );
  const people = [...week.people, ...added].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await put(key, gzipSync(encodeArchivedWeek({ ...week, people, total: week.total + 5 * added.length })));
}

/** `report verify` of `org`'s archive in the harness's bucket, through the stand-ins. */
function verify(org: string, extra: string[] = []) {
  return runReport(['verify', '--archive', `s3://${bucket()}`, '--org', org, '--key', harness().kms.keyArn, ...extra]);
}

describe('a signed report archive', () => {
  let history: { org: string; runs: RunResult[] };
  let plain: RunResult;

  beforeAll(async () => {
    const h = harness();
    const quiet = [
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true),
      jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
    ];
    try {
      const env = signedEnv(h);
      const runs: RunResult[] = [];
      for (const weekEnd of WEEK_ENDS) runs.push((await runWeek(h, env, weekEnd)).run);
      history = { org: env.ORG_NAME as string, runs };
      plain = (await runWeek(h, h.appEnv({ EMAIL_TO: '', SLACK_CHANNEL: CHANNEL }), WEEK_ENDS[4] as Date)).run;
    } finally {
      for (const spy of quiet) spy.mockRestore();
    }
  }, 120_000);

  it('seals each week with a manifest chained to the week before, and folds the sealed weeks in', async () => {
    // Act
    const keys = await keysUnder(prefixOf(history.org));
    const manifests = await Promise.all([0, 1, 2, 3, 4].map((i) => manifestOf(history.org, i)));

    // Assess
    const fifth = history.runs[4] as RunResult;
    expect(essentials(fifth.summary)).toEqual(essentials(plain.summary));
    expect(fifth.summary.baseline?.sources).toEqual({ archive_days: 28, fetched_days: 0 });
    expect(fifth.summary.warnings).toEqual(plain.summary.warnings);
    expect(keys).toHaveLength(5 * 7);
    expect(manifests[0]?.previous).toBeNull();
    for (let i = 1; i < 5; i++) {
      expect(manifests[i]?.previous).toEqual({ windowTo: iso(i - 1), mac: manifests[i - 1]?.mac });
    }
    expect(Object.keys(manifests[4]?.objects ?? {}).sort()).toEqual([
      'aggregate.json.gz',
      'email.html',
      'email.txt',
      'point.json',
      'slack.json',
      'summary.json',
    ]);
    expect(manifests[4]?.key).toBe(harness().kms.keyArn);
    expect(harness().kms.calls.GenerateMac).toBeGreaterThanOrEqual(5);
  });

  it('verifies a clean archive: every week listed as verified, exit 0', async () => {
    // Act
    const r = await verify(history.org);

    // Assess
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^ {2}verified {2}the week ending/gm)).toHaveLength(5);
    expect(r.stdout).toContain(`${reportSlug(history.org)}: 5 of 5 weeks verified, no break.`);
  });

  it('refuses verify without its key or archive, and --key on another command (exit 2)', async () => {
    // Act
    const noKey = await runReport(['verify', '--archive', `s3://${bucket()}`, '--org', history.org], {
      ARCHIVE_MAC_KEY: '',
    });
    const noArchive = await runReport(['verify', '--key', harness().kms.keyArn], { ARCHIVE_BUCKET: '' });
    const elsewhere = await runReport(['show', '--key', harness().kms.keyArn, '--week', '2026-11-18']);

    // Assess
    expect([noKey.status, noArchive.status, elsewhere.status]).toEqual([2, 2, 2]);
    expect(noKey.stderr).toBe(
      "report: verify needs the archive's MAC key: --key ARN (the stack output ArchiveMacKeyArn), or ARCHIVE_MAC_KEY\n",
    );
    expect(noArchive.stderr).toBe(
      'report: verify needs the archive: --archive DIR|s3://bucket[/prefix], or ARCHIVE_BUCKET\n',
    );
    expect(elsewhere.stderr).toBe('report: --key does not apply to show; it is an option of verify\n');
  });

  it('lets the review’s forged aggregate hide a first_time_user flag in an unsigned archive', async () => {
    // Prepare: the same history, unsigned.
    const h = harness();
    const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: '', SLACK_CHANNEL: CHANNEL });
    await copyHistory(history.org, env.ORG_NAME as string, false);
    await forgeAggregate(env.ORG_NAME as string, 3);

    // Act
    const { run } = await runWeek(h, env, WEEK_ENDS[4] as Date);

    // Assess: the attack the seal is there to stop is real.
    expect(plain.summary.anomaly_counts.first_time_user).toBeGreaterThan(0);
    expect(run.summary.anomaly_counts.first_time_user).toBe(0);
  });

  describe('catches each attack in the run (not folded, named) and in report verify (exit 1, named)', () => {
    async function attacked(damage: (org: string) => Promise<void>) {
      const h = harness();
      const env = signedEnv(h);
      const org = env.ORG_NAME as string;
      await copyHistory(history.org, org);
      await damage(org);
      const { run, error } = await runWeek(h, env, WEEK_ENDS[4] as Date);
      return { org, run, error, verified: await verify(org) };
    }

    it('a changed week (the forged aggregate): fetched from Datadog, the flag kept, the week named', async () => {
      // Act
      const { org, run, error, verified } = await attacked((o) => forgeAggregate(o, 3));

      // Assess
      expect(error).toBeUndefined();
      expect(essentials(run.summary)).toEqual(essentials(plain.summary));
      expect(run.summary.anomaly_counts.first_time_user).toBeGreaterThan(0);
      expect(run.summary.baseline?.sources).toEqual({ archive_days: 21, fetched_days: 7 });
      expect(run.summary.warnings).toContain(
        "The week ending 15 Nov 2026 could not be read from the archive (aggregate.json.gz: does not match the week's manifest (another SHA-256): changed after it was archived): fetched from Datadog.",
      );
      expect(run.report.text).toContain('The week ending 15 Nov 2026 could not be read from the archive');
      expect(verified.status).toBe(1);
      expect(verified.stdout).toContain('  BROKEN    the week ending 15 Nov 2026 (2026-11-16T00:00:00.000Z)');
      expect(verified.stdout).toContain(
        'the week ending 15 Nov 2026 (2026-11-16T00:00:00.000Z): changed object: aggregate.json.gz does not match its manifest',
      );
      const json = JSON.parse((await verify(org, ['--format', 'json'])).stdout);
      expect(json.ok).toBe(false);
      expect(json.reports[0].breaks).toEqual([
        {
          windowTo: iso(3),
          kind: 'changed_object',
          object: 'aggregate.json.gz',
          detail: 'aggregate.json.gz does not match its manifest (another SHA-256): changed after it was archived',
        },
      ]);
    });

    it('a removed week: its time fetched, the week named as missing by the chain', async () => {
      // Act
      const { run, error, verified } = await attacked(async (org) => {
        for (const key of await keysUnder(`${prefixOf(org)}${iso(1)}/`)) await remove(key);
      });

      // Assess
      expect(error).toBeUndefined();
      expect(essentials(run.summary)).toEqual(essentials(plain.summary));
      expect(run.summary.baseline?.sources).toEqual({ archive_days: 21, fetched_days: 7 });
      expect(run.summary.warnings).toEqual(
        expect.arrayContaining([
          'The week ending 1 Nov 2026 is missing from the archive, though the week ending 8 Nov 2026 was chained to it (removed after it was archived): fetched from Datadog.',
          'The week ending 1 Nov 2026 is missing from the archive, though the week ending 8 Nov 2026 was chained to it (removed after it was archived): left out of the trend.',
        ]),
      );
      expect(verified.status).toBe(1);
      expect(verified.stdout).toContain('  MISSING   the week ending 1 Nov 2026 (2026-11-02T00:00:00.000Z)');
      expect(verified.stdout).toContain(
        'the week ending 1 Nov 2026 (2026-11-02T00:00:00.000Z): missing week: the week is missing: removed after it was archived (the week ending 2026-11-09T00:00:00.000Z was chained to it)',
      );
    });

    it('two swapped weeks: neither folded, both named', async () => {
      // Act: the weeks ending 1 and 8 Nov trade places, every object and manifest.
      const { run, error, verified } = await attacked(async (org) => {
        const [a, b] = await Promise.all([1, 2].map((i) => keysUnder(`${prefixOf(org)}${iso(i)}/`)));
        const read = async (keys: string[]) => Promise.all(keys.map(async (k) => [k, await getBytes(k)] as const));
        const [first, second] = await Promise.all([read(a ?? []), read(b ?? [])]);
        for (const [k, bytes] of first ?? []) await put(k.replace(iso(1), iso(2)), bytes);
        for (const [k, bytes] of second ?? []) await put(k.replace(iso(2), iso(1)), bytes);
      });

      // Assess
      require('node:fs').writeFileSync(
        '/tmp/mac/peek.txt',
        verified.stdout + verified.stderr + JSON.stringify(run.summary.warnings, null, 1),
      );
      expect(error).toBeUndefined();
      expect(essentials(run.summary)).toEqual(essentials(plain.summary));
      expect(run.summary.baseline?.sources).toEqual({ archive_days: 14, fetched_days: 14 });
      for (const [name, own, other] of [
        ['1 Nov', iso(1), iso(2)],
        ['8 Nov', iso(2), iso(1)],
      ]) {
        expect(run.summary.warnings).toContain(
          `The week ending ${name} 2026 could not be read from the archive (manifest.json: window.to is ${other}, not the week of its key (${own}): moved or swapped from another week): fetched from Datadog.`,
        );
        expect(verified.stdout).toContain(`  BROKEN    the week ending ${name} 2026 (${own})`);
        expect(verified.stdout).toContain(`the week ending ${name} 2026 (${own}): swapped or moved week:`);
      }
      expect(verified.status).toBe(1);
    });

    it('a removed manifest: the week is not used, named, and verify says the manifest was removed', async () => {
      // Act
      const { run, error, verified } = await attacked((org) => remove(keyOf(org, 2, MANIFEST_FILE)));

      // Assess
      expect(error).toBeUndefined();
      expect(essentials(run.summary)).toEqual(essentials(plain.summary));
      expect(run.summary.baseline?.sources).toEqual({ archive_days: 21, fetched_days: 7 });
      expect(run.summary.warnings).toContain(
        'The week ending 8 Nov 2026 could not be verified (manifest.json is missing: the week was archived before the archive was signed, or its manifest was removed): fetched from Datadog.',
      );
      expect(run.summary.trend?.find((p) => p.week_end === iso(2))?.calls).toBeNull();
      expect(verified.status).toBe(1);
      expect(verified.stdout).toContain('removed manifest: manifest.json is missing');
    });
  });

  it('fetches every archived week when the key cannot be used: only the archive channel fails, and verify cannot verify', async () => {
    // Prepare
    const h = harness();
    const env = signedEnv(h);
    const org = env.ORG_NAME as string;
    await copyHistory(history.org, org);
    h.kms.denyAccess(true);
    try {
      // Act
      const { run, error } = await runWeek(h, env, WEEK_ENDS[4] as Date);
      const verified = await verify(org);

      // Assess
      expect((error as DeliveryError).failedChannels).toEqual(['archive']);
      expect(run.channels.map((c) => [c.channel, c.outcome])).toEqual([
        ['archive', 'failed'],
        ['email', 'delivered'],
        ['slack', 'delivered'],
        ['slack_thread', 'delivered'],
      ]);
      expect(essentials(run.summary)).toEqual(essentials(plain.summary));
      expect(run.summary.baseline?.sources).toEqual({ archive_days: 0, fetched_days: 28 });
      expect(run.summary.warnings.join('\n')).toContain(
        "could not be read from the archive (manifest.json: could not be verified (The archive's MAC key",
      );
      expect(await keysUnder(`${prefixOf(org)}${iso(4)}/`)).toEqual([]);
      expect(verified.status).toBe(1);
      expect(verified.stderr).toContain('report: cannot verify: The archive');
      expect(verified.stderr).toContain('AccessDeniedException');
    } finally {
      h.kms.denyAccess(false);
    }
  });
});
