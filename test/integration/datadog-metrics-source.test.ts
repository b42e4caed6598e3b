/**
 * The MCP usage source (real @datadog/datadog-api-client, `v2.MetricsApi.queryScalarData`) against
 * the emulator's metric over 127.0.0.1: the numbers of every range equal those computed from the
 * generated events, the requests are the scalar query's schema, and every fault ends as an
 * unavailable range with its reason (a 403 for a key without timeseries_query, 503s, malformed
 * 200s, the deadline), never as an error.
 */
import {
  createDatadogMetricsSource,
  type DatadogMetricsSourceOptions,
} from '../../functions/weekly-report/adapters/datadog/metrics-source';
import type { McpUsage, McpUsageData, McpUsageRead } from '../../functions/weekly-report/core/types';
import { UNKNOWN } from '../../functions/weekly-report/core/types';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateScenario, outerTime, type RawAuditEvent } from '../support/generator';
import { scalarValidators } from '../support/metrics-schema';

const DAY = 86_400_000;
const END = new Date('2026-11-23T00:00:00.000Z');
const WINDOW = { from: END.getTime() - 7 * DAY, to: END.getTime() };
const PREVIOUS = { from: END.getTime() - 14 * DAY, to: WINDOW.from };
const BASELINE = { from: END.getTime() - 35 * DAY, to: WINDOW.from };

type Inner = {
  evt?: { name?: unknown };
  usr?: { id?: unknown; email?: unknown };
  mcp?: { tool?: { name?: unknown }; client?: { name?: unknown } };
};
const inner = (e: RawAuditEvent): Inner =>
  ((e.attributes as { attributes?: unknown } | undefined)?.attributes ?? {}) as Inner;
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** What the metric should say over `range`, computed from the events themselves: one call per MCP event. */
function expectedUsage(events: readonly RawAuditEvent[], range: { from: number; to: number }): McpUsage {
  const tally = new Map<string, number>();
  const add = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
  for (const e of events) {
    const t = outerTime(e);
    if (inner(e).evt?.name !== 'MCP Server' || !(t >= range.from && t < range.to)) continue;
    const tool = text(inner(e).mcp?.tool?.name) ?? UNKNOWN;
    const client = text(inner(e).mcp?.client?.name) ?? UNKNOWN;
    const caller = JSON.stringify([text(inner(e).usr?.id), text(inner(e).usr?.email)]);
    add(`t\u0000${tool}`);
    add(`c\u0000${client}`);
    add(`ct\u0000${caller}\u0000${tool}`);
    add(`cc\u0000${caller}\u0000${client}`);
  }
  const of = (prefix: string) =>
    [...tally]
      .filter(([k]) => k.startsWith(`${prefix}\u0000`))
      .map(([k, calls]) => [k.split('\u0000'), calls] as const);
  const callerFields = (json: string) => {
    const [userId, email] = JSON.parse(json) as [string | undefined, string | undefined];
    return { ...(userId !== undefined ? { userId } : {}), ...(email !== undefined ? { email } : {}) };
  };
  return sortUsage({
    tools: of('t').map(([[, tool], calls]) => ({ tool: tool!, calls })),
    clients: of('c').map(([[, client], calls]) => ({ client: client!, calls })),
    callerTools: of('ct').map(([[, caller, tool], calls]) => ({ ...callerFields(caller!), tool: tool!, calls })),
    callerClients: of('cc').map(([[, caller, client], calls]) => ({
      ...callerFields(caller!),
      client: client!,
      calls,
    })),
  });
}

