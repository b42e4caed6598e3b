/**
 * The report archive through the real handler and the real @aws-sdk/client-s3 against s3rver:
 * five consecutive weekly runs build a history, and the fifth run's summary equals that of a run
 * without an archive (flags, counts, baseline, previous week) at a fraction of the Datadog
 * requests; an archive with missing, incomplete, odd-length or corrupt weeks, or a bucket that
 * cannot be read, still gives the same summary (the unusable time is fetched, with a warning);
 * archiving is a channel of its own in the ledger.
 */
import { gzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { reportSlug } from '../../functions/weekly-report/archive/report-archive';
import { decodeArchivedWeek, encodeArchivedWeek } from '../../functions/weekly-report/core/archived-week';
import type { Summary } from '../../functions/weekly-report/core/types';
import { DeliveryError } from '../../functions/weekly-report/errors';
import { createHandler } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { useArchiveBucket } from '../support/archive-bucket';
import { generateScenario } from '../support/generator';
import { type HandlerHarness, useHandlerHarness } from '../support/handler-harness';

const DAY = 86_400_000;
/** Five Monday runs; the fifth reports the generated scenario's week, the first four the weeks before. */
const WEEK_ENDS = [-28, -21, -14, -7, 0].map((d) => new Date(Date.parse('2026-11-23T00:00:00Z') + d * DAY));
const scheduled = (weekEnd: Date): string => new Date(weekEnd.getTime() + 9 * 3_600_000).toISOString();

const harness = useHandlerHarness({
  events: () => {
    // Four weeks of history before the report week, each with its own 28-day baseline: 56 days.
    const scenario = generateScenario({
      seed: 77,
      end: WEEK_ENDS[4] as Date,
      weekEvents: 1500,
      people: 24,
      baselineDays: 56,
    });
    return [...scenario.baseline, ...scenario.window];
  },
});

const archiveBucket = useArchiveBucket(harness);
const { keysUnder, getBytes, put, remove } = archiveBucket;

/** Runs the handler once; returns the full run (summary included) and the Datadog requests it made. */
async function runWeek(
  h: HandlerHarness,
  env: Record<string, string>,
  weekEnd: Date,
): Promise<{ run: RunResult; requests: number }> {
  let run: RunResult | undefined;
  const before = h.datadog.stats.requests;
  const keep = (r: RunResult): void => {
    run = r;
  };
  await createHandler(env, { onResult: keep })({ scheduledTime: scheduled(weekEnd) }, h.lambdaContext());
  if (!run) throw new Error('no run result');
  return { run, requests: h.datadog.stats.requests - before };
}

/** What must not change whether the baseline came from the archive or from Datadog. */
function essentials(summary: Summary) {
  return {
    window: summary.window,
    total_tool_calls: summary.total_tool_calls,
    unique_users: summary.unique_users,
    top_users: summary.top_users,
    anomaly_counts: summary.anomaly_counts,
    anomalies: summary.anomalies,
    baseline_events: summary.baseline?.events,
    previous_window: summary.previous_window,
    complete: summary.complete,
  };
}

/** Copies one report's archive to another report name (a history to damage without touching the original). */
async function copyArchive(fromOrg: string, toOrg: string): Promise<void> {
  const from = `reports/${reportSlug(fromOrg)}/`;
  for (const key of await keysUnder(from)) {
    await put(`reports/${reportSlug(toOrg)}/${key.slice(from.length)}`, await getBytes(key));
  }
}

describe('report archive', () => {
  let history: { org: string; runs: Array<{ run: RunResult; requests: number }> };
  let plain: { run: RunResult; requests: number };

  beforeAll(async () => {
    // The harness keeps the handler's JSON log lines off the output inside each test (beforeEach);
    // these runs come before any test, so they are kept off here, and the spies undone after.
    const quiet = [
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true),
      jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
        jest.spyOn(console, level).mockImplementation(() => undefined),
      ),
    ];
    try {
      const h = harness();
      const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: '', SLACK_CHANNEL: 'C0123456789' });
      const runs: Array<{ run: RunResult; requests: number }> = [];
      for (const weekEnd of WEEK_ENDS) runs.push(await runWeek(h, env, weekEnd));
      history = { org: env.ORG_NAME as string, runs };
      plain = await runWeek(h, h.appEnv({ EMAIL_TO: '', SLACK_CHANNEL: 'C0123456789' }), WEEK_ENDS[4] as Date);
    } finally {
      for (const spy of quiet) spy.mockRestore();
    }
  });

  it('gives the fifth week the summary a run without an archive gives, with at most 40 % of its Datadog requests', () => {
    // Assess
    const fifth = history.runs[4]!;
    expect(essentials(fifth.run.summary)).toEqual(essentials(plain.run.summary));
    expect(fifth.run.summary.baseline?.sources).toEqual({ archive_days: 28, fetched_days: 0 });
    expect(plain.run.summary.baseline?.sources).toEqual({ archive_days: 0, fetched_days: 28 });
    expect(fifth.requests).toBeLessThanOrEqual(0.4 * plain.requests);
    expect(history.runs[0]!.run.summary.baseline?.sources).toEqual({ archive_days: 0, fetched_days: 28 });
    expect(history.runs[2]!.run.summary.baseline?.sources).toEqual({ archive_days: 14, fetched_days: 14 });
  });

  it('archives each run under its window end, six objects a week, before delivering', async () => {
    // Act
    const keys = await keysUnder(`reports/${reportSlug(history.org)}/`);

    // Assess
    expect(keys).toHaveLength(5 * 6);
    for (const weekEnd of WEEK_ENDS) {
      for (const file of ['aggregate.json.gz', 'email.html', 'email.txt', 'point.json', 'slack.json', 'summary.json']) {
        expect(keys).toContain(`reports/${reportSlug(history.org)}/${weekEnd.toISOString()}/${file}`);
      }
    }
    const fifth = history.runs[4]!;
    expect(fifth.run.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['archive', 'delivered'],
      ['slack', 'delivered'],
      ['slack_thread', 'delivered'],
    ]);
    const summary = JSON.parse(
      Buffer.from(
        await getBytes(`reports/${reportSlug(history.org)}/${WEEK_ENDS[4]?.toISOString()}/summary.json`),
      ).toString(),
    ) as Summary;
    expect(summary).toEqual(JSON.parse(JSON.stringify(fifth.run.summary)));
  });

  it('keeps one layout on record: the summary as plain JSON in summary.json, the trend point beside it', async () => {
    // Act
    const key = `reports/${reportSlug(history.org)}/${WEEK_ENDS[4]?.toISOString()}`;
    const summary = await archiveBucket
      .client()
      .send(new GetObjectCommand({ Bucket: harness().s3.bucket, Key: `${key}/summary.json` }));
    const bytes = (await summary.Body?.transformToByteArray()) ?? new Uint8Array();
    const point = JSON.parse(Buffer.from(await getBytes(`${key}/point.json`)).toString());

    // Assess: not gzip (no 1f 8b), JSON as it is, served as JSON.
    expect([bytes[0], bytes[1]]).not.toEqual([0x1f, 0x8b]);
    expect(summary.ContentType).toBe('application/json; charset=utf-8');
    expect(summary.ContentEncoding).toBeUndefined();
    expect(JSON.parse(Buffer.from(bytes).toString('utf8')).schema).toBe(1);
    const fifth = history.runs[4]!.run.summary;
    const groups = fifth.anomaly_groups ?? [];
    expect(groups.length).toBeGreaterThan(0);
    expect(fifth.ai_activity).toBeDefined();
    expect(point).toEqual({
      kind: 'ai-activity-audit.trend-point',
      schema: 2,
      window: fifth.window,
      timezone: 'UTC',
      calls: fifth.total_tool_calls,
      people: fifth.unique_users,
      anomalies: fifth.trend?.[4]?.anomalies,
      complete: true,
      ai_activity: { total: fifth.ai_activity?.total, autonomous: fifth.ai_activity?.autonomous },
      // Every group of the week (fewer than 500, each person under 64 characters), in the summary's order.
      groups: {
        total: groups.length,
        items: groups.map((g) => ({ id: g.id, kind: g.kind, person: g.person, severity: g.severity, weeks: g.weeks })),
      },
    });
  });

  it('shows a 12-week trend from the archived summaries, starting at the oldest archived week', () => {
    // Assess
    const trend = history.runs[4]!.run.summary.trend ?? [];
    expect(trend.map((p) => p.week_end)).toEqual(WEEK_ENDS.map((d) => d.toISOString()));
    expect(trend.map((p) => p.calls)).toEqual(history.runs.map((r) => r.run.summary.total_tool_calls));
    expect(trend.every((p) => p.anomalies !== null && p.complete === true)).toBe(true);
    expect(history.runs[0]!.run.summary.trend).toHaveLength(1);
  });

  describe('an archive that cannot be trusted gives the same summary, its time fetched instead', () => {
    const slugOf = (org: string) => `reports/${reportSlug(org)}/`;
    const at = (org: string, i: number, file: string) => `${slugOf(org)}${WEEK_ENDS[i]?.toISOString()}/${file}`;

    async function fifthRunWith(damage: (org: string) => Promise<void>, extraEnv: Record<string, string> = {}) {
      const h = harness();
      const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: '', SLACK_CHANNEL: 'C0123456789', ...extraEnv });
      const org = env.ORG_NAME as string;
      await copyArchive(history.org, org);
      // The copy holds the fifth week too: the run under test writes it again.
      for (const key of await keysUnder(`${slugOf(org)}${WEEK_ENDS[4]?.toISOString()}/`)) {
        await remove(key);
      }
      await damage(org);
      return runWeek(h, env, WEEK_ENDS[4] as Date);
    }

    async function rewriteWeek(
      org: string,
      i: number,
      change: (json: Record<string, unknown>) => void,
      fixChecksum: boolean,
    ) {
      const week = decodeArchivedWeek(
        (await import('node:zlib')).gunzipSync(await getBytes(at(org, i, 'aggregate.json.gz'))).toString(),
      );
      const json = JSON.parse(encodeArchivedWeek(week)) as Record<string, unknown>;
      change(json);
      if (fixChecksum) {
        const { kind, schema, checksum: _old, ...content } = json;
        const { createHash } = await import('node:crypto');
        json.checksum = `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
        Object.assign(json, { kind, schema });
      }
      await put(at(org, i, 'aggregate.json.gz'), gzipSync(JSON.stringify(json)));
    }

    it.each([
      [
        'a missing week',
        async (org: string) => {
          for (const key of await keysUnder(`${slugOf(org)}${WEEK_ENDS[1]?.toISOString()}/`)) {
            await remove(key);
          }
        },
        7,
      ],
      [
        'an incomplete week',
        (org: string) =>
          rewriteWeek(
            org,
            2,
            (j) => {
              j.complete = false;
            },
            true,
          ),
        7,
      ],
      ['a week that is not gzip', (org: string) => put(at(org, 0, 'aggregate.json.gz'), 'not gzip at all'), 7],
      ['a week that is not JSON', (org: string) => put(at(org, 1, 'aggregate.json.gz'), gzipSync('{"kind": oops')), 7],
      [
        'a week with a wrong checksum',
        (org: string) =>
          rewriteWeek(
            org,
            3,
            (j) => {
              (j.data as { total: number }).total += 1;
            },
            false,
          ),
        7,
      ],
      [
        'a week of an unknown schema version',
        (org: string) =>
          rewriteWeek(
            org,
            2,
            (j) => {
              j.schema = 99;
            },
            true,
          ),
        7,
      ],
    ] as const)('with %s', async (_name, damage, fetchedDays) => {
      // Act
      const fifth = await fifthRunWith(damage);

      // Assess
      expect(essentials(fifth.run.summary)).toEqual(essentials(plain.run.summary));
      expect(fifth.run.summary.baseline?.sources).toEqual({
        archive_days: 28 - fetchedDays,
        fetched_days: fetchedDays,
      });
      if (!_name.includes('missing') && !_name.includes('incomplete')) {
        expect(fifth.run.summary.warnings.join('\n')).toMatch(
          /The week ending \d+ \w+ 2026 could not be read from the archive \(aggregate\.json\.gz: .+\): fetched from Datadog\./,
        );
      }
    });

    it('with a week of another window length: a 14-day aggregate over the two weeks before is not split, both are fetched', async () => {
      // Act: replace weeks 3 and 4 with one aggregate of both (as a run with windowDays=14 would have archived).
      const fifth = await fifthRunWith(async (org) => {
        const { gunzipSync } = await import('node:zlib');
        const [w3, w4] = await Promise.all(
          [2, 3].map(async (i) =>
            decodeArchivedWeek(gunzipSync(await getBytes(at(org, i, 'aggregate.json.gz'))).toString()),
          ),
        );
        const merged = { ...w4!, window: { from: w3!.window.from, to: w4!.window.to }, total: w3!.total + w4!.total };
        for (const i of [2, 3]) {
          for (const key of await keysUnder(`${slugOf(org)}${WEEK_ENDS[i]?.toISOString()}/`)) {
            await remove(key);
          }
        }
        await put(at(org, 3, 'aggregate.json.gz'), gzipSync(encodeArchivedWeek(merged)));
      });

      // Assess
      expect(essentials(fifth.run.summary)).toEqual(essentials(plain.run.summary));
      expect(fifth.run.summary.baseline?.sources).toEqual({ archive_days: 14, fetched_days: 14 });
    });

    it('with a bucket that cannot be read: everything is fetched, the summary says so, and only the archive channel fails', async () => {
      // Prepare
      const h = harness();
      const env = h.appEnv({ ARCHIVE_BUCKET: 'no-such-bucket-here', EMAIL_TO: '', SLACK_CHANNEL: 'C0123456789' });

      // Act
      const error = await createHandler(env)(
        { scheduledTime: scheduled(WEEK_ENDS[4] as Date) },
        h.lambdaContext(),
      ).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).failedChannels).toEqual(['archive']);
      const summary = (error as DeliveryError).run?.summary as Summary;
      expect(essentials(summary)).toEqual(essentials(plain.run.summary));
      expect(summary.warnings.join('\n')).toMatch(
        /The report archive could not be read, so the whole baseline was fetched from Datadog \(.*NoSuchBucket/,
      );
      expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(1);
    });
  });

  it('retries a failed archive write without sending the email or the Slack post again', async () => {
    // Prepare: the first attempt writes to a bucket that does not exist yet.
    const h = harness();
    const env = h.appEnv({ ARCHIVE_BUCKET: 'archive-made-late' });
    const first = await createHandler(env)({ scheduledTime: scheduled(WEEK_ENDS[4] as Date) }, h.lambdaContext()).catch(
      (e: unknown) => e,
    );
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    await archiveBucket.client().send(new CreateBucketCommand({ Bucket: 'archive-made-late' }));

    // Act
    const retry = await createHandler(env)({ scheduledTime: scheduled(WEEK_ENDS[4] as Date) }, h.lambdaContext());

    // Assess
    expect((first as DeliveryError).failedChannels).toEqual(['archive']);
    expect(retry.channels).toEqual([
      { channel: 'archive', outcome: 'delivered' },
      { channel: 'email', outcome: 'skipped_already_delivered' },
      { channel: 'slack', outcome: 'skipped_already_delivered' },
      { channel: 'slack_thread', outcome: 'skipped_already_delivered' },
    ]);
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(h.repliesOf(env.ORG_NAME as string)).toHaveLength(1);
  });
});
