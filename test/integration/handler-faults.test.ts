/**
 * The deployed handler under faults, with real components over 127.0.0.1 (no SDK mocks): a week
 * that could not be read is no report and a failed run; a partly read week goes out marked
 * partial; every outgoing call ends by the deadline, even against an endpoint that never
 * answers; duplicates wait for each other instead of failing; consecutive weekly runs tile time
 * across DST; the result stays small whatever the week; and the log stream stays JSON.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DatadogAuthError } from '../../functions/weekly-report/adapters/datadog/audit-source';
import { zonedInstant } from '../../functions/weekly-report/core/windows';
import { DeliveryError, ReportUnavailableError } from '../../functions/weekly-report/errors';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import { startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, generateScenario, type RawAuditEvent } from '../support/generator';
import {
  DD_API_KEY,
  DD_APP_KEY,
  EVENT,
  ledgerItem,
  logLines,
  nonJsonLines,
  useHandlerHarness,
} from '../support/handler-harness';

const harness = useHandlerHarness();
const DAY = 86_400_000;

/** A TCP server that accepts connections and never answers: a black-holed endpoint. */
async function startBlackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** EMF metric values published in `output`, by metric name (summed over lines). */
function metricsOf(output: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of logLines(output)) {
    const aws = line._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined;
    for (const group of aws?.CloudWatchMetrics ?? []) {
      for (const { Name } of group.Metrics) values[Name] = (values[Name] ?? 0) + Number(line[Name]);
    }
  }
  return values;
}

async function ledgerStatus(key: string): Promise<string | undefined> {
  return (await ledgerItem(harness(), key))?.status?.S;
}

describe('no report from nothing', () => {
  it('sends nothing and fails with one clear error when Datadog cannot be reached at all', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ DD_API_URL: await closedPortUrl() });
    const started = Date.now();

    // Act
    const { output, result } = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext(60_000)));

    // Assess
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as ReportUnavailableError;
    expect(error).toBeInstanceOf(ReportUnavailableError);
    expect(error.message).toMatch(
      /^No report for 2026-11-16T00:00:00.000Z to 2026-11-23T00:00:00.000Z: not one page of the window could be read/,
    );
    expect(error.causes.length).toBeLessThanOrEqual(2);
    expect(error.causes[0]).toMatch(/^Datadog unreachable \(ECONNREFUSED\)/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(metricsOf(output)).toMatchObject({ ReportUnavailable: 1 });
    expect(nonJsonLines(output)).toEqual([]);
  });

  it('sends nothing when every request is rate-limited until the deadline', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv();
    h.datadog.setFaults({ always429: true, resetSeconds: 1 });

    // Act
    const run = createHandler(env)(EVENT, h.lambdaContext(40_000));

    // Assess
    await expect(run).rejects.toThrow(/not one page of the window could be read .*Datadog rate limit \(HTTP 429\)/);
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(0);
  });

  it('fails without sending when Datadog refuses the keys', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ SECRET_ID: 'ai-activity-audit/wrong-keys' });
    h.secrets.setSecret(
      'ai-activity-audit/wrong-keys',
      JSON.stringify({ ddApiKey: '00000000000000000000000000000bad', ddAppKey: DD_APP_KEY, slackBotToken: 'xoxb-x' }),
    );

    // Act
    const run = createHandler(env)(EVENT, h.lambdaContext());

    // Assess
    await expect(run).rejects.toBeInstanceOf(DatadogAuthError);
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(0);
  });

  it('sends a partly read week marked partial, with the lost time grouped by cause, and counts it in the metrics', async () => {
    // Prepare: the first two days of the week cannot be read.
    const h = harness();
    const env = h.appEnv({ BASELINE_DAYS: '7' });
    const weekFrom = Date.parse('2026-11-16T00:00:00Z');
    h.datadog.setFaults({ failRange: { from: weekFrom, to: weekFrom + 2 * DAY } });

    // Act
    const { output, result } = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext(60_000)));

    // Assess
    expect(result.status).toBe('fulfilled');
    const value = (result as PromiseFulfilledResult<HandlerResult>).value;
    expect(value.complete).toBe(false);
    // One audit cause; the outage also hides the MCP usage metric of the week, a note of its own.
    expect((value.incompleteReasons ?? []).filter((r) => r.includes('events missing'))).toHaveLength(1);
    expect(value.incompleteReasons?.[0]).toMatch(
      /^Datadog unavailable \(HTTP 503\); gave up after .*: events missing from 2026-11-16 00:00 to 2026-11-18 \d\d:\d\d/,
    );
    expect(value.incompleteReasons?.slice(1)).toEqual([expect.stringMatching(/^Tools and MCP clients are not shown/)]);
    const emails = await h.emailsOf(env.ORG_NAME as string);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toContain('[partial]');
    expect((emails[0]?.text ?? '').replace(/\s+/g, ' ')).toContain('events missing from 2026-11-16 00:00');
    expect(metricsOf(output)).toMatchObject({ ReportComplete: 0, EmailDelivered: 1, SlackDelivered: 1 });
  });
});

