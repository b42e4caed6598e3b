/**
 * McpUsageSource over Datadog's `datadog.mcp.tool.usage` metric: calls by tool, by client and by
 * caller × each, over the report window, the previous window and the baseline, read with the
 * v2 scalar query (metric-query.ts) under the audit source's rules (retry.ts:
 * deadline, 429 waits, backoff, a limiter of its own, a circuit breaker).
 *
 * The queries. The metric is a distribution with one point per tool call, so calls are
 * `count:datadog.mcp.tool.usage{*} by {…}.as_count()` (`count`, not `sum`, which would add up the
 * points' values), and the scalar query's `aggregator: 'sum'` adds the series' points, each the
 * calls of one rollup bucket, into the total over `[from, to)`. Datadog aligns rollup buckets to
 * Unix time, not to the query (1 h for a week, 4 h for a month by default), and does not say
 * whether a bucket that straddles `from` or `to` is cut; a local-day edge that is not a multiple
 * of the bucket (a 4 h bucket and a midnight at 23:00Z, a zone at :30) may count calls up to one
 * bucket on the wrong side. The report shows the metric's numbers on their own, never mixed with
 * the audit's.
 *
 * Unavailable is not a failure: this source never throws. A refused key (403: the application
 * key lacks `timeseries_query`), a rejected query (404, 400), a timeout, the deadline or repeated
 * 5xx make a range `unavailable` with the reason, and the report says why its tool and client
 * sections are empty. The first refusal stops the queries not yet sent.
 *
 * The parts: `createDatadogMetricsSource` builds what every read shares (the query, the
 * retries); a UsageRead is one `usage` call (a ReadScope: its deadline, breaker and first
 * refusal, read-scope.ts): the three ranges, each range's groupings, each grouping's query;
 * `usageOf` turns the groupings' rows into the core's McpUsage.
 */

import { MCP_USAGE_METRIC } from '../../core/links';
import type { TimeRange } from '../../core/time';
import type { McpCaller, McpUsage, McpUsageData, McpUsageRead } from '../../core/types';
import { UNKNOWN } from '../../core/types';
import type { FetchOptions, Logger, McpUsageRanges, McpUsageSource } from '../../ports';
import { DatadogApiError, DatadogAuthError } from './errors';
import { createMetricQuery, type MetricQuery, type ScalarAnswer, type ScalarQuery } from './metric-query';
import {
  clientOptionsOf,
  type DatadogAdapterOptions,
  type RefusalWording,
  type SourceRetry,
  sourceRetryOf,
} from './options';
import { failureReason, ReadScope } from './read-scope';
import type { CallOutcome } from './retry';

/** Requests in flight at most: a run asks 9 queries, and they share the org's query rate limit with its dashboards. */
export const DEFAULT_METRIC_CONCURRENCY = 4;
/** Groups per query at most; a query that fills it marks the usage `truncated`. */
export const DEFAULT_ROW_LIMIT = 1000;

const GROUPINGS = {
  tools: ['tool_name'],
  clients: ['client'],
  callerTools: ['user_id', 'user_email', 'tool_name'],
  callerClients: ['user_id', 'user_email', 'client'],
} as const;
type Grouping = keyof typeof GROUPINGS;

/** `count:datadog.mcp.tool.usage{*} by {tool_name}.as_count()`. */
export function usageQuery(grouping: Grouping): string {
  return `count:${MCP_USAGE_METRIC}{*} by {${GROUPINGS[grouping].join(',')}}.as_count()`;
}

export interface DatadogMetricsSourceOptions extends DatadogAdapterOptions {
  /** Requests in flight at most (lowered when the rate limit runs low). @default 4 */
  readonly concurrency?: number;
  /** Groups per query. @default 1000 */
  readonly rowLimit?: number;
}

/** How the error of a refused key reads for the metric query: what was refused, and the fix. */
const REFUSAL: RefusalWording = {
  rejected: 'the API key for the metric query',
  refused: 'the metric query',
  fix403: 'the application key needs the timeseries_query scope (audit_logs_read reads the audit events only)',
};

type Rows = ScalarAnswer['rows'];
const ALL_GROUPINGS: readonly Grouping[] = ['tools', 'clients', 'callerTools', 'callerClients'];

/** What every `usage` call of a source shares. */
interface MetricsParts {
  readonly metricQuery: MetricQuery;
  readonly retry: SourceRetry;
  readonly rowLimit: number;
  readonly logger: Logger | undefined;
}

export function createDatadogMetricsSource(options: DatadogMetricsSourceOptions): McpUsageSource {
  const metricQuery = createMetricQuery(clientOptionsOf(options));
  const parts: MetricsParts = {
    metricQuery,
    retry: sourceRetryOf(options, options.concurrency ?? DEFAULT_METRIC_CONCURRENCY, metricQuery.target, REFUSAL),
    rowLimit: Math.max(1, Math.floor(options.rowLimit ?? DEFAULT_ROW_LIMIT)),
    logger: options.logger,
  };
  return {
    usage: (ranges: McpUsageRanges, fetchOptions?: FetchOptions): Promise<McpUsageData> =>
      new UsageRead(parts, fetchOptions?.deadline ?? Number.POSITIVE_INFINITY).usage(ranges),
  };
}

