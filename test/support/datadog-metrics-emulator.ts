/**
 * The metrics side of the Datadog emulator: `POST /api/v2/query/scalar` (the v2 scalar query,
 * test/fixtures/datadog/metrics-scalar-schema.json) answering classic metric queries of
 * `datadog.mcp.tool.usage` from the same generated audit events the audit search serves. Every
 * MCP call the audit search would return is one point of the distribution, tagged `tool_name`,
 * `client`, `user_id` and `user_email` of its caller (`usr`: for an agent acting for a person,
 * the agent), so a test can compute the expected numbers from the events themselves.
 *
 * What it understands: `<count|sum>:<metric>{<* or tag:value,…>} [by {<tag>,…}][.as_count()]`,
 * the query aggregators `sum` (the total over the range) and `avg` (per hour), and formula
 * limits; points count in `[from, to)` exactly (Datadog rolls points up into buckets aligned to
 * Unix time, which this does not). A point without a tag groups under `N/A`, as Datadog shows it.
 * The distribution's values are made-up durations, so `sum:` or a missing `.as_count()` give
 * numbers that are not call counts, as they would on Datadog. Mounted on the audit emulator's
 * server (datadog-emulator.ts), which checks the keys and injects the faults.
 */
import type { RawAuditEvent } from './generator';

export const SCALAR_PATH = '/api/v2/query/scalar';
export const MCP_USAGE_METRIC = 'datadog.mcp.tool.usage';
/** How Datadog names a group whose series lacks the tag. */
export const MISSING_TAG = 'N/A';
const TAG_KEYS = ['tool_name', 'client', 'user_id', 'user_email'] as const;
type TagKey = (typeof TAG_KEYS)[number];

/** One tool call as the metric records it. */
export interface MetricPoint {
  readonly time: number;
  readonly tags: Readonly<Record<TagKey, string>>;
  /** The distribution's value (a made-up duration, ms): what `sum:` would add up. */
  readonly value: number;
}

/** A request the emulator refuses with 400, as Datadog would (the message is the `errors[0]`). */
export class MetricsRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsRequestError';
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const tagText = (v: unknown): string =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : MISSING_TAG;

function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

/**
 * The metric's points of `events`: one per MCP call that the audit search serves (`evt.name` is
 * "MCP Server", an outer timestamp), tagged from the call's caller, tool and client.
 */
export function metricPointsOf(events: Iterable<RawAuditEvent>): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const event of events) {
    const outer = obj(event.attributes);
    const inner = obj(outer?.attributes);
    if (obj(inner?.evt)?.name !== 'MCP Server') continue;
    const time = typeof outer?.timestamp === 'string' ? Date.parse(outer.timestamp) : Number.NaN;
    if (!Number.isFinite(time)) continue;
    const mcp = obj(inner?.mcp);
    const usr = obj(inner?.usr);
    points.push({
      time,
      tags: {
        tool_name: tagText(obj(mcp?.tool)?.name),
        client: tagText(obj(mcp?.client)?.name),
        user_id: tagText(usr?.id),
        user_email: tagText(usr?.email),
      },
      value: 20 + Math.floor(unitHash(String(event.id)) * 2000),
    });
  }
  return points.sort((a, b) => a.time - b.time);
}

/** A classic metric query, the part of its syntax the report uses. */
export interface MetricQuery {
  readonly space: 'count' | 'sum';
  readonly metric: string;
  readonly scope: ReadonlyArray<readonly [TagKey, string]>;
  readonly by: readonly TagKey[];
  readonly asCount: boolean;
}

const QUERY = /^(\w+):([\w.]+)\{([^}]*)\}(?:\s+by\s+\{([^}]*)\})?(\.as_count\(\))?$/;