describe('deadlines', () => {
  it('fetches normally when the deadline arithmetic gives a fractional millisecond', async () => {
    // Prepare: 19,999 ms left and a 10 s margin → a deadline of half the time, 9,999.5 ms.
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });

    // Act
    const result = await createHandler(env)(EVENT, h.lambdaContext(19_999));

    // Assess
    expect(result.complete).toBe(true);
    expect(result.totalToolCalls).toBeGreaterThan(0);
  });

  it('ends a send to an SES endpoint that never answers before the timeout, records its outcome unknown and still posts to Slack', async () => {
    // Prepare
    const h = harness();
    const hole = await startBlackHole();
    const env = h.appEnv();
    const saved = process.env.AWS_ENDPOINT_URL_SES;
    process.env.AWS_ENDPOINT_URL_SES = hole.url;
    const remaining = 16_000;
    const started = Date.now();

    try {
      // Act
      const run = createHandler(env)(EVENT, h.lambdaContext(remaining));
      const error = await run.catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).failedChannels).toEqual(['email']);
      expect(Date.now() - started).toBeLessThan(remaining - 1_000);
      expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(1);
      // SES may have taken the message before going silent: unknown, never resent blindly.
      expect(await ledgerStatus(`${env.ORG_NAME}:2026-11-23T00:00:00.000Z:email`)).toBe('UNKNOWN');
      expect(await ledgerStatus(`${env.ORG_NAME}:2026-11-23T00:00:00.000Z:slack`)).toBe('DELIVERED');
    } finally {
      process.env.AWS_ENDPOINT_URL_SES = saved;
      await hole.close();
    }
  });

  it('ends a post to a Slack endpoint that never answers by the deadline, records it unknown, and still delivers the email', async () => {
    // Prepare
    const h = harness();
    const hole = await startBlackHole();
    const env = h.appEnv({ SLACK_API_URL: `${hole.url}/api/` });
    const remaining = 16_000;
    const started = Date.now();

    try {
      // Act
      const error = await createHandler(env)(EVENT, h.lambdaContext(remaining)).catch((e: unknown) => e);

      // Assess
      expect((error as DeliveryError).failedChannels).toEqual(['slack']);
      expect(Date.now() - started).toBeLessThan(remaining - 1_000);
      expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(1);
      // Slack may have posted before going silent: the next run looks for the post first.
      expect(await ledgerStatus(`${env.ORG_NAME}:2026-11-23T00:00:00.000Z:slack`)).toBe('UNKNOWN');
    } finally {
      await hole.close();
    }
  });

  it('sends nothing and fails before the timeout when the idempotency table never answers', async () => {
    // Prepare
    const h = harness();
    const hole = await startBlackHole();
    const env = h.appEnv();
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = hole.url;
    const remaining = 30_000;
    const started = Date.now();

    try {
      // Act
      const error = await createHandler(env)(EVENT, h.lambdaContext(remaining)).catch((e: unknown) => e);

      // Assess
      expect((error as DeliveryError).failedChannels).toEqual(['email', 'slack']);
      expect(Date.now() - started).toBeLessThan(remaining - 1_000);
      expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(0);
      expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(0);
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
      await hole.close();
    }
  });
});

describe('duplicates', () => {
  it('lets two concurrent invocations of one scheduled run deliver once, the second reporting skipped', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv();

    // Act
    const [a, b] = await Promise.all([
      createHandler(env)(EVENT, h.lambdaContext()),
      createHandler(env)(EVENT, h.lambdaContext()),
    ]);

    // Assess
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(h.repliesOf(env.ORG_NAME as string)).toHaveLength(1);
    expect(h.repliesOf(env.ORG_NAME as string)[0]?.thread_ts).toBe(h.postsOf(env.ORG_NAME as string)[0]?.ts);
    const outcomes = [...(a.channels ?? []), ...(b.channels ?? [])].map((c) => `${c.channel}:${c.outcome}`).sort();
    expect(outcomes).toEqual([
      'email:delivered',
      'email:skipped_already_delivered',
      'slack:delivered',
      'slack:skipped_already_delivered',
      'slack_thread:delivered',
      'slack_thread:skipped_already_delivered',
    ]);
  });
});

