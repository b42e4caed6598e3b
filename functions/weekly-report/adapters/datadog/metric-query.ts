/**
 * One metric query through `v2.MetricsApi.queryScalarData` (`POST /api/v2/query/scalar`), and
 * nothing else: the answer kept as Datadog sent it and checked before anyone trusts it. A 200
 * whose body is not a scalar response (no `data`, columns that are not arrays or not in parallel)
 * throws MalformedResponseError, which the retry policy treats like a 5xx; a 200 that carries
 * Datadog's `errors` instead of data throws DatadogApiError (retrying the same query cannot help).
 * The answer becomes rows: one per group, its tag values (a missing tag, `N/A`, is `undefined`)
 * and its number.
 */
import {
  MetricsApi,
  MetricsApiResponseProcessor,
  type ResponseContext,
  type ScalarFormulaQueryRequest,
  type ScalarFormulaQueryResponse,
} from './api-client';
import { createDatadogClient, type DatadogClientOptions } from './client';
import { DatadogApiError, kindOf, MalformedResponseError, readJsonBody, safeErrorCode } from './errors';

/** One group of a scalar answer: the value of each group-by tag (`undefined` when the series lacks it) and its number. */
export interface ScalarRow {
  readonly tags: Readonly<Record<string, string | undefined>>;
  readonly value: number;
}

export interface ScalarAnswer {
  readonly rows: readonly ScalarRow[];
  readonly headers: Readonly<Record<string, string>>;
}

/** A classic metric query over `[from, to)` (epoch ms), reduced to one number per group. */
export interface ScalarQuery {
  readonly query: string;
  readonly from: number;
  readonly to: number;
  /** How the query's time series becomes one number (`sum`: the total of an `.as_count()` series). */
  readonly aggregator: 'sum';
  /** Most groups to return, the largest first. */
  readonly limit: number;
}

/** How Datadog names the group of series without the tag (`n/a` in some answers). */
const MISSING = new Set(['', 'n/a', 'null', 'none']);
const WHAT = 'scalar response';

function malformed(problem: string, headers: Readonly<Record<string, string>>): MalformedResponseError {
  return new MalformedResponseError(problem, headers, WHAT);
}

/** The rows of a scalar response body, or MalformedResponseError naming the first problem. `value` names the number column. */
export function checkScalarResponse(
  body: unknown,
  value = 'a',
  headers: Readonly<Record<string, string>> = {},
): ScalarRow[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformed(`the body is ${kindOf(body)}, not an object`, headers);
  }
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if ((data === undefined || data === null) && typeof errors === 'string' && errors.trim() !== '') {
    const phrase = safeErrorCode(JSON.stringify({ errors: [errors.trim()] }));
    throw new DatadogApiError(200, `Datadog could not answer the metric query${phrase ? ` (${phrase})` : ''}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw malformed(`data is ${kindOf(data)}, not an object`, headers);
  }
  const attributes = (data as { attributes?: unknown }).attributes;
  if (attributes === undefined || attributes === null) return [];
  if (typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw malformed(`data.attributes is ${kindOf(attributes)}, not an object`, headers);
  }
  const columns = (attributes as { columns?: unknown }).columns;
  if (columns === undefined || columns === null) return [];
  if (!Array.isArray(columns)) throw malformed(`data.attributes.columns is ${kindOf(columns)}, not an array`, headers);

  const groups: Array<{ name: string; values: unknown[] }> = [];
  const numbers: Array<{ name: string; values: unknown[] }> = [];
  for (const [i, column] of columns.entries()) {
    const c = column as { name?: unknown; type?: unknown; values?: unknown } | null;
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || !Array.isArray(c.values)) {
      throw malformed(`column ${i} is not a named column of values`, headers);
    }
    if (c.type === 'group') groups.push({ name: c.name, values: c.values });
    else if (c.type === 'number') numbers.push({ name: c.name, values: c.values });
  }
  const number = numbers.find((c) => c.name === value) ?? (numbers.length === 1 ? numbers[0] : undefined);
  if (number === undefined) {
    if (groups.every((g) => g.values.length === 0)) return [];
    throw malformed(`no number column named ${value}`, headers);
  }
  if (groups.some((g) => g.values.length !== number.values.length)) {
    throw malformed('the columns are not of one length', headers);
  }
  const rows: ScalarRow[] = [];
  for (const [i, raw] of number.values.entries()) {
    if (raw === null) continue; // a group without a value: no calls
    if (typeof raw !== 'number' || !Number.isFinite(raw)) throw malformed(`value ${i} is ${kindOf(raw)}`, headers);
    const tags: Record<string, string | undefined> = {};
    for (const group of groups) {
      const cell = group.values[i];
      const first = Array.isArray(cell) ? cell[0] : cell;
      if (first !== undefined && typeof first !== 'string')
        throw malformed(`group ${group.name} holds ${kindOf(first)}`, headers);
      tags[group.name] = first === undefined || MISSING.has(first.trim().toLowerCase()) ? undefined : first;
    }
    rows.push({ tags, value: raw });
  }
  return rows;
}

/**
 * Keeps the body as Datadog sent it (checked here) rather than the client's deserializer, which
 * throws on one column of an unexpected shape; headers ride along in a side table, as in
 * audit-search.ts.
 */
class RawScalarProcessor extends MetricsApiResponseProcessor {
  readonly bodies = new WeakMap<
    object,
    { readonly body: unknown; readonly headers: Readonly<Record<string, string>> }
  >();

  override async queryScalarData(response: ResponseContext): Promise<ScalarFormulaQueryResponse> {
    const body = await readJsonBody(response, WHAT);
    const handle = {};
    this.bodies.set(handle, { body, headers: response.headers });
    return handle as ScalarFormulaQueryResponse;
  }
}

export type MetricQueryOptions = DatadogClientOptions;

export interface MetricQuery {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One request; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError, MalformedResponseError, DatadogApiError or a network error. */
  query(request: ScalarQuery, timeoutMs: number): Promise<ScalarAnswer>;
}

export function createMetricQuery(options: MetricQueryOptions): MetricQuery {
  const client = createDatadogClient(options);
  const processor = new RawScalarProcessor();
  const api = new MetricsApi(client.configuration, undefined, processor);

  return {
    target: client.target,
    async query(request, timeoutMs) {
      // The client's model names (camelCase); its serializer writes the wire names (data_source).
      const body: ScalarFormulaQueryRequest = {
        data: {
          type: 'scalar_request',
          attributes: {
            from: request.from,
            to: request.to,
            queries: [{ dataSource: 'metrics', name: 'a', query: request.query, aggregator: request.aggregator }],
            formulas: [{ formula: 'a', limit: { count: request.limit, order: 'desc' } }],
          },
        },
      };
      const handle = await client.withTimeout(timeoutMs, () => api.queryScalarData({ body }));
      const raw = processor.bodies.get(handle as object);
      if (!raw) throw malformed('no body', {});
      return { rows: checkScalarResponse(raw.body, 'a', raw.headers), headers: raw.headers };
    },
  };
}
