/**
 * The triage over archived weeks, through the real handler, the real S3 client against s3rver and
 * the Datadog audit emulator: four weekly runs of one report (the four weeks before this one, so
 * the exception's day is checked at cold start against today's date whatever day the test runs)
 * whose `exceptions` accept one group until the last day of the third week. Week by week:
 * - Dana deletes a monitor in weeks 2, 3 and 4: `new`, then `recurring` for 2 and 3 weeks;
 * - Eli deletes a dashboard in week 2 only: in week 3 his group is in `resolved_groups`;
 * - Fatima deletes a notebook in weeks 2, 3 and 4: accepted (no card, one "accepted" line) while
 *   the exception holds (weeks ending 8 and 15 Nov), then back as a card saying it expired;
 * - week 1 has no previous report to compare with, and says so.
 * The point.json of each week holds its groups (schema 2), read back by the next week's run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { reportSlug } from '../../functions/weekly-report/archive/report-archive';
import { localDate } from '../../functions/weekly-report/core/time';
import type { AnomalyGroup, Summary } from '../../functions/weekly-report/core/types';
import { createHandler } from '../../functions/weekly-report/handler';
import { weekName } from '../../functions/weekly-report/pipeline/history';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { auditEvent, person } from '../support/audit-events';
import { LOCAL_CREDENTIALS, TEST_REGION } from '../support/aws-emulators';
import { CHANNEL, SECRET_ID, TABLE, useHandlerHarness } from '../support/handler-harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** This week's Monday 00:00 UTC. */
const THIS_MONDAY = (() => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() - 1);
  return d.getTime();
})();
/** The window ends of the four weekly runs (Mondays, UTC): the four calendar weeks before this one. */
const WEEK_ENDS = [-21, -14, -7, 0].map((d) => THIS_MONDAY + d * DAY);
const iso = (t: number): string => new Date(t).toISOString();
/** The exception holds through the last day of the third week. */
const EXPIRES = localDate(WEEK_ENDS[2]! - 1, 'UTC');

/** Regular people calling every day from 70 days before the first week: each has a baseline, so only the planted deletions flag. */
function regularCalls(): unknown[] {
  const from = WEEK_ENDS[0]! - 77 * DAY;
  const out: unknown[] = [];
  // Each on every type the deletions touch, so none of them is out of scope.
  const types = ['dashboard', 'monitor', 'notebook'];
  for (let t = from, day = 0; t < WEEK_ENDS[3]!; t += DAY, day++) {
    for (const handle of ['dana', 'eli', 'fatima', 'gus']) {
      const type = types[day % types.length] ?? 'dashboard';
      out.push(auditEvent({ at: t + 10 * HOUR, user: person(handle), action: 'accessed', type, id: `${type}-1` }));
    }
  }
  return out;
}

/** A deletion by `handle` on the Wednesday of the week ending `weekEnd`. */
function deletion(handle: string, weekEnd: number, type: string, id: string): unknown {
  return auditEvent({ at: weekEnd - 5 * DAY + 14 * HOUR, user: person(handle), action: 'deleted', type, id });
}

const PLANTED = [
  ...[1, 2, 3].map((w) => deletion('dana', WEEK_ENDS[w]!, 'monitor', `mon-${w}`)),
  deletion('eli', WEEK_ENDS[1]!, 'dashboard', 'dash-1'),
  ...[1, 2, 3].map((w) => deletion('fatima', WEEK_ENDS[w]!, 'notebook', `nb-${w}`)),
];

const harness = useHandlerHarness({ events: () => [...regularCalls(), ...PLANTED] as never });

const EXCEPTION = {
  kind: 'destructive_action',
  user: 'fatima@example.com',
  owner: 'secops@example.com',
  reason: 'notebook clean-up',
  expires: EXPIRES,
};

function groupOf(summary: Summary, who: string): AnomalyGroup | undefined {
  return summary.anomaly_groups?.find((g) => g.person === who);
}