describe('consecutive weekly runs', () => {
  /** Monday 09:00 local of every week from `firstMonday`, as EventBridge Scheduler fires in `zone`. */
  function mondays(firstMonday: string, weeks: number, zone: string): string[] {
    const [y, m, d] = firstMonday.split('-').map(Number) as [number, number, number];
    return Array.from({ length: weeks }, (_, i) => {
      const day = new Date(Date.UTC(y, m - 1, d + 7 * i));
      const wall = {
        year: day.getUTCFullYear(),
        month: day.getUTCMonth() + 1,
        day: day.getUTCDate(),
        hour: 9,
        minute: 0,
        second: 0,
      };
      return new Date(zonedInstant(wall, zone)).toISOString();
    });
  }

  it.each([
    ['Europe/Berlin', 'calendar', ['2026-03-16', '2026-10-12']],
    ['America/New_York', 'calendar', ['2026-02-23', '2026-10-19']],
    ['Europe/Berlin', 'rolling', ['2026-03-16', '2026-10-12']],
  ])('tiles time in %s with %s windows across both 2026 DST changes', async (zone, window, starts) => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ TIMEZONE: zone, WINDOW: window, BASELINE_DAYS: '7', EMAIL_TO: '' });
    const run = createHandler(env);

    for (const first of starts) {
      // Act
      const results: HandlerResult[] = [];
      for (const scheduledTime of mondays(first, 4, zone)) {
        results.push(await run({ scheduledTime }, h.lambdaContext()));
      }

      // Assess
      for (let i = 1; i < results.length; i++) expect(results[i]?.window?.from).toBe(results[i - 1]?.window?.to);
      const hours = results.map((r) => (Date.parse(r.window?.to ?? '') - Date.parse(r.window?.from ?? '')) / 3_600_000);
      expect(hours.some((n) => n !== 168)).toBe(true);
    }
  });
});

describe('result size', () => {
  it('returns a small result for a week of 50,000 anomalies (the summary stays out of the response)', async () => {
    // Prepare: 50k deletions in the week, each a destructive_action flag.
    const h = harness();
    const events: RawAuditEvent[] = [];
    for (const event of generateEvents({
      seed: 5,
      from: new Date('2026-11-16T00:00:00Z'),
      to: new Date('2026-11-23T00:00:00Z'),
      count: 50_000,
      seedCompatible: true,
    })) {
      (event.attributes as { attributes: { action: string } }).attributes.action = 'deleted';
      events.push(event);
    }
    const busy = await startDatadogEmulator({ events, apiKey: DD_API_KEY, appKey: DD_APP_KEY });
    const env = h.appEnv({ DD_API_URL: busy.url, BASELINE_DAYS: '7', SLACK_CHANNEL: '' });

    try {
      // Act
      const result = await createHandler(env)(EVENT, h.lambdaContext(240_000));

      // Assess
      expect(result.anomalies).toBeGreaterThanOrEqual(50_000);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(256 * 1024);
    } finally {
      await busy.close();
    }
  }, 240_000);
});

describe('a scenario with the generated week', () => {
  it('publishes one metric per run with a complete week and each channel delivered, all as JSON lines', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv();
    const scenario = generateScenario({ seed: 42, end: new Date('2026-11-23T00:00:00Z'), weekEvents: 600, people: 20 });

    // Act
    const { output, result } = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess
    expect(result.status).toBe('fulfilled');
    const metrics = metricsOf(output);
    expect(metrics).toMatchObject({ ReportComplete: 1, EmailDelivered: 1, SlackDelivered: 1, LedgerRecordFailed: 0 });
    expect(metrics.EventsRead).toBeGreaterThan(0);
    expect(metrics.EventsRead).toBeLessThanOrEqual(scenario.window.length);
    // The namespace and dimension the stack's alarms watch.
    const emf = logLines(output).find((l) => l._aws !== undefined) as {
      service?: string;
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
    };
    expect(emf.service).toBe('ai-activity-audit');
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'AiActivityAudit', Dimensions: [['service']] });
    expect(nonJsonLines(output)).toEqual([]);
  });
});
