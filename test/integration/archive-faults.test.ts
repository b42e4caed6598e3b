/**
 * Issue 27's archive faults through the real handler, the real @aws-sdk/client-s3 against s3rver
 * and the other stand-ins (Datadog audit and Teams APIs, SES, DynamoDB, Slack), each on 127.0.0.1:
 * - a damaged `summary.json` (anomalies an object, a string total) or `point.json`: the report is
 *   delivered, the bad week is a gap in the trend and a warning names it and the object; no raw
 *   value reaches the email or the post;
 * - a gzip bomb as a week's `aggregate.json.gz`: left out under its cap, named, its time fetched,
 *   the figures unchanged;
 * - a team whose membership changed: its report's figures equal a full fetch with today's members
 *   (weeks archived with the old membership are fetched again, those with today's are folded in),
 *   and the summary says which membership it counted;
 * - a run retried after the Slack post failed: the post is the archived rendering, byte for byte,
 *   not the retry's recomputation; an unusable archived rendering falls back to the recomputed one
 *   with a warning.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { reportSlug } from '../../functions/weekly-report/archive/report-archive';
import { normalizeEvent } from '../../functions/weekly-report/core/normalize';
import type { Summary } from '../../functions/weekly-report/core/types';
import { DeliveryError } from '../../functions/weekly-report/errors';
import { createHandler } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { useArchiveBucket } from '../support/archive-bucket';
import type { EmulatedTeam } from '../support/datadog-teams-emulator';
import { generateScenario, outerTime } from '../support/generator';
import {
  CHANNEL,
  type HandlerHarness,
  logLines,
  SECRET_ID,
  TABLE,
  useHandlerHarness,
} from '../support/handler-harness';

const DAY = 86_400_000;
/** Five Monday runs; the fifth reports the scenario's week, the first four the weeks before. */
const WEEK_ENDS = [-28, -21, -14, -7, 0].map((d) => new Date(Date.parse('2026-11-23T00:00:00Z') + d * DAY));
const scheduled = (weekEnd: Date): string => new Date(weekEnd.getTime() + 9 * 3_600_000).toISOString();

const scenario = generateScenario({
  seed: 2727,
  end: WEEK_ENDS[4] as Date,
  weekEvents: 900,
  people: 24,
  baselineDays: 56,
});
const EVENTS = [...scenario.baseline, ...scenario.window];
/** The teams the Teams API serves: a copy whose members a test may change between runs. */
const TEAMS: Array<{ handle: string; id: string; name: string; members: EmulatedTeam['members'][number][] }> =
  scenario.teams.map((t) => ({ ...t, members: [...t.members] }));

const harness = useHandlerHarness({ events: () => EVENTS, teams: TEAMS });

const { keysUnder, getBytes, getText, put, remove } = useArchiveBucket(harness);

const keyOf = (report: string, weekEnd: Date, file: string) =>
  `reports/${reportSlug(report)}/${weekEnd.toISOString()}/${file}`;

/** One invocation for the week ending `weekEnd`: every report's run (a failed channel's too), and what it logged. */
async function invoke(
  h: HandlerHarness,
  env: Record<string, string>,
  weekEnd: Date,
): Promise<{ runs: Map<string, RunResult>; error?: unknown; logs: Array<Record<string, unknown>> }> {
  const runs = new Map<string, RunResult>();
  const { output, result } = await h.captureOutput(() =>
    createHandler(env, {
      onResult: (run, report) => {
        runs.set(report, run);
      },
    })({ scheduledTime: scheduled(weekEnd) }, h.lambdaContext()),
  );
  const failed = result.status === 'rejected' ? deliveryErrorOf(result.reason) : undefined;
  if (failed?.run) runs.set('(failed)', failed.run);
  return {
    runs,
    ...(result.status === 'rejected' ? { error: result.reason } : {}),
    logs: logLines(output),
  };
}

