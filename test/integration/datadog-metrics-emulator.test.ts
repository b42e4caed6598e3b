/**
 * The metric side of the Datadog emulator (`POST /api/v2/query/scalar`) against the scalar
 * query's schema (test/fixtures/datadog/metrics-scalar-schema.json): its answers, the numbers
 * computed from the very events the audit search serves, the `count`/`sum` and `.as_count()`
 * rules, limits, missing tags, and the faults it shares with the audit search. Real HTTP over
 * 127.0.0.1.
 */
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, outerTime, type RawAuditEvent } from '../support/generator';
import { scalarValidators } from '../support/metrics-schema';

const FROM = Date.parse('2026-11-16T00:00:00.000Z');
const TO = Date.parse('2026-11-18T00:00:00.000Z');

interface Column {
  name: string;
  type: 'group' | 'number';
  values: unknown[];
}

type Inner = {
  evt?: { name?: unknown };
  usr?: { id?: unknown; email?: unknown };
  mcp?: { tool?: { name?: unknown }; client?: { name?: unknown } };
};
const inner = (e: RawAuditEvent): Inner =>
  ((e.attributes as { attributes?: unknown } | undefined)?.attributes ?? {}) as Inner;

function scalarBody(query: string, options: { limit?: number; aggregator?: string; from?: number; to?: number } = {}) {
  return {
    data: {
      type: 'scalar_request',
      attributes: {
        from: options.from ?? FROM,
        to: options.to ?? TO,
        queries: [{ data_source: 'metrics', name: 'a', query, aggregator: options.aggregator ?? 'sum' }],
        formulas: [{ formula: 'a', limit: { count: options.limit ?? 1000, order: 'desc' } }],
      },
    },
  };
}