describe('groups tracked week to week over the report archive', () => {
  const runs: RunResult[] = [];
  let org = '';

  beforeAll(async () => {
    const h = harness();
    org = 'Triage Org';
    const dir = mkdtempSync(join(tmpdir(), 'triage-'));
    const path = join(dir, 'reports.json');
    writeFileSync(
      path,
      JSON.stringify({
        schema: 1,
        reports: [
          {
            name: 'default',
            orgName: org,
            datadogSite: 'datadoghq.com',
            secretName: SECRET_ID,
            timezone: 'UTC',
            window: 'calendar',
            slackChannel: CHANNEL,
            exceptions: [EXCEPTION],
          },
        ],
      }),
    );
    const env = {
      REPORTS_FILE: path,
      IDEMPOTENCY_TABLE: TABLE,
      DD_API_URL: h.datadog.url,
      SLACK_API_URL: h.slack.url,
      ARCHIVE_BUCKET: h.s3.bucket,
    };
    const handler = createHandler(env, {
      onResult: (run) => {
        runs.push(run);
      },
    });
    for (const weekEnd of WEEK_ENDS) {
      await handler({ scheduledTime: new Date(weekEnd + 9 * HOUR).toISOString() }, h.lambdaContext());
    }
  });

  it('has no previous week to compare with in the first run, and says so', () => {
    const first = runs[0]?.summary;
    expect(first?.anomaly_groups).toEqual([]);
    expect(first?.group_history).toEqual({
      previous_week_end: null,
      note: `No archived report of ${weekName(iso(WEEK_ENDS[0]! - 7 * DAY), 'UTC')} to compare with: every group is new.`,
    });
  });

  it('says new, then recurring for 2 and 3 weeks, of a group flagged every week', () => {
    // Assess
    expect(runs.map((r) => groupOf(r.summary, 'dana@example.com')).map((g) => g && [g.status, g.weeks])).toEqual([
      undefined,
      ['new', 1],
      ['recurring', 2],
      ['recurring', 3],
    ]);
    const ids = new Set(runs.slice(1).map((r) => groupOf(r.summary, 'dana@example.com')?.id));
    expect(ids.size).toBe(1);
    expect(runs[2]?.summary.group_history).toEqual({ previous_week_end: iso(WEEK_ENDS[1]!) });
  });

  it('lists a group that stopped among the resolved groups, once', () => {
    const eli = (r: RunResult | undefined) => r?.summary.resolved_groups?.filter((g) => g.person === 'eli@example.com');
    expect(groupOf(runs[1]!.summary, 'eli@example.com')?.status).toBe('new');
    expect(eli(runs[2])).toEqual([
      {
        id: groupOf(runs[1]!.summary, 'eli@example.com')?.id,
        kind: 'destructive_action',
        person: 'eli@example.com',
        severity: 'high',
        weeks: 1,
      },
    ]);
    expect(eli(runs[3])).toEqual([]);
    expect(runs[2]?.report.text.replace(/\n\s+/g, ' ')).toContain(
      'Resolved since last week: Destructive action · eli@example.com (flagged last week)',
    );
  });

  it('hides a group an exception accepts until its day, then shows it again saying the exception expired', () => {
    // Assess: accepted in weeks 2 and 3 (the exception's day is the last of week 3), not a card, one line
    for (const run of [runs[1], runs[2]]) {
      const g = groupOf(run!.summary, 'fatima@example.com');
      expect(g?.accepted).toEqual({ owner: 'secops@example.com', reason: 'notebook clean-up', expires: EXPIRES });
      const post = JSON.stringify(run?.report.slack.post.blocks);
      expect(post).not.toContain('fatima@example.com');
      expect(post).toContain(`1 accepted (secops@example.com, until ${EXPIRES})`);
      const html = run?.report.html.replace(/<wbr>/g, '') ?? '';
      // No card: the triage (before the headline figures) names her nowhere.
      expect(html.slice(0, html.indexOf('>Tool calls<'))).not.toContain('fatima@example.com');
      expect(html).toContain(`1 accepted (secops@example.com, until ${EXPIRES})`);
    }
    // Week 4: the exception expired; the group is back, recurring since the first week it was flagged.
    const back = groupOf(runs[3]!.summary, 'fatima@example.com');
    expect(back?.accepted).toBeUndefined();
    expect(back?.exception_expired).toEqual({
      owner: 'secops@example.com',
      reason: 'notebook clean-up',
      expires: EXPIRES,
    });
    expect([back?.status, back?.weeks]).toEqual(['recurring', 3]);
    expect(runs[3]?.report.html.replace(/<wbr>/g, '')).toContain(
      `An exception expired on ${EXPIRES} (owner secops@example.com: notebook clean-up)`,
    );
    expect(JSON.stringify(runs[3]?.report.slack.thread)).toContain(`An exception expired on ${EXPIRES}`);
    // Every flagged event stays in anomalies, accepted or not.
    expect(runs[1]?.summary.anomalies.map((a) => a.user).sort()).toEqual([
      'dana@example.com',
      'eli@example.com',
      'fatima@example.com',
    ]);
  });

  it('keeps each week’s groups, small, in its point.json (schema 2), which the next run reads', async () => {
    // Prepare
    const h = harness();
    const s3 = new S3Client({
      endpoint: h.s3.url,
      forcePathStyle: true,
      region: TEST_REGION,
      credentials: LOCAL_CREDENTIALS,
    });

    // Act
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: h.s3.bucket,
        Key: `reports/${reportSlug(org)}/${iso(WEEK_ENDS[2]!)}/point.json`,
      }),
    );
    const point = JSON.parse((await out.Body?.transformToString()) ?? '{}');
    s3.destroy();

    // Assess
    expect(point.schema).toBe(2);
    expect(point.groups.total).toBe(2);
    expect(point.groups.items.map((g: { person: string; weeks: number }) => [g.person, g.weeks])).toEqual([
      ['dana@example.com', 2],
      ['fatima@example.com', 2],
    ]);
    expect(point.ai_activity).toEqual({ total: expect.any(Number), autonomous: 0 });
    // The trend carries each week's AI figures.
    expect(runs[3]?.summary.trend?.map((p) => p.ai_activity?.total ?? null)).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      runs[3]?.summary.ai_activity?.total,
    ]);
  });
});
