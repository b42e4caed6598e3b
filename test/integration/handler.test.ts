/**
 * The deployed handler end to end with real components over 127.0.0.1, no SDK mocks (the
 * emulators of test/support/handler-harness.ts): delivery, idempotency, channel failures and
 * retries, rate limits, secrets kept out of the logs, and configuration errors.
 */
import { createHandler, handler } from '../../functions/weekly-report/handler';
import type { RunResult } from '../../functions/weekly-report/run/results';
import { outerTime, type RawAuditEvent } from '../support/generator';
import {
  CHANNEL,
  CHANNEL_WITHOUT_BOT,
  DD_API_KEY,
  DD_APP_KEY,
  EVENT,
  logLines,
  SLACK_TOKEN,
  useHandlerHarness,
} from '../support/handler-harness';

const harness = useHandlerHarness();
const appEnv = (overrides?: Record<string, string>) => harness().appEnv(overrides);
const lambdaContext = (remainingMs?: number) => harness().lambdaContext(remainingMs);
const emailsOf = (org: string) => harness().emailsOf(org);
const postsOf = (org: string) => harness().postsOf(org);
const repliesOf = (org: string) => harness().repliesOf(org);
const captureOutput = <T>(fn: () => Promise<T>) => harness().captureOutput(fn);

describe('weekly report handler', () => {
  it('delivers exactly one email (HTML + text, right recipients) and one Slack post', async () => {
    // Prepare
    const env = appEnv();
    const run = createHandler(env);

    // Act
    const { output, result } = await captureOutput(() => run(EVENT, lambdaContext()));

    // Assess
    expect(result.status).toBe('fulfilled');
    const value = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof run>>>).value;
    expect(value.window).toEqual({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
    expect(value.totalToolCalls).toBeGreaterThan(0);
    expect(value.channels).toEqual([
      { channel: 'email', outcome: 'delivered' },
      { channel: 'slack', outcome: 'delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    const emails = await emailsOf(env.ORG_NAME as string);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.from).toBe('audit@example.com');
    expect(emails[0]?.to).toEqual(['ana@example.com', 'bo@example.com']);
    expect(emails[0]?.subject).toMatch(/^AI Activity Audit — Acme \d+ — /);
    expect(emails[0]?.html).toMatch(/<html/i);
    expect(emails[0]?.text).toContain(String(value.totalToolCalls));
    const posts = postsOf(env.ORG_NAME as string);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.channel).toBe(CHANNEL);
    expect(posts[0]?.blocks.length).toBeGreaterThan(0);
    const replies = repliesOf(env.ORG_NAME as string);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.channel).toBe(CHANNEL);
    expect(replies[0]?.thread_ts).toBe(posts[0]?.ts);
    const outcomes = logLines(output).filter((l) => l.message === 'channel_outcome');
    expect(outcomes.map((l) => `${l.channel}:${l.outcome}`).sort()).toEqual([
      'email:delivered',
      'slack:delivered',
      'slack_thread:delivered',
    ]);
    expect(logLines(output).find((l) => l.message === 'fetch_done')).toEqual(
      expect.objectContaining({ windowEvents: value.totalToolCalls, level: 'INFO', service: 'ai-activity-audit' }),
    );
  });

  it('splits more than 50 recipients into messages of at most 50, each recipient once', async () => {
    // Prepare
    const recipients = Array.from({ length: 120 }, (_, i) => `reader${i}@example.com`);
    const env = appEnv({ EMAIL_TO: recipients.join(','), SLACK_CHANNEL: '' });

    // Act
    await createHandler(env)(EVENT, lambdaContext());

    // Assess
    const emails = await emailsOf(env.ORG_NAME as string);
    expect(emails.map((e) => e.to.length)).toEqual([50, 50, 20]);
    expect(emails.flatMap((e) => e.to).sort()).toEqual([...recipients].sort());
    expect(new Set(emails.map((e) => e.subject)).size).toBe(1);
  });

  it('sends nothing more when invoked again with the same scheduledTime, even after a new cold start', async () => {
    // Prepare
    const env = appEnv();
    await createHandler(env)(EVENT, lambdaContext());
    const secretReads = harness().secrets.requests;

    // Act
    const warm = await createHandler(env)(EVENT, lambdaContext());
    const run = createHandler(env);
    const again = await run(EVENT, lambdaContext());
    const third = await run(EVENT, lambdaContext());

    // Assess
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)).toHaveLength(1);
    for (const r of [warm, again, third]) {
      expect((r.channels ?? []).map((c) => c.outcome)).toEqual([
        'skipped_already_delivered',
        'skipped_already_delivered',
        'skipped_already_delivered',
      ]);
    }
    // Two cold starts read the secret once each; the warm invocation used the cache.
    expect(harness().secrets.requests - secretReads).toBe(2);
  });

  it('delivers the email and fails when Slack fails; a retry after Slack recovers posts once and does not resend the email', async () => {
    // Prepare
    const env = appEnv();
    const run = createHandler(env);
    harness().slack.failAlways({ kind: 'error', error: 'channel_not_found' });

    // Act
    const failed = run(EVENT, lambdaContext());
    await expect(failed).rejects.toThrow(/Delivery failed for slack: .*channel_not_found .*check that SLACK_CHANNEL/);
    const emailsAfterFailure = await emailsOf(env.ORG_NAME as string);
    harness().slack.clearFaults();
    const retried = await run(EVENT, lambdaContext());

    // Assess
    expect(emailsAfterFailure).toHaveLength(1);
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)[0]?.thread_ts).toBe(postsOf(env.ORG_NAME as string)[0]?.ts);
    expect(retried.channels).toEqual([
      { channel: 'email', outcome: 'skipped_already_delivered' },
      { channel: 'slack', outcome: 'delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
  });

  it('fails the Slack channel after a Slack 500 without repeating the post (it may have gone out), and posts once on the retry after looking', async () => {
    // Prepare
    const env = appEnv();
    const run = createHandler(env);
    harness().slack.failAlways({ kind: 'http', status: 500 });
    const before = harness().slack.requests;
    const lookups = harness().slack.historyRequests;

    // Act
    await expect(run(EVENT, lambdaContext())).rejects.toThrow(/Slack answered HTTP 500/);
    const attempts = harness().slack.requests - before;
    harness().slack.clearFaults();
    await run(EVENT, lambdaContext());

    // Assess
    expect(attempts).toBe(1);
    expect(harness().slack.historyRequests - lookups).toBe(1);
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)[0]?.thread_ts).toBe(postsOf(env.ORG_NAME as string)[0]?.ts);
  });

  it('names the fix when the bot is not in the channel', async () => {
    // Prepare
    const env = appEnv({ SLACK_CHANNEL: CHANNEL_WITHOUT_BOT });

    // Act
    const run = createHandler(env)(EVENT, lambdaContext());

    // Assess
    await expect(run).rejects.toThrow(/not_in_channel — the bot is not a member of C0999999999: invite it/);
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
  });

  it('waits out a Slack 429 for its Retry-After when it fits before the deadline', async () => {
    // Prepare
    const env = appEnv({ EMAIL_TO: '' });
    harness().slack.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 });
    const before = harness().slack.requests;

    // Act
    const { output, result } = await captureOutput(() => createHandler(env)(EVENT, lambdaContext()));

    // Assess
    expect(result.status).toBe('fulfilled');
    // The refused post, the post, and its thread reply.
    expect(harness().slack.requests - before).toBe(3);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(repliesOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(logLines(output).find((l) => l.message === 'slack_rate_limited')).toEqual(
      expect.objectContaining({ retryAfterSeconds: 1 }),
    );
  });

  it('fails the Slack channel at once when Retry-After ends past the deadline, still delivering the email', async () => {
    // Prepare
    const env = appEnv();
    harness().slack.failNext({ kind: 'rate_limited', retryAfterSeconds: 600 });
    const started = Date.now();

    // Act
    const run = createHandler(env)(EVENT, lambdaContext(60_000));

    // Assess
    await expect(run).rejects.toThrow(/rate-limited .*beyond the time left/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(repliesOf(env.ORG_NAME as string)).toHaveLength(0);
  });

  it('never writes a secret value to the logs, on success or on failure', async () => {
    // Prepare
    const env = appEnv();
    const badToken = 'xoxb-999-888-AnotherSecretToken';
    const otherSecret = 'ai-activity-audit/other';
    harness().secrets.setSecret(
      otherSecret,
      JSON.stringify({ ddApiKey: DD_API_KEY, ddAppKey: DD_APP_KEY, slackBotToken: badToken }),
    );
    const failingEnv = appEnv({ SECRET_ID: otherSecret });

    // Act
    const ok = await captureOutput(() => createHandler(env)(EVENT, lambdaContext()));
    const failing = await captureOutput(() => createHandler(failingEnv)(EVENT, lambdaContext()));

    // Assess
    expect(ok.result.status).toBe('fulfilled');
    expect(failing.result.status).toBe('rejected');
    expect(failing.output).toContain('invalid_auth');
    for (const output of [ok.output, failing.output]) {
      expect(logLines(output).length).toBeGreaterThan(3);
      for (const secret of [DD_API_KEY, DD_APP_KEY, SLACK_TOKEN, badToken]) expect(output).not.toContain(secret);
    }
  });

  it('fails at cold start naming a bad or a missing variable', async () => {
    // Prepare
    const bad = appEnv({ EMAIL_TO: 'x' });
    const { IDEMPOTENCY_TABLE: _missing, ...missing } = appEnv();
    delete process.env.ORG_NAME;

    // Act
    const badStart = () => createHandler(bad);
    const missingStart = () => createHandler(missing);
    const deployed = captureOutput(() => handler(EVENT, lambdaContext()));

    // Assess
    expect(badStart).toThrow(/EMAIL_TO: "x" is not an e-mail address/);
    expect(missingStart).toThrow(/IDEMPOTENCY_TABLE is required/);
    const { result, output } = await deployed;
    expect(result.status).toBe('rejected');
    expect(String((result as PromiseRejectedResult).reason)).toMatch(/ORG_NAME: is required/);
    expect(logLines(output).find((l) => l.message === 'config_invalid')).toBeDefined();
  });

  it('fails clearly on a malformed scheduledTime and on a missing secret, sending nothing', async () => {
    // Prepare
    const env = appEnv();
    const noSecret = appEnv({ SECRET_ID: 'ai-activity-audit/does-not-exist' });

    // Act
    const malformed = createHandler(env)({ scheduledTime: 'next monday' }, lambdaContext());
    const missingSecret = createHandler(noSecret)(EVENT, lambdaContext());

    // Assess
    await expect(malformed).rejects.toThrow(/scheduledTime must be an ISO 8601 time .*"next monday"/);
    await expect(missingSecret).rejects.toThrow(
      /secret "ai-activity-audit\/does-not-exist" \(ResourceNotFoundException\): create it or fix SECRET_ID/,
    );
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(await emailsOf(noSecret.ORG_NAME as string)).toHaveLength(0);
  });
});

