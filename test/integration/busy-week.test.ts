/**
 * The busy week of issue 23 on the `npm start` path (generated data → the real handler → the
 * stand-ins): the usual week plus one person deleting 30 monitors and a Datadog support user
 * making 40 calls. Every flagged event stays in `anomalies`; each person's flags of a kind are one
 * group, drawn as one card in the email and one line in Slack; the Slack post stays at most 6
 * blocks, and the email under its byte budget. (Its height against the usual week's is measured in
 * Chromium by `npm run test:browser`.)
 */
import { LOCAL_CHANNEL, type LocalRun, runLocalJob } from '../../scripts/lib/local-run';
import { BUSY_DELETER, BUSY_DELETIONS, BUSY_SUPPORT, BUSY_SUPPORT_CALLS, busyWeekEvents } from '../support/busy-week';

describe('a busy week', () => {
  let local: LocalRun;
  const scheduledTime = new Date('2026-11-23T09:00:00Z');

  beforeAll(async () => {
    local = await runLocalJob({ scheduledTime, extraWindowEvents: busyWeekEvents });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('keeps every flagged event and makes one group of each person’s flags of a kind', () => {
    const s = local.run.summary;
    expect(s.anomalies.filter((a) => a.user === BUSY_DELETER.email && a.kind === 'destructive_action')).toHaveLength(
      BUSY_DELETIONS,
    );
    expect(s.anomalies.filter((a) => a.user === BUSY_SUPPORT.email && a.kind === 'support_user')).toHaveLength(
      BUSY_SUPPORT_CALLS,
    );
    const deleter = s.anomaly_groups?.filter((g) => g.person === BUSY_DELETER.email && g.kind === 'destructive_action');
    const support = s.anomaly_groups?.filter((g) => g.person === BUSY_SUPPORT.email && g.kind === 'support_user');
    expect(deleter?.map((g) => [g.count, g.severity, g.resource_types])).toEqual([
      [BUSY_DELETIONS, 'high', [{ type: 'monitor', count: BUSY_DELETIONS }]],
    ]);
    expect(support?.map((g) => [g.count, g.severity])).toEqual([[BUSY_SUPPORT_CALLS, 'high']]);
    expect(s.anomaly_groups?.length).toBeLessThan(s.anomalies.length / 4);
  });

  it('draws one card per group in the email, and one line per group on the Slack post', () => {
    const html = local.run.report.html.replace(/<wbr>/g, '');
    const triage = html.slice(0, html.indexOf('>Tool calls<'));
    // A card is a cell with a severity border; the deleter is also a first-time user (a low line, not a card).
    const cards = triage
      .split('border-left:3px solid')
      .slice(1)
      .map((c) => c.slice(0, c.indexOf('</td>')));
    expect(cards.filter((c) => c.includes(BUSY_DELETER.email))).toHaveLength(1);
    expect(cards.filter((c) => c.includes(BUSY_SUPPORT.email))).toHaveLength(1);
    expect(triage).toContain(`${BUSY_DELETIONS} deletions (monitor ×${BUSY_DELETIONS})`);
    expect(triage).toContain(`${BUSY_SUPPORT_CALLS} support-user events (`);
    expect(Buffer.byteLength(local.run.report.html)).toBeLessThan(100_000);
    const [post] = local.slackMessages.filter((m) => m.channel === LOCAL_CHANNEL && m.thread_ts === undefined);
    expect(post?.blocks.length).toBeLessThanOrEqual(6);
    expect(JSON.stringify(post?.blocks).split(BUSY_DELETER.email)).toHaveLength(2);
  });
});