/** The DeliveryError in `error` or its causes (the invocation may name the report around it). */
function deliveryErrorOf(error: unknown): DeliveryError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof DeliveryError) return e;
  return undefined;
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

/** The one run of an invocation with one report. */
function only(runs: Map<string, RunResult>): RunResult {
  const [run] = [...runs.values()];
  if (!run) throw new Error('no run');
  return run;
}

describe('an org-wide report over a damaged archive', () => {
  let env: Record<string, string>;
  let org: string;
  let plain: RunResult;

  beforeAll(async () => {
    const h = harness();
    env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: 'ana@example.com', SLACK_CHANNEL: CHANNEL });
    org = env.ORG_NAME as string;
    for (const weekEnd of WEEK_ENDS.slice(0, 4)) {
      const { error } = await invoke(h, env, weekEnd);
      expect(error).toBeUndefined();
    }
    plain = only((await invoke(h, h.appEnv({ EMAIL_TO: '', SLACK_CHANNEL: CHANNEL }), WEEK_ENDS[4] as Date)).runs);
  });

  /** A copy of the four archived weeks under a new report name, damaged by `damage`, then the fifth week run over it. */
  async function fifthOver(damage: (report: string) => Promise<void>) {
    const h = harness();
    const copyEnv = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: 'ana@example.com', SLACK_CHANNEL: CHANNEL });
    const copy = copyEnv.ORG_NAME as string;
    const from = `reports/${reportSlug(org)}/`;
    for (const key of await keysUnder(from)) {
      await put(`reports/${reportSlug(copy)}/${key.slice(from.length)}`, await getBytes(key));
    }
    await damage(copy);
    const result = await invoke(h, copyEnv, WEEK_ENDS[4] as Date);
    return { ...result, report: copy, emails: await h.emailsOf(copy), posts: h.postsOf(copy) };
  }

  it('delivers the report when summaries of weeks archived before points are damaged, naming each bad week', async () => {
    // Act: weeks 2 and 3 as archived before point.json existed, each summary damaged.
    const fifth = await fifthOver(async (report) => {
      for (const i of [1, 2]) await remove(keyOf(report, WEEK_ENDS[i] as Date, 'point.json'));
      const second = JSON.parse(await getText(keyOf(report, WEEK_ENDS[1] as Date, 'summary.json')));
      second.anomalies = { high: 2, medium: 1 };
      await put(keyOf(report, WEEK_ENDS[1] as Date, 'summary.json'), JSON.stringify(second));
      const third = JSON.parse(await getText(keyOf(report, WEEK_ENDS[2] as Date, 'summary.json')));
      third.total_tool_calls = 'lots';
      await put(keyOf(report, WEEK_ENDS[2] as Date, 'summary.json'), JSON.stringify(third));
    });

    // Assess
    expect(fifth.error).toBeUndefined();
    const run = only(fifth.runs);
    expect(run.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['archive', 'delivered'],
      ['email', 'delivered'],
      ['slack', 'delivered'],
      ['slack_thread', 'delivered'],
    ]);
    expect(essentials(run.summary)).toEqual(essentials(plain.summary));
    const trend = run.summary.trend ?? [];
    expect(trend.map((p) => p.week_end)).toEqual(WEEK_ENDS.map((d) => d.toISOString()));
    expect(trend.map((p) => p.calls === null)).toEqual([false, true, true, false, false]);
    expect(run.summary.warnings).toEqual(
      expect.arrayContaining([
        'The week ending 1 Nov 2026 could not be read from the archive (summary.json: anomalies is not a list): left out of the trend.',
        'The week ending 8 Nov 2026 could not be read from the archive (summary.json: total_tool_calls is not a whole number): left out of the trend.',
      ]),
    );
    // Nothing raw of the damaged weeks reaches a reader.
    const sent = [fifth.emails[0]?.html ?? '', fifth.emails[0]?.text ?? '', JSON.stringify(fifth.posts[0])].join('\n');
    expect(fifth.emails).toHaveLength(1);
    expect(fifth.posts).toHaveLength(1);
    expect(sent).not.toMatch(/lots|NaN|undefined|\[object Object\]/);
    expect(fifth.logs.filter((l) => l.message === 'archive_week_unusable')).toHaveLength(2);
  });

  it('leaves a week with a damaged point.json out of the trend, naming it', async () => {
    // Act
    const fifth = await fifthOver(async (report) => {
      const point = JSON.parse(await getText(keyOf(report, WEEK_ENDS[3] as Date, 'point.json')));
      await put(keyOf(report, WEEK_ENDS[3] as Date, 'point.json'), JSON.stringify({ ...point, people: -3 }));
    });

    // Assess
    expect(fifth.error).toBeUndefined();
    const run = only(fifth.runs);
    expect(run.summary.trend?.map((p) => p.people === null)).toEqual([false, false, false, true, false]);
    expect(run.summary.warnings).toContain(
      'The week ending 15 Nov 2026 could not be read from the archive (point.json: people is not a whole number): left out of the trend.',
    );
  });

  it('skips a gzip bomb in aggregate.json.gz under its cap, names it, and fetches its week with the same figures', async () => {
    // Prepare: 1 GiB of zeros, gzipped to about a megabyte, as the aggregate of the week ending 1 Nov.
    const bomb = await gzipOfZeros(1 << 30);
    expect(bomb.length).toBeLessThan(2_000_000);

    // Act
    const before = process.memoryUsage().rss;
    const fifth = await fifthOver((report) => put(keyOf(report, WEEK_ENDS[1] as Date, 'aggregate.json.gz'), bomb));
    const grown = process.memoryUsage().rss - before;

    // Assess
    expect(fifth.error).toBeUndefined();
    const run = only(fifth.runs);
    expect(essentials(run.summary)).toEqual(essentials(plain.summary));
    expect(run.summary.baseline?.sources).toEqual({ archive_days: 21, fetched_days: 7 });
    expect(run.summary.warnings).toContain(
      'The week ending 1 Nov 2026 could not be read from the archive (aggregate.json.gz: decompresses to more than 32.0 MB, the cap): fetched from Datadog.',
    );
    // Bounded: nowhere near the gigabyte it would decompress to (the run itself, a few tens of MB).
    expect(grown).toBeLessThan(300_000_000);
  });
});