/** One `usage` call: its queries share a deadline, a breaker and the first refusal (ReadScope). */
class UsageRead {
  private readonly scope: ReadScope;
  private readonly query: (request: ScalarQuery) => Promise<CallOutcome<ScalarAnswer>>;

  constructor(
    private readonly parts: MetricsParts,
    deadline: number,
  ) {
    // Any error no retry can fix refuses the read: a key without the scope, a query Datadog rejects.
    this.scope = new ReadScope(
      parts.retry,
      deadline,
      (error) => error instanceof DatadogAuthError || error instanceof DatadogApiError,
    );
    this.query = this.scope.retrying(
      (request: ScalarQuery, timeoutMs: number) => parts.metricQuery.query(request, timeoutMs),
      'metric query',
    );
  }

  /** The window and the previous window by every grouping, the baseline by caller × client; and a log line. */
  async usage(ranges: McpUsageRanges): Promise<McpUsageData> {
    const started = Date.now();
    const [window, previous, baseline] = await Promise.all([
      this.read(ranges.window, ALL_GROUPINGS),
      ranges.previous ? this.read(ranges.previous, ALL_GROUPINGS) : undefined,
      // new_client needs only who used which client before.
      ranges.baseline ? this.read(ranges.baseline, ['callerClients']) : undefined,
    ]);
    const data: McpUsageData = { window, ...(previous ? { previous } : {}), ...(baseline ? { baseline } : {}) };
    const status = (r: McpUsageRead | undefined) => r?.status ?? 'not asked';
    const line = {
      window: status(window),
      previous: status(previous),
      baseline: status(baseline),
      ms: Date.now() - started,
    };
    if (window.status === 'ok') this.parts.logger?.info('Datadog MCP usage metric read', line);
    else this.parts.logger?.warn('Datadog MCP usage metric unavailable', { ...line, reason: window.reason });
    return data;
  }

  /** One range by `groupings`, their queries at once; unavailable, with the first failure's reason, when any fails. */
  private async read(range: TimeRange, groupings: readonly Grouping[]): Promise<McpUsageRead> {
    if (!(range.to > range.from)) {
      return { status: 'ok', usage: { tools: [], clients: [], callerTools: [], callerClients: [] } };
    }
    const settled = await Promise.allSettled(groupings.map((g) => this.rows(range, g)));
    const answers = new Map<Grouping, { rows: Rows; full: boolean }>();
    for (const [i, s] of settled.entries()) {
      // Not a Datadog answer but a fault of ours: still no reason to fail the audit report.
      if (s.status === 'rejected') {
        return { status: 'unavailable', reason: failureReason(s.reason, 'the metric could not be read') };
      }
      answers.set(groupings[i] as Grouping, s.value);
    }
    return { status: 'ok', usage: usageOf(answers) };
  }

  /** The rows of one grouping over `range`, and whether they filled the row limit; ReadFailed when not read. */
  private async rows(range: TimeRange, grouping: Grouping): Promise<{ rows: Rows; full: boolean }> {
    const { rowLimit } = this.parts;
    const request: ScalarQuery = {
      query: usageQuery(grouping),
      from: range.from,
      to: range.to,
      aggregator: 'sum',
      limit: rowLimit,
    };
    const answer = await this.scope.result(this.query, request);
    return { rows: answer.rows, full: answer.rows.length >= rowLimit };
  }
}

/** A metric tag value as the core counts it: a caller's missing tag is absent, a missing tool or client `(unknown)`. */
const named = (value: string | undefined): string => value ?? UNKNOWN;
function callerOf(tags: ScalarAnswer['rows'][number]['tags']): McpCaller {
  const userId = tags.user_id;
  const email = tags.user_email;
  return { ...(userId !== undefined ? { userId } : {}), ...(email !== undefined ? { email } : {}) };
}
/** Counts of an `.as_count()` series are whole calls; a rollup may still hand back a fraction. */
const calls = (value: number): number => Math.max(0, Math.round(value));

/** The core's McpUsage of the groupings' rows (a grouping not asked has none); `truncated` when one filled its limit. */
function usageOf(answers: ReadonlyMap<Grouping, { readonly rows: Rows; readonly full: boolean }>): McpUsage {
  const rows = (g: Grouping): Rows => answers.get(g)?.rows ?? [];
  return {
    tools: rows('tools').map((r) => ({ tool: named(r.tags.tool_name), calls: calls(r.value) })),
    clients: rows('clients').map((r) => ({ client: named(r.tags.client), calls: calls(r.value) })),
    callerTools: rows('callerTools').map((r) => ({
      ...callerOf(r.tags),
      tool: named(r.tags.tool_name),
      calls: calls(r.value),
    })),
    callerClients: rows('callerClients').map((r) => ({
      ...callerOf(r.tags),
      client: named(r.tags.client),
      calls: calls(r.value),
    })),
    ...([...answers.values()].some((a) => a.full) ? { truncated: true } : {}),
  };
}