export function parseMetricQuery(query: string): MetricQuery {
  const m = QUERY.exec(query.trim());
  if (!m) throw new MetricsRequestError(`Unable to parse query: ${query.slice(0, 80)}`);
  const space = m[1];
  if (space !== 'count' && space !== 'sum') {
    throw new MetricsRequestError(`The emulator answers count: and sum: queries only (got ${space}:)`);
  }
  const isTag = (t: string): t is TagKey => (TAG_KEYS as readonly string[]).includes(t);
  const scopeText = (m[3] ?? '').trim();
  const scope: Array<readonly [TagKey, string]> = [];
  if (scopeText !== '*' && scopeText !== '') {
    for (const term of scopeText.split(',')) {
      const at = term.indexOf(':');
      const key = term.slice(0, at).trim();
      if (at < 1 || !isTag(key)) throw new MetricsRequestError(`Unsupported scope term: ${term.slice(0, 40)}`);
      scope.push([key, term.slice(at + 1).trim()]);
    }
  }
  const by = (m[4] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = by.find((t) => !isTag(t));
  if (unknown !== undefined) throw new MetricsRequestError(`Unsupported group-by tag: ${unknown.slice(0, 40)}`);
  return { space, metric: m[2] ?? '', scope, by: by as TagKey[], asCount: m[5] !== undefined };
}

/** A scalar request checked the way the emulator needs it (the schema check is the tests' job). */
export interface ScalarRequest {
  readonly from: number;
  readonly to: number;
  readonly queries: ReadonlyArray<{ readonly name: string; readonly aggregator: string; readonly query: MetricQuery }>;
  readonly formula?: { readonly name: string; readonly limit?: number; readonly order: 'asc' | 'desc' };
}

/** Parses a `POST /api/v2/query/scalar` body; throws MetricsRequestError for what Datadog would refuse with 400. */
export function parseScalarRequest(bodyText: string): ScalarRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new MetricsRequestError('Request body is not valid JSON');
  }
  const data = obj(obj(body)?.data);
  if (data?.type !== 'scalar_request') throw new MetricsRequestError('data.type must be scalar_request');
  const attributes = obj(data.attributes);
  const from = attributes?.from;
  const to = attributes?.to;
  if (!Number.isInteger(from) || !Number.isInteger(to)) throw new MetricsRequestError('from and to must be integers');
  if ((from as number) >= (to as number)) throw new MetricsRequestError('from must be before to');
  const rawQueries = attributes?.queries;
  if (!Array.isArray(rawQueries) || rawQueries.length === 0) throw new MetricsRequestError('queries must not be empty');
  const queries = rawQueries.map((raw, i) => {
    const q = obj(raw);
    if (q?.data_source !== 'metrics') throw new MetricsRequestError(`queries[${i}].data_source must be metrics`);
    if (typeof q.query !== 'string') throw new MetricsRequestError(`queries[${i}].query must be a string`);
    const aggregator = q.aggregator;
    if (aggregator !== 'sum' && aggregator !== 'avg') {
      throw new MetricsRequestError(
        `The emulator answers the sum and avg aggregators only (got ${String(aggregator)})`,
      );
    }
    return {
      name: typeof q.name === 'string' ? q.name : `query${i + 1}`,
      aggregator,
      query: parseMetricQuery(q.query),
    };
  });
  const rawFormulas = attributes?.formulas;
  let formula: ScalarRequest['formula'];
  if (Array.isArray(rawFormulas) && rawFormulas.length > 0) {
    const f = obj(rawFormulas[0]);
    const name = typeof f?.formula === 'string' ? f.formula.trim() : '';
    if (!queries.some((q) => q.name === name)) {
      throw new MetricsRequestError(`The emulator answers formulas naming one query only (got ${name.slice(0, 40)})`);
    }
    const limit = obj(f?.limit);
    const count = limit?.count;
    if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1)) {
      throw new MetricsRequestError('limit.count must be a positive integer');
    }
    formula = {
      name,
      ...(typeof count === 'number' ? { limit: count } : {}),
      order: limit?.order === 'asc' ? 'asc' : 'desc',
    };
  }
  return { from: from as number, to: to as number, queries, ...(formula ? { formula } : {}) };
}