describe('weekly report handler: MCP tools and clients from the metric', () => {
  const WINDOW = { from: Date.parse('2026-11-16T00:00:00.000Z'), to: Date.parse('2026-11-23T00:00:00.000Z') };

  /** Calls by tool and by client in the week, counted from the events the emulator holds. */
  function expected(events: readonly RawAuditEvent[]) {
    const tools: Record<string, number> = {};
    const clients: Record<string, number> = {};
    for (const e of events) {
      type Inner = { evt?: { name?: unknown }; mcp?: { tool?: { name?: unknown }; client?: { name?: unknown } } };
      const inner = (e.attributes as { attributes?: Inner } | undefined)?.attributes;
      const t = outerTime(e);
      if (inner?.evt?.name !== 'MCP Server' || !(t >= WINDOW.from && t < WINDOW.to)) continue;
      const tool = String(inner.mcp?.tool?.name);
      const client = String(inner.mcp?.client?.name);
      tools[tool] = (tools[tool] ?? 0) + 1;
      clients[client] = (clients[client] ?? 0) + 1;
    }
    return { tools, clients };
  }

  async function runWith(faults: Parameters<ReturnType<typeof harness>['datadog']['setFaults']>[0]) {
    const env = appEnv();
    harness().datadog.setFaults(faults);
    let run: RunResult | undefined;
    const { result, output } = await captureOutput(() =>
      createHandler(env, {
        onResult: (r) => {
          run = r;
        },
      })(EVENT, lambdaContext()),
    );
    return { env, result, output, run };
  }

  it('reads tools and clients with the same keys, their numbers those of the events, and flags the one new client', async () => {
    // Act
    const { result, run, output } = await runWith({});

    // Assess
    expect(result.status).toBe('fulfilled');
    const summary = run!.summary;
    const { tools, clients } = expected(harness().events);
    expect(Object.fromEntries(summary.tools!.map((t) => [t.tool, t.calls]))).toEqual(tools);
    expect(Object.fromEntries(summary.clients!.map((c) => [c.client, c.calls]))).toEqual(clients);
    expect(summary.tool_usage).toMatchObject({ status: 'ok', total_calls: summary.total_tool_calls });
    expect(summary.anomaly_counts.new_client).toBe(1);
    expect(logLines(output).find((l) => l.message === 'fetch_done')).toEqual(
      expect.objectContaining({ toolUsage: 'ok' }),
    );
  });

  it.each([
    [
      'the key lacks the timeseries_query scope (403 for the metric only)',
      { metricsForbidden: true },
      /timeseries_query/,
    ],
    ['the metric has no data', { metricsEmpty: true }, /holds no calls for this window/],
  ])('sends the complete audit report with the sections marked unavailable when %s', async (_, faults, reason) => {
    // Act
    const { env, result, run } = await runWith(faults);

    // Assess
    expect(result.status).toBe('fulfilled');
    const value = (result as PromiseFulfilledResult<Awaited<ReturnType<ReturnType<typeof createHandler>>>>).value;
    expect(value.complete).toBe(true);
    expect(value.totalToolCalls).toBeGreaterThan(600);
    expect(value.anomalyCounts?.new_client).toBeNull();
    expect(value.anomalyCounts?.first_time_user).toBe(1);
    const summary = run!.summary;
    expect(summary.tools).toBeNull();
    expect(summary.clients).toBeNull();
    expect(summary.tool_usage?.reason).toMatch(reason);
    expect(summary.warnings.join(' ')).toMatch(reason);
    expect(await emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(postsOf(env.ORG_NAME as string)).toHaveLength(1);
  });
});