/** A usage with every list in one order, so two can be compared whatever order Datadog answers in. */
function sortUsage(usage: McpUsage): McpUsage {
  const by = <T>(list: readonly T[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    tools: by(usage.tools),
    clients: by(usage.clients),
    callerTools: by(usage.callerTools),
    callerClients: by(usage.callerClients),
    ...(usage.truncated ? { truncated: true } : {}),
  };
}

function usageOf(read: McpUsageRead | undefined): McpUsage {
  if (read?.status !== 'ok') throw new Error(`expected a usage, got ${JSON.stringify(read)}`);
  return sortUsage(read.usage);
}

function reasonOf(read: McpUsageRead | undefined): string {
  if (read === undefined || read.status === 'ok')
    throw new Error(`expected an unavailable range, got ${JSON.stringify(read)}`);
  return read.reason;
}

describe('Datadog MCP usage source', () => {
  const scenario = generateScenario({ seed: 77, end: END, weekEvents: 800, people: 24 });
  const events = [...scenario.baseline, ...scenario.window];
  let emulator: DatadogEmulator;
  /** Bodies of the scalar requests the client sent, as it sent them. */
  const sent: unknown[] = [];
  const recording: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/api/v2/query/scalar') && typeof init?.body === 'string')
      sent.push(JSON.parse(init.body));
    return fetch(input, init);
  };

  const source = (options: Partial<DatadogMetricsSourceOptions> = {}) =>
    createDatadogMetricsSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
      backoffBaseMs: 2,
      maxRateLimitWaitMs: 10,
      fetch: recording,
      ...options,
    });
  const ranges = { window: WINDOW, previous: PREVIOUS, baseline: BASELINE };

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events, seed: 4 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => {
    emulator.setFaults({});
    sent.length = 0;
  });

  it('reads every range with the numbers of the events: by tool, by client, and by caller × each', async () => {
    // Prepare
    const before = emulator.stats.metricQueries;

    // Act
    const data = await source().usage(ranges);

    // Assess
    expect(usageOf(data.window)).toEqual(expectedUsage(events, WINDOW));
    expect(usageOf(data.previous)).toEqual(expectedUsage(events, PREVIOUS));
    expect(usageOf(data.baseline).callerClients).toEqual(expectedUsage(events, BASELINE).callerClients);
    expect(usageOf(data.window).tools.reduce((n, t) => n + t.calls, 0)).toBeGreaterThan(800);
    expect(emulator.stats.metricQueries - before).toBe(9);
  });

  it('asks with the scalar query’s schema: count and .as_count() of the metric, summed over the range, a row limit', async () => {
    // Act
    await source().usage({ window: WINDOW });

    // Assess
    const validators = scalarValidators();
    expect(sent).toHaveLength(4);
    for (const body of sent) {
      expect(validators.request(body)).toBe(true);
      const attributes = (body as { data: { attributes: Record<string, unknown> } }).data.attributes;
      expect(attributes).toMatchObject({
        from: WINDOW.from,
        to: WINDOW.to,
        queries: [{ data_source: 'metrics', name: 'a', aggregator: 'sum' }],
        formulas: [{ formula: 'a', limit: { count: 1000, order: 'desc' } }],
      });
      const [query] = attributes.queries as Array<{ query: string }>;
      expect(query?.query).toMatch(/^count:datadog\.mcp\.tool\.usage\{\*\} by \{[a-z_,]+\}\.as_count\(\)$/);
    }
  });

  it('gives the same numbers when 30 % of the queries are answered 503 or 429 first', async () => {
    // Prepare
    emulator.setFaults({ rate503: 0.2, rate429: 0.1, resetSeconds: 1 });

    // Act
    const data = await source().usage(ranges);

    // Assess
    expect(usageOf(data.window)).toEqual(expectedUsage(events, WINDOW));
    expect(usageOf(data.baseline).callerClients).toEqual(expectedUsage(events, BASELINE).callerClients);
  });

  it('makes every range unavailable, naming the timeseries_query scope, when Datadog refuses the metric (403), and stops asking', async () => {
    // Prepare
    emulator.setFaults({ metricsForbidden: true });
    const before = emulator.stats.metricQueries;

    // Act
    const data = await source({ concurrency: 1 }).usage(ranges);

    // Assess
    for (const read of [data.window, data.previous, data.baseline]) {
      expect(reasonOf(read)).toMatch(/HTTP 403.*timeseries_query scope/);
      expect(reasonOf(read)).not.toContain(emulator.appKey);
    }
    expect(emulator.stats.metricQueries - before).toBe(1);
  });

  it('makes the ranges unavailable when Datadog does not know the endpoint (404)', async () => {
    // Act: a base URL whose path the emulator does not serve
    const data = await source({ baseUrl: `${emulator.url}/elsewhere` }).usage({ window: WINDOW });

    // Assess
    expect(reasonOf(data.window)).toBe('Datadog rejected the metric query: HTTP 404 (Not found)');
  });

  it('reads a metric without data as empty usage (the core says why the sections are empty)', async () => {
    // Prepare
    emulator.setFaults({ metricsEmpty: true });

    // Act
    const data = await source().usage(ranges);

    // Assess
    expect(usageOf(data.window)).toEqual({ tools: [], clients: [], callerTools: [], callerClients: [] });
  });

  it.each([
    ['Datadog keeps answering 503', { rate503: 1 }, /Datadog unavailable \(HTTP 503\); gave up/],
    [
      'Datadog answers 200s that are not scalar responses',
      { malformedRate: 1, malformedShape: 'data-object' as const },
      /malformed response \(data\.attributes\.columns is an object, not an array\); gave up/,
    ],
    [
      'columns are not of one length',
      { malformedRate: 1, malformedShape: 'cursor-number' as const },
      /columns are not of one length/,
    ],
  ])('makes the ranges unavailable, never throwing, when %s', async (_, faults, reason) => {
    // Prepare
    emulator.setFaults(faults);

    // Act
    const data: McpUsageData = await source({ maxAttempts: 3 }).usage(ranges);

    // Assess
    expect(reasonOf(data.window)).toMatch(reason);
    expect(data.baseline?.status).toBe('unavailable');
  });

  it('stops at the deadline', async () => {
    // Prepare
    emulator.setFaults({ latencyMs: 2_000 });
    const started = Date.now();

    // Act
    const data = await source().usage(ranges, { deadline: Date.now() + 300 });

    // Assess
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(reasonOf(data.window)).toMatch(/did not answer in time|deadline/);
  });

  it('marks the usage truncated when a query fills its row limit', async () => {
    // Act
    const data = await source({ rowLimit: 3 }).usage({ window: WINDOW });

    // Assess
    expect(usageOf(data.window).truncated).toBe(true);
    expect(usageOf(data.window).tools).toHaveLength(3);
  });

  it.each([
    ['datadoghq.eu', 'https://api.datadoghq.eu/api/v2/query/scalar'],
    ['uk1.datadoghq.com', 'https://api.uk1.datadoghq.com/api/v2/query/scalar'],
  ] as const)('addresses the site %s', async (site, url) => {
    // Prepare: a transport that records where requests go and refuses them, so no network is used.
    const urls: string[] = [];
    const refuse = async (input: string | URL | Request): Promise<Response> => {
      urls.push(String(input));
      return new Response('{"errors":["Forbidden"]}', { status: 403, headers: { 'content-type': 'application/json' } });
    };

    // Act
    const data = await createDatadogMetricsSource({
      apiKey: 'k-123',
      appKey: 'a-456',
      site,
      fetch: refuse as typeof fetch,
    }).usage({ window: WINDOW });

    // Assess
    expect(urls[0]).toBe(url);
    expect(reasonOf(data.window)).toContain(`site ${site}`);
    expect(reasonOf(data.window)).not.toMatch(/k-123|a-456/);
  });
});