const HOUR_MS = 3_600_000;

/**
 * The response body of a scalar request over `points`: a group column per group-by tag (one
 * array of one value per group) and a number column per query, rows sorted by value (then by
 * group) and cut to the formula's limit. `empty` answers as for a metric without data.
 */
export function answerScalar(request: ScalarRequest, points: readonly MetricPoint[], empty = false): unknown {
  const main = request.queries.find((q) => q.name === request.formula?.name) ?? request.queries[0];
  const by = main?.query.by ?? [];
  const rows = new Map<string, { group: string[]; values: number[] }>();
  for (const [index, q] of request.queries.entries()) {
    if (empty || q.query.metric !== MCP_USAGE_METRIC) continue;
    for (const p of points) {
      if (p.time < request.from || p.time >= request.to) continue;
      if (!q.query.scope.every(([key, value]) => p.tags[key] === value)) continue;
      // A key of the group's values without JSON per point (an absent tag is not an empty one).
      const id = by.map((key) => p.tags[key] ?? '\u0001').join('\u0000');
      let row = rows.get(id);
      if (!row) {
        row = { group: by.map((key) => p.tags[key]), values: request.queries.map(() => 0) };
        rows.set(id, row);
      }
      row.values[index] = (row.values[index] ?? 0) + (q.query.space === 'count' ? 1 : p.value);
    }
  }
  const seconds = (request.to - request.from) / 1000;
  const hours = Math.max(1, Math.ceil((request.to - request.from) / HOUR_MS));
  // Without .as_count() a count is a rate (per second); the avg aggregator averages hourly buckets.
  const finish = (q: ScalarRequest['queries'][number], total: number): number => {
    const value = q.query.asCount ? total : total / seconds;
    return q.aggregator === 'avg' ? value / hours : value;
  };
  const mainIndex = main ? request.queries.indexOf(main) : 0;
  const sorted = [...rows.values()]
    .map((row) => ({ ...row, values: row.values.map((v, i) => finish(request.queries[i]!, v)) }))
    .sort((a, b) => {
      const diff = (b.values[mainIndex] ?? 0) - (a.values[mainIndex] ?? 0);
      return (
        (request.formula?.order === 'asc' ? -diff : diff) ||
        JSON.stringify(a.group).localeCompare(JSON.stringify(b.group))
      );
    });
  const kept = request.formula?.limit === undefined ? sorted : sorted.slice(0, request.formula.limit);
  const numberColumns = request.formula
    ? [{ name: request.formula.name, index: mainIndex }]
    : request.queries.map((q, index) => ({ name: q.name, index }));
  return {
    data: {
      type: 'scalar_response',
      attributes: {
        columns: [
          ...by.map((key, k) => ({
            name: key,
            type: 'group',
            values: kept.map((row) => [row.group[k] ?? MISSING_TAG]),
          })),
          ...numberColumns.map(({ name, index }) => ({
            name,
            type: 'number',
            values: kept.map((row) => row.values[index] ?? null),
            meta: { unit: null },
          })),
        ],
      },
    },
  };
}

/** Bodies of a 200 that is not a scalar response, for the `malformedShape` faults. */
export function malformedScalarBody(
  shape: 'null' | 'data-null' | 'data-object' | 'not-json' | 'cursor-number',
): string {
  switch (shape) {
    case 'null':
      return 'null';
    case 'not-json':
      return '<html><body>Gateway says hello</body></html>';
    case 'data-null':
      return JSON.stringify({ data: null });
    case 'data-object':
      return JSON.stringify({ data: { type: 'scalar_response', attributes: { columns: { a: [1] } } } });
    default:
      // Columns whose values are not arrays in parallel: a number column shorter than its groups.
      return JSON.stringify({
        data: {
          type: 'scalar_response',
          attributes: {
            columns: [
              { name: 'tool_name', type: 'group', values: [['a'], ['b']] },
              { name: 'a', type: 'number', values: [1] },
            ],
          },
        },
      });
  }
}
