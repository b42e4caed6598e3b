/**
 * Several reports from one deployment, through the real handler and the real clients against the
 * emulators (Datadog audit, metric and Teams APIs; SES; DynamoDB; Slack; S3): a team-scoped report
 * counts exactly the calls of its team's people, its anomalies are a subset of the org-wide
 * report's, the reports of one org and window share one fetch, each is delivered once and a rerun
 * sends neither again; a team that cannot be resolved fails its report and the other is delivered;
 * reports of another org get their own fetch with their own secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportDocumentEntry } from '../../functions/weekly-report/config/report-definitions';
import { normalizeEvent } from '../../functions/weekly-report/core/normalize';
import { callInScope, personScope } from '../../functions/weekly-report/core/scope';
import { DEFAULT_THRESHOLDS } from '../../functions/weekly-report/core/types';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { generateScenario, outerTime } from '../support/generator';
import {
  CHANNEL,
  DD_API_KEY,
  DD_APP_KEY,
  EVENT,
  SECRET_ID,
  SLACK_TOKEN,
  TABLE,
  useHandlerHarness,
  WEEK_END,
} from '../support/handler-harness';

const harness = useHandlerHarness();
/** The harness's scenario, generated again (the generator is deterministic). */
const scenario = generateScenario({ seed: 42, end: WEEK_END, weekEvents: 600, people: 20 });
const WEEK_FROM = WEEK_END.getTime() - 7 * 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'reports-'));
let counter = 0;

/** A REPORTS_FILE of `reports` (each a partial entry over the org-wide defaults) and the env around it. */
function deployment(reports: Array<Partial<ReportDocumentEntry> & { name: string }>): {
  env: Record<string, string>;
  org: string;
} {
  counter++;
  const org = `Multi ${counter}`;
  const path = join(dir, `reports-${counter}.json`);
  const entries = reports.map((r) => ({
    orgName: org,
    datadogSite: 'datadoghq.com',
    secretName: SECRET_ID,
    timezone: 'UTC',
    window: 'calendar',
    thresholds: DEFAULT_THRESHOLDS,
    suppress: [],
    ...r,
    // Every report's ledger keys and archive prefix start with its name: unique per test.
    name: `${r.name}-${counter}`,
  }));
  writeFileSync(path, JSON.stringify({ schema: 1, reports: entries }));
  const h = harness();
  return {
    org,
    env: {
      REPORTS_FILE: path,
      IDEMPOTENCY_TABLE: TABLE,
      ARCHIVE_BUCKET: h.s3.bucket,
      DD_API_URL: h.datadog.url,
      SLACK_API_URL: h.slack.url,
    },
  };
}

/** The calls of the generated week whose responsible person is in `handle`'s team. */
function teamCalls(handle: string): number {
  const team = scenario.teams.find((t) => t.handle === handle);
  if (!team) throw new Error(`no team ${handle}`);
  const scope = personScope(
    `team ${handle}`,
    team.members.map((m) => ({ userId: m.id, email: m.email })),
  );
  return scenario.window.filter((e) => {
    const r = normalizeEvent(e);
    const t = outerTime(e);
    return (
      (r.eventName === 'MCP Server' || r.eventName === '(unknown)') &&
      t >= WEEK_FROM &&
      t < WEEK_END.getTime() &&
      callInScope(r, scope)
    );
  }).length;
}

/** Runs the handler, keeping each report's full run. */
async function invoke(env: Record<string, string>, event = EVENT) {
  const runs = new Map<string, RunResult>();
  const keep = (run: RunResult, report: string): void => {
    runs.set(report.replace(/-\d+$/, ''), run);
  };
  const h = harness();
  const before = h.datadog.stats.requests;
  const teamsBefore = h.datadog.stats.teamRequests;
  const outcome = await Promise.allSettled([createHandler(env, { onResult: keep })(event, h.lambdaContext())]);
  return {
    outcome: outcome[0] as PromiseSettledResult<HandlerResult>,
    runs,
    requests: h.datadog.stats.requests - before,
    teamRequests: h.datadog.stats.teamRequests - teamsBefore,
  };
}