/** `size` zero bytes, gzipped as a stream (the bomb is never whole in memory here either). */
async function gzipOfZeros(size: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(1 << 24);
  for (let written = 0; written < size; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

describe('a team report after its membership changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'team-archive-'));
  let counter = 0;

  /** A deployment of one report of team sre (REPORTS_FILE), archived or not. */
  function teamDeployment(archived: boolean): { env: Record<string, string>; name: string } {
    counter++;
    const h = harness();
    const name = `sre-${counter}`;
    const path = join(dir, `reports-${counter}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        schema: 1,
        reports: [
          {
            name,
            orgName: `Team ${counter}`,
            datadogSite: 'datadoghq.com',
            secretName: SECRET_ID,
            timezone: 'UTC',
            window: 'calendar',
            slackChannel: CHANNEL,
            scope: { teams: ['sre'] },
          },
        ],
      }),
    );
    return {
      name,
      env: {
        REPORTS_FILE: path,
        IDEMPOTENCY_TABLE: TABLE,
        DD_API_URL: h.datadog.url,
        SLACK_API_URL: h.slack.url,
        ...(archived ? { ARCHIVE_BUCKET: h.s3.bucket } : {}),
      },
    };
  }

  /** Calls in the scenario by person key, over `[from, to)`. */
  function callsBy(from: number, to: number): Map<string, number> {
    const calls = new Map<string, number>();
    for (const e of EVENTS) {
      const t = outerTime(e);
      if (t === undefined || t < from || t >= to) continue;
      const key = normalizeEvent(e).personKey;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    }
    return calls;
  }

  it('gives figures equal to a full fetch with today’s members, folding only the weeks archived with them', async () => {
    // Prepare: the busiest member of sre leaves after week 2 and the busiest non-member joins, so
    // that a baseline mixing memberships would count other calls.
    const sre = TEAMS.find((t) => t.handle === 'sre');
    if (!sre) throw new Error('no team sre');
    const original = [...sre.members];
    const baselineCalls = callsBy(WEEK_ENDS[0]!.getTime() - 7 * DAY, WEEK_ENDS[4]!.getTime());
    const busiest = (ids: string[]) =>
      [...ids].sort((a, b) => (baselineCalls.get(`id:${b}`) ?? 0) - (baselineCalls.get(`id:${a}`) ?? 0))[0] as string;
    const leaver = busiest(original.map((m) => m.id));
    const memberIds = new Set(original.map((m) => m.id));
    const people = new Map(TEAMS.flatMap((t) => t.members).map((m) => [m.id, m]));
    const joinerId = busiest([...people.keys()].filter((id) => !memberIds.has(id)));
    const joiner = people.get(joinerId);
    expect(baselineCalls.get(`id:${leaver}`)).toBeGreaterThan(0);
    expect(joiner && baselineCalls.get(`id:${joiner.id}`)).toBeGreaterThan(0);
    const h = harness();
    const archived = teamDeployment(true);

    try {
      // Act: weeks 1 and 2 with the first membership, weeks 3 to 5 with the second.
      for (const weekEnd of WEEK_ENDS.slice(0, 2))
        expect((await invoke(h, archived.env, weekEnd)).error).toBeUndefined();
      sre.members = [...original.filter((m) => m.id !== leaver), joiner as (typeof original)[number]];
      for (const weekEnd of WEEK_ENDS.slice(2, 4))
        expect((await invoke(h, archived.env, weekEnd)).error).toBeUndefined();
      const fifth = await invoke(h, archived.env, WEEK_ENDS[4] as Date);
      const full = await invoke(h, teamDeployment(false).env, WEEK_ENDS[4] as Date);

      // Assess
      expect(fifth.error).toBeUndefined();
      const summary = only(fifth.runs).summary;
      const fetched = only(full.runs).summary;
      expect(essentials(summary)).toEqual(essentials(fetched));
      expect(summary.baseline?.sources).toEqual({ archive_days: 14, fetched_days: 14 });
      expect(summary.warnings).toEqual(
        expect.arrayContaining([
          `The membership of team sre changed since the week ending 25 Oct 2026 was archived, so that week was fetched from Datadog with today's ${sre.members.length} people.`,
          `The membership of team sre changed since the week ending 1 Nov 2026 was archived, so that week was fetched from Datadog with today's ${sre.members.length} people.`,
        ]),
      );
      expect(summary.scope).toEqual({
        label: 'team sre',
        membership: { people: sre.members.length, fingerprint: expect.stringMatching(/^sha256:/), read: 'at run time' },
      });
      // The test can fail: the old membership's weeks hold other figures than today's.
      const oldWeek = JSON.parse(await getText(keyOf(archived.name, WEEK_ENDS[1] as Date, 'point.json')));
      const third = only((await invoke(h, teamDeployment(false).env, WEEK_ENDS[1] as Date)).runs).summary;
      expect(oldWeek.calls).not.toBe(third.total_tool_calls);
    } finally {
      sre.members = original;
    }
  });
});

