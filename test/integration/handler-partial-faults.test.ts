/**
 * One failing part never costs the rest (issue 27), through the real handler and clients on the
 * stand-ins: a dependency that takes the connection and never answers is cut off at its own share
 * of the invocation's time and named, while everything that does not need it is delivered before
 * the deadline.
 * - fault table row "Teams API hangs": the team report fails alone, naming the Teams API; the
 *   org-wide report of the same read is delivered.
 * - fault table row "usage metric hangs": the report is delivered, complete, its tools and clients
 *   sections saying the metric was unavailable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { CHANNEL, EVENT, SECRET_ID, TABLE, useHandlerHarness } from '../support/handler-harness';

const harness = useHandlerHarness();
const dir = mkdtempSync(join(tmpdir(), 'partial-faults-'));
/** A short invocation: 30 s before the timeout (10 s of margin, 8 s of delivery reserve, 12 s of reads). */
const REMAINING_MS = 30_000;
let counter = 0;

afterEach(() => harness().datadog.setFaults({}));

/** An org-wide report by email and the team sre's report to Slack, in one REPORTS_FILE. */
function twoReports(): { env: Record<string, string>; org: string; team: string } {
  counter++;
  const org = `Partial ${counter}`;
  const path = join(dir, `reports-${counter}.json`);
  const defaults = { orgName: org, secretName: SECRET_ID, timezone: 'UTC' };
  writeFileSync(
    path,
    JSON.stringify({
      schema: 1,
      defaults,
      reports: [
        { name: `org-${counter}`, emailFrom: 'audit@example.com', emailTo: ['security@example.com'] },
        { name: `sre-${counter}`, slackChannel: CHANNEL, scope: { teams: ['sre'] } },
      ],
    }),
  );
  const h = harness();
  return {
    org,
    team: `sre-${counter}`,
    env: {
      REPORTS_FILE: path,
      IDEMPOTENCY_TABLE: TABLE,
      DD_API_URL: h.datadog.url,
      SLACK_API_URL: h.slack.url,
    },
  };
}

async function invoke(env: Record<string, string>) {
  const runs = new Map<string, RunResult>();
  const h = harness();
  const started = Date.now();
  const [outcome] = await Promise.allSettled([
    createHandler(env, { onResult: (run, report) => void runs.set(report, run) })(EVENT, h.lambdaContext(REMAINING_MS)),
  ]);
  return { outcome: outcome as PromiseSettledResult<HandlerResult>, runs, elapsedMs: Date.now() - started };
}

describe('a dependency that never answers', () => {
  it('Teams API hangs: the team report fails alone, naming the Teams API, and the org-wide report is delivered in time', async () => {
    // Prepare
    const h = harness();
    h.datadog.setFaults({ teamsHang: true });
    const { env, org, team } = twoReports();

    // Act
    const run = await invoke(env);

    // Assess
    expect(run.outcome.status).toBe('rejected');
    const error = (run.outcome as PromiseRejectedResult).reason as Error;
    expect(error.name).toBe('ScopeError');
    expect(error.message).toContain(team);
    expect(error.message).toMatch(/Teams API/);
    expect(error.message).not.toMatch(/not one page/);
    const emails = await h.emailsOf(org);
    expect(emails).toHaveLength(1);
    expect(h.postsOf(org)).toHaveLength(0);
    expect(run.runs.get(`org-${counter}`)?.summary.complete).toBe(true);
    expect(run.elapsedMs).toBeLessThan(REMAINING_MS - 10_000);
  });

  it('usage metric hangs: the complete report is delivered before the deadline, its tools section naming the metric', async () => {
    // Prepare
    const h = harness();
    h.datadog.setFaults({ metricsHang: true });
    const env = h.appEnv();

    // Act
    const run = await invoke(env);

    // Assess
    expect(run.outcome.status).toBe('fulfilled');
    const result = (run.outcome as PromiseFulfilledResult<HandlerResult>).value;
    expect(result.channels).toEqual([
      { channel: 'email', outcome: 'delivered' },
      { channel: 'slack', outcome: 'delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    const summary = run.runs.get('default')?.summary;
    expect(summary?.complete).toBe(true);
    expect(summary?.tool_usage?.status).toBe('unavailable');
    expect(summary?.tool_usage?.reason).toMatch(/metric/);
    expect(run.elapsedMs).toBeLessThan(REMAINING_MS - 10_000);
  });
});