describe('several reports from one deployment', () => {
  it('gives the team report exactly its people’s calls and a subset of the org’s anomalies, from one shared fetch', async () => {
    // Prepare
    const { env, org } = deployment([
      { name: 'security', emailFrom: 'audit@example.com', emailTo: ['security@example.com'] },
      { name: 'sre', slackChannel: CHANNEL, scope: { teams: ['sre'] } },
    ]);
    const alone = deployment([{ name: 'security', emailFrom: 'audit@example.com', emailTo: ['alone@example.com'] }]);

    // Act
    const both = await invoke(env);
    const single = await invoke(alone.env);

    // Assess
    expect(both.outcome.status).toBe('fulfilled');
    const security = both.runs.get('security')?.summary;
    const sre = both.runs.get('sre')?.summary;
    expect(sre?.total_tool_calls).toBe(teamCalls('sre'));
    expect(sre?.total_tool_calls).toBeGreaterThan(0);
    expect(sre?.total_tool_calls).toBeLessThan(security?.total_tool_calls ?? 0);
    expect(sre?.scope).toEqual({
      label: 'team sre',
      membership: {
        people: scenario.teams.find((t) => t.handle === 'sre')?.members.length,
        fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        read: 'at run time',
      },
    });
    expect(security?.scope).toBeUndefined();
    const flag = (a: { kind: string; user: string; timestamp: string; resource_id: string }) =>
      `${a.kind}|${a.user}|${a.timestamp}|${a.resource_id}`;
    const orgFlags = new Set(security?.anomalies.map(flag));
    expect(sre?.anomalies.length).toBeGreaterThan(0);
    expect(sre?.anomalies.every((a) => orgFlags.has(flag(a)))).toBe(true);
    expect(sre?.anomalies.length).toBeLessThan(security?.anomalies.length ?? 0);
    // One fetch serves both: the two reports cost what the org-wide one costs alone.
    expect(both.teamRequests).toBeGreaterThan(0);
    expect(both.requests - both.teamRequests).toBe(single.requests);
    const h = harness();
    const emails = await h.emailsOf(org);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toMatch(new RegExp(`^AI Activity Audit — ${org} — `));
    const posts = h.postsOf(`${org} (team sre)`);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.text).toContain(`${org} (team sre)`);
    const replies = h.repliesOf(`${org} (team sre)`);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.thread_ts).toBe(posts[0]?.ts);

    // Act: the same scheduled run again.
    const rerun = await invoke(env);

    // Assess: nothing is sent twice.
    expect(rerun.outcome.status).toBe('fulfilled');
    const value = (rerun.outcome as PromiseFulfilledResult<HandlerResult>).value;
    expect(value.reports.map((r) => r.channels.map((c) => `${c.channel}:${c.outcome}`))).toEqual([
      ['archive:skipped_already_delivered', 'email:skipped_already_delivered'],
      [
        'archive:skipped_already_delivered',
        'slack:skipped_already_delivered',
        'slack_thread:skipped_already_delivered',
      ],
    ]);
    expect(await h.emailsOf(org)).toHaveLength(1);
    expect(h.postsOf(`${org} (team sre)`)).toHaveLength(1);
    expect(h.repliesOf(`${org} (team sre)`)).toHaveLength(1);
  });

  it('fails a report whose team cannot be resolved, never widening it, and still delivers the other', async () => {
    // Prepare
    const { env, org } = deployment([
      { name: 'security', emailFrom: 'audit@example.com', emailTo: ['security@example.com'] },
      { name: 'ghosts', slackChannel: CHANNEL, scope: { teams: ['no-such-team'] } },
    ]);

    // Act
    const run = await invoke(env);

    // Assess
    expect(run.outcome.status).toBe('rejected');
    const error = (run.outcome as PromiseRejectedResult).reason as Error;
    expect(error.name).toBe('ScopeError');
    expect(error.message).toMatch(
      /^Report ghosts-\d+ \(team no-such-team\) was not sent: its scope could not be resolved \(.*"no-such-team": no Datadog team has this handle/,
    );
    const h = harness();
    expect(await h.emailsOf(org)).toHaveLength(1);
    expect(h.postsOf(org)).toHaveLength(0);
    expect(run.runs.has('ghosts')).toBe(false);
  });

  it('scopes a report to listed people by e-mail or user id', async () => {
    // Prepare
    const [a, b] = scenario.window
      .map((e) => normalizeEvent(e))
      .filter((r) => r.personKey.startsWith('id:'))
      .map((r) => ({ id: r.personKey.slice(3), email: r.person }))
      .filter((p, i, all) => all.findIndex((q) => q.id === p.id) === i);
    const { env } = deployment([
      {
        name: 'pair',
        emailFrom: 'audit@example.com',
        emailTo: ['pair@example.com'],
        scope: { people: [a?.email ?? '', b?.id ?? ''] },
      },
    ]);

    // Act
    const run = await invoke(env);

    // Assess
    const summary = run.runs.get('pair')?.summary;
    expect(summary?.scope).toEqual({
      label: '2 listed people',
      membership: { people: 2, fingerprint: expect.stringMatching(/^sha256:/), read: 'at run time' },
    });
    expect(summary?.unique_users).toBe(2);
    expect(summary?.top_users.map((u) => u.user).sort()).toEqual([a?.email, b?.email].sort());
  });

  it('fetches each org with its own secret when reports read two orgs', async () => {
    // Prepare: a second org's secret (the emulator serves one org's events to both keys).
    const h = harness();
    h.secrets.setSecret(
      'org-b/credentials',
      JSON.stringify({ ddApiKey: DD_API_KEY, ddAppKey: DD_APP_KEY, slackBotToken: SLACK_TOKEN }),
    );
    const { env } = deployment([
      { name: 'a', emailFrom: 'audit@example.com', emailTo: ['a@example.com'] },
      {
        name: 'b',
        orgName: 'Other Org',
        secretName: 'org-b/credentials',
        emailFrom: 'audit@example.com',
        emailTo: ['b@example.com'],
      },
    ]);
    const readsBefore = h.secrets.requests;

    // Act
    const two = await invoke(env);
    const one = await invoke(
      deployment([{ name: 'a', emailFrom: 'audit@example.com', emailTo: ['a@example.com'] }]).env,
    );

    // Assess
    expect(two.outcome.status).toBe('fulfilled');
    expect([...two.runs.keys()].sort()).toEqual(['a', 'b']);
    expect(two.runs.get('b')?.summary.org).toBe('Other Org');
    // Two orgs, two fetches: twice the requests of one org, and each secret read once.
    expect(two.requests).toBeGreaterThanOrEqual(2 * one.requests - 4);
    expect(h.secrets.requests - readsBefore).toBe(3);
  });

  it('runs only the reports the schedule names, and refuses a name it does not know', async () => {
    // Prepare
    const { env, org } = deployment([
      { name: 'security', emailFrom: 'audit@example.com', emailTo: ['security@example.com'] },
      { name: 'sre', slackChannel: CHANNEL, scope: { teams: ['sre'] } },
    ]);
    const names = JSON.parse(require('node:fs').readFileSync(env.REPORTS_FILE, 'utf8')).reports.map(
      (r: { name: string }) => r.name,
    ) as string[];

    // Act
    const onlySre = await invoke(env, { ...EVENT, reports: [names[1] as string] });
    const unknown = await invoke(env, { ...EVENT, reports: ['nobody'] });

    // Assess
    expect([...onlySre.runs.keys()]).toEqual(['sre']);
    expect(await harness().emailsOf(org)).toHaveLength(0);
    expect(unknown.outcome.status).toBe('rejected');
    expect(String((unknown.outcome as PromiseRejectedResult).reason)).toMatch(
      /event\.reports names "nobody", which this deployment does not define/,
    );
  });
});
