/**
 * The `npm start` path as a test: generated Datadog data → the real handler → SES and Slack
 * emulators, checked through the emulators' own APIs.
 */
import { LOCAL_CHANNEL, type LocalRun, lastScheduledTime, runLocalJob, SRE_CHANNEL } from '../../scripts/lib/local-run';
import { generateScenario } from '../support/generator';

describe('end to end on local stand-ins', () => {
  let local: LocalRun;
  const scheduledTime = new Date('2026-11-23T09:00:00Z');

  beforeAll(async () => {
    local = await runLocalJob({ scheduledTime, recipients: ['sec@example.com', 'ops@example.com'] });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('delivers one email with the report to every recipient, HTML and text', () => {
    expect(local.emails).toHaveLength(1);
    const email = local.emails[0]!;
    expect(email.to).toEqual(['sec@example.com', 'ops@example.com']);
    expect(email.subject).toMatch(/^AI Activity Audit — Example Org — 2026-11-16 to 2026-11-22 — \d+ anomalies$/);
    const total = local.run.summary.total_tool_calls;
    expect(email.text).toContain(`Total MCP tool calls: ${total}\n`);
    expect(email.html).toContain(total.toLocaleString('en-US'));
    expect(email.html).not.toMatch(/<script/i);
  });

  it('posts once to the Slack channel within Block Kit limits, its details in one reply in its thread, with every anomaly kind counted', () => {
    const messages = local.slackMessages.filter((m) => m.channel === LOCAL_CHANNEL);
    const posts = messages.filter((m) => m.thread_ts === undefined);
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.blocks.length).toBeLessThanOrEqual(6);
    expect(post.text).toContain('Example Org');
    const replies = messages.filter((m) => m.thread_ts !== undefined);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.thread_ts).toBe(post.ts);
    expect(replies[0]!.blocks.length).toBeGreaterThan(0);
    expect(replies[0]!.blocks.length).toBeLessThanOrEqual(50);
    for (const count of Object.values(local.run.summary.anomaly_counts)) expect(count).toBeGreaterThan(0);
  });

  it('reports the calendar week before the day the schedule fired, complete, with the baseline used', () => {
    const s = local.run.summary;
    expect(s.window).toEqual({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
    const security = local.result.reports.find((r) => r.report === 'security');
    expect(security?.window).toEqual(s.window);
    expect(s.complete).toBe(true);
    expect(s.baseline?.events).toBeGreaterThan(0);
    expect((security?.channels ?? []).map((c) => `${c.channel}:${c.outcome}`)).toEqual([
      'archive:delivered',
      'email:delivered',
      'slack:delivered',
      'slack_thread:delivered',
      'teams:delivered',
    ]);
  });

  it('posts one valid Adaptive Card to the Teams workflow stand-in, within its size limit', () => {
    expect(local.teamsPosts).toHaveLength(1);
    const post = local.teamsPosts[0]!;
    expect(post.problems).toEqual([]);
    expect(post.bytes).toBeLessThanOrEqual(20_000);
    expect(post.message).toEqual(local.run.report.teams);
    expect(JSON.stringify(post.message)).toContain('AI Activity Audit — Example Org');
  });

  it('builds this week on the four archived weeks before it: the whole baseline from the archive, and a trend', () => {
    const s = local.run.summary;
    expect(s.baseline?.sources).toEqual({ archive_days: 28, fetched_days: 0 });
    expect(s.trend?.map((p) => p.week_end)).toEqual(
      [28, 21, 14, 7, 0].map((d) => new Date(Date.parse('2026-11-23T00:00:00Z') - d * 86_400_000).toISOString()),
    );
  });

  it('reads tools and clients from the metric and flags the one planted new MCP client', () => {
    const s = local.run.summary;
    expect(s.tool_usage?.status).toBe('ok');
    expect(s.tools?.length).toBeGreaterThan(10);
    expect(s.clients?.length).toBeGreaterThanOrEqual(3);
    // The case the generator planted for the week npm start reports (seed 2026).
    const { clientPerson, newClient } = generateScenario({ seed: 2026, end: new Date(s.window.to) }).planted;
    expect(s.anomaly_counts.new_client).toBe(1);
    const flag = s.anomalies.find((a) => a.kind === 'new_client');
    expect(flag).toMatchObject({ user: clientPerson.email, client: newClient, severity: 'low', count: 5 });
  });

  it("runs the sre team's report from the same fetch: its people only, posted to its own channel", () => {
    expect(local.result.reports.map((r) => r.report)).toEqual(['security', 'sre']);
    const org = local.run.summary;
    const team = local.runs.get('sre')!.summary;
    expect(team.scope?.label).toMatch(/sre/);
    expect(team.window).toEqual(org.window);
    expect(team.complete).toBe(true);
    expect(team.total_tool_calls).toBeGreaterThan(0);
    expect(team.total_tool_calls).toBeLessThan(org.total_tool_calls);
    expect(team.unique_users).toBeLessThan(org.unique_users);
    // Every person in the team's report is in the org-wide one, with the same count.
    const orgUsers = new Map(org.top_users.map((u) => [u.user, u.calls]));
    for (const u of team.top_users) if (orgUsers.has(u.user)) expect(u.calls).toBe(orgUsers.get(u.user));
    const sre = local.result.reports.find((r) => r.report === 'sre');
    expect(sre?.channels.map((c) => `${c.channel}:${c.outcome}`)).toEqual([
      'archive:delivered',
      'slack:delivered',
      'slack_thread:delivered',
    ]);
    const messages = local.slackMessages.filter((m) => m.channel === SRE_CHANNEL);
    const posts = messages.filter((m) => m.thread_ts === undefined);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.text).toContain('sre');
    const replies = messages.filter((m) => m.thread_ts !== undefined);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.thread_ts).toBe(posts[0]!.ts);
    // No email configured for the team: the one email is the org-wide report's.
    expect(local.emails).toHaveLength(1);
  });

  it('finds the schedule firing before a moment', () => {
    expect(lastScheduledTime(Date.parse('2026-11-26T14:00:00Z')).toISOString()).toBe('2026-11-23T09:00:00.000Z');
    expect(lastScheduledTime(Date.parse('2026-11-23T08:59:00Z')).toISOString()).toBe('2026-11-16T09:00:00.000Z');
  });
});