describe('a run retried after the Slack post failed', () => {
  it('posts the archived rendering, byte for byte, not the retry’s recomputation', async () => {
    // Prepare: the first attempt reads the window with an outage on its first day (a partial
    // report, archived and e-mailed) and Slack refuses the post.
    const h = harness();
    const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: 'ana@example.com', SLACK_CHANNEL: CHANNEL });
    const org = env.ORG_NAME as string;
    const weekEnd = WEEK_ENDS[4] as Date;
    h.datadog.setFaults({ failRange: { from: weekEnd.getTime() - 7 * DAY, to: weekEnd.getTime() - 6 * DAY } });
    h.slack.failAlways({ kind: 'error', error: 'channel_not_found' });
    const first = await invoke(h, env, weekEnd);
    h.datadog.setFaults({});
    h.slack.clearFaults();

    // Act: the retry reads the whole window now.
    const retry = await invoke(h, env, weekEnd);

    // Assess
    expect(deliveryErrorOf(first.error)?.failedChannels).toEqual(['slack']);
    expect(retry.error).toBeUndefined();
    const recomputed = only(retry.runs);
    expect(recomputed.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['archive', 'skipped_already_delivered'],
      ['email', 'skipped_already_delivered'],
      ['slack', 'delivered'],
      ['slack_thread', 'delivered'],
    ]);
    const archivedSlack = await getText(keyOf(org, weekEnd, 'slack.json'));
    const archivedSummary = JSON.parse(await getText(keyOf(org, weekEnd, 'summary.json'))) as Summary;
    const posts = h.postsOf(org);
    expect(posts).toHaveLength(1);
    const { channel, text, blocks } = posts[0]!;
    type Args = { channel: string; text: string; blocks: unknown[] };
    const archived = JSON.parse(archivedSlack) as { post: Args; thread: Args[] };
    const onRecord = archived.post;
    expect(JSON.stringify({ channel, text, blocks })).toBe(
      JSON.stringify({ channel: onRecord.channel, text: onRecord.text, blocks: onRecord.blocks }),
    );
    // The thread reply too: the archived one, in the post's thread.
    const replies = h.repliesOf(org);
    expect(replies).toHaveLength(1);
    expect(archived.thread).toHaveLength(1);
    expect(replies[0]?.thread_ts).toBe(posts[0]?.ts);
    expect(JSON.stringify({ channel: replies[0]?.channel, text: replies[0]?.text, blocks: replies[0]?.blocks })).toBe(
      JSON.stringify({
        channel: archived.thread[0]?.channel,
        text: archived.thread[0]?.text,
        blocks: archived.thread[0]?.blocks,
      }),
    );
    expect(JSON.stringify(recomputed.report.slack.thread[0]?.blocks)).not.toBe(JSON.stringify(replies[0]?.blocks));
    // …and it is the first attempt's report, which the retry's is not.
    expect(archivedSummary.complete).toBe(false);
    expect(recomputed.summary.complete).toBe(true);
    expect(JSON.stringify(recomputed.report.slack.post.blocks)).not.toBe(JSON.stringify(blocks));
    expect(retry.logs.some((l) => l.message === 'sending_archived_rendering')).toBe(true);
    expect(await h.emailsOf(org)).toHaveLength(1);
  });

  it('sends the recomputed rendering, with a warning, when the archived one cannot be read', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ ARCHIVE_BUCKET: h.s3.bucket, EMAIL_TO: '', SLACK_CHANNEL: CHANNEL });
    const org = env.ORG_NAME as string;
    const weekEnd = WEEK_ENDS[4] as Date;
    h.slack.failAlways({ kind: 'error', error: 'channel_not_found' });
    await invoke(h, env, weekEnd);
    h.slack.clearFaults();
    await put(
      keyOf(org, weekEnd, 'slack.json'),
      JSON.stringify({ post: { channel: CHANNEL, text: 'x', blocks: 'none', unfurl_links: false }, thread: [] }),
    );

    // Act
    const retry = await invoke(h, env, weekEnd);

    // Assess
    expect(retry.error).toBeUndefined();
    const warning = retry.logs.find((l) => l.message === 'archived_rendering_unusable');
    expect(warning?.error).toBe('slack.json: post.blocks is not a list');
    const posts = h.postsOf(org);
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]?.blocks)).toBe(JSON.stringify(only(retry.runs).report.slack.post.blocks));
  });
});