describe('Datadog metrics emulator', () => {
  const events = [
    ...generateEvents({
      seed: 61,
      from: new Date(FROM - 3_600_000),
      to: new Date(TO + 3_600_000),
      count: 1500,
      nonMcpRate: 0.1,
      malformedRate: 0.05,
      malformedSpecValid: true,
    }),
  ];
  // What the audit search serves for [FROM, TO): the calls the metric must count.
  const calls = events.filter((e) => {
    const t = outerTime(e);
    return inner(e).evt?.name === 'MCP Server' && t >= FROM && t < TO;
  });
  const validators = scalarValidators();
  let emulator: DatadogEmulator;

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events, seed: 3 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => emulator.setFaults({}));

  async function query(
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${emulator.url}/api/v2/query/scalar`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'DD-API-KEY': emulator.apiKey,
        'DD-APPLICATION-KEY': emulator.appKey,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }

  function columnsOf(body: unknown): Column[] {
    return (body as { data: { attributes: { columns: Column[] } } }).data.attributes.columns;
  }

  /** Rows of a scalar answer as `{ "tag values joined by |": number }`. */
  function rowsOf(body: unknown): Record<string, number> {
    const columns = columnsOf(body);
    const groups = columns.filter((c) => c.type === 'group');
    const numbers = columns.find((c) => c.type === 'number')!;
    return Object.fromEntries(
      numbers.values.map((v, i) => [groups.map((g) => (g.values[i] as string[])[0]).join('|'), v as number]),
    );
  }

  function countBy(key: (e: RawAuditEvent) => string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of calls) out[key(e)] = (out[key(e)] ?? 0) + 1;
    return out;
  }
  const tag = (v: unknown): string =>
    typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : 'N/A';

  it('answers within the scalar schema, and its request is the schema’s', async () => {
    // Prepare
    const body = scalarBody('count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()');

    // Act
    const ok = await query(body);
    const bad = await query({ data: { type: 'scalar_request', attributes: { from: TO, to: FROM, queries: [] } } });
    const wrongKey = await query(body, { 'DD-APPLICATION-KEY': 'nope' });
    emulator.setFaults({ metricsForbidden: true });
    const forbidden = await query(body);
    emulator.setFaults({ always429: true });
    const limited = await query(body);

    // Assess
    expect(validators.request(body)).toBe(true);
    expect(ok.status).toBe(200);
    validators.response(ok.body);
    expect(validators.response.errors ?? null).toBeNull();
    for (const [answer, status] of [
      [bad, 400],
      [wrongKey, 403],
      [forbidden, 403],
      [limited, 429],
    ] as const) {
      expect(answer.status).toBe(status);
      expect(validators.error(answer.body)).toBe(true);
    }
  });

  it('counts calls by tool as the audit search’s events say, in [from, to)', async () => {
    // Act
    const answer = await query(scalarBody('count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()'));

    // Assess
    const expected = countBy((e) => tag(inner(e).mcp?.tool?.name));
    expect(rowsOf(answer.body)).toEqual(expected);
    expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(calls.length);
  });

  it('groups by two tags in one group column each, rows in parallel, a missing tag as N/A', async () => {
    // Act
    const answer = await query(scalarBody('count:datadog.mcp.tool.usage{*} by {user_email,client}.as_count()'));

    // Assess
    const columns = columnsOf(answer.body);
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ['user_email', 'group'],
      ['client', 'group'],
      ['a', 'number'],
    ]);
    expect(new Set(columns.map((c) => c.values.length)).size).toBe(1);
    const expected = countBy((e) => `${tag(inner(e).usr?.email)}|${tag(inner(e).mcp?.client?.name)}`);
    expect(rowsOf(answer.body)).toEqual(expected);
    expect(Object.keys(expected).some((k) => k.startsWith('N/A|'))).toBe(true);
  });

  it('narrows to a scope, sorts by value and cuts at the limit', async () => {
    // Prepare
    const email = tag(inner(calls[0]!).usr?.email);

    // Act
    const scoped = await query(scalarBody(`count:datadog.mcp.tool.usage{user_email:${email}} by {client}.as_count()`));
    const top = await query(scalarBody('count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()', { limit: 3 }));

    // Assess
    const mine = calls.filter((e) => tag(inner(e).usr?.email) === email);
    expect(Object.values(rowsOf(scoped.body)).reduce((a, b) => a + b, 0)).toBe(mine.length);
    const values = Object.values(rowsOf(top.body));
    expect(values).toHaveLength(3);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
  });

  it('gives other numbers for sum: (the values of the distribution) and without .as_count() (a rate)', async () => {
    // Act
    const counted = await query(scalarBody('count:datadog.mcp.tool.usage{*}.as_count()'));
    const summed = await query(scalarBody('sum:datadog.mcp.tool.usage{*}.as_count()'));
    const rate = await query(scalarBody('count:datadog.mcp.tool.usage{*}'));

    // Assess
    const one = (body: unknown): unknown => columnsOf(body).find((c) => c.type === 'number')?.values[0];
    expect(one(counted.body)).toBe(calls.length);
    expect(one(summed.body)).not.toBe(calls.length);
    expect(one(rate.body)).toBeCloseTo(calls.length / ((TO - FROM) / 1000), 6);
  });

  it('answers empty columns when the metric has no data', async () => {
    // Prepare
    emulator.setFaults({ metricsEmpty: true });

    // Act
    const answer = await query(scalarBody('count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()'));

    // Assess
    expect(answer.status).toBe(200);
    expect(validators.response(answer.body)).toBe(true);
    expect(columnsOf(answer.body).map((c) => [c.name, c.values])).toEqual([
      ['tool_name', []],
      ['a', []],
    ]);
  });

  it('shares the audit search’s faults: 503s, an outage of part of the time, malformed 200s', async () => {
    // Prepare
    const body = scalarBody('count:datadog.mcp.tool.usage{*} by {client}.as_count()');

    // Act
    emulator.setFaults({ rate503: 1 });
    const unavailable = await query(body);
    emulator.setFaults({ failRange: { from: TO - 1000, to: TO + 1000 } });
    const outage = await query(body);
    const elsewhere = await query(scalarBody('count:datadog.mcp.tool.usage{*}.as_count()', { to: TO - 5000 }));
    emulator.setFaults({ malformedRate: 1, malformedShape: 'data-object' });
    const malformed = await query(body);

    // Assess
    expect(unavailable.status).toBe(503);
    expect(outage.status).toBe(503);
    expect(elsewhere.status).toBe(200);
    expect(malformed.status).toBe(200);
    expect(validators.response(malformed.body)).toBe(false);
  });
});
