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
 */

import { MCP_USAGE_METRIC } from '../../core/links';
import type { TimeRange } from '../../core/time';
import type { McpCaller, McpUsage, McpUsageData, McpUsageRead } from '../../core/types';
import { UNKNOWN } from '../../core/types';
import type { FetchOptions, McpUsageRanges, McpUsageSource } from '../../ports';
import { DatadogApiError, DatadogAuthError } from './errors';
import { createMetricQuery, type ScalarAnswer, type ScalarQuery } from './metric-query';
import { clientOptionsOf, type DatadogAdapterOptions, describeTarget, retryPolicyOf } from './options';
import { Breaker, createRetryingCall, Limiter } from './retry';

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

/** A metric tag value as the core counts it: a caller's missing tag is absent, a missing tool or client `(unknown)`. */
const named = (value: string | undefined): string => value ?? UNKNOWN;
function callerOf(tags: ScalarAnswer['rows'][number]['tags']): McpCaller {
  const userId = tags.user_id;
  const email = tags.user_email;
  return { ...(userId !== undefined ? { userId } : {}), ...(email !== undefined ? { email } : {}) };
}
/** Counts of an `.as_count()` series are whole calls; a rollup may still hand back a fraction. */
const calls = (value: number): number => Math.max(0, Math.round(value));

class QueryFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'QueryFailed';
  }
}

/** A query not sent because Datadog already refused one of this read (the retry policy passes it on untouched). */
class AlreadyRefused extends DatadogApiError {
  constructor(reason: string) {
    super(0, reason);
    this.name = 'AlreadyRefused';
  }
}

export function createDatadogMetricsSource(options: DatadogMetricsSourceOptions): McpUsageSource {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_METRIC_CONCURRENCY));
  const rowLimit = Math.max(1, Math.floor(options.rowLimit ?? DEFAULT_ROW_LIMIT));
  const logger = options.logger;
  const metricQuery = createMetricQuery(clientOptionsOf(options));
  const where = describeTarget(options, metricQuery.target);
  const authError = (status: number, cause: unknown): DatadogAuthError =>
    new DatadogAuthError(
      status,
      status === 401
        ? `Datadog rejected the API key for the metric query (HTTP 401) at ${where}`
        : `Datadog refused the metric query (HTTP 403) at ${where}: the application key needs the timeseries_query scope ` +
            '(audit_logs_read reads the audit events only)',
      { cause },
    );
  const limiter = new Limiter(concurrency, concurrency);
  const retry = retryPolicyOf(options, authError);
  const policy = { ...retry.policy, what: 'metric query' };
  const breakerThreshold = retry.breakerThreshold;

  return {
    async usage(ranges: McpUsageRanges, fetchOptions?: FetchOptions): Promise<McpUsageData> {
      const started = Date.now();
      const deadline = fetchOptions?.deadline ?? Number.POSITIVE_INFINITY;
      const breaker = new Breaker(breakerThreshold);
      /** Set by the first refusal (a key without the scope, a rejected query): the queries after it are not sent. */
      let refused: string | undefined;
      // Checked once a request has its slot in the limiter, so queries queued behind a refusal never go out.
      const call = createRetryingCall(
        (request: ScalarQuery, timeoutMs) =>
          refused === undefined ? metricQuery.query(request, timeoutMs) : Promise.reject(new AlreadyRefused(refused)),
        limiter,
        policy,
      );

      async function rows(
        range: TimeRange,
        grouping: Grouping,
      ): Promise<{ rows: ScalarAnswer['rows']; full: boolean }> {
        const request: ScalarQuery = {
          query: usageQuery(grouping),
          from: range.from,
          to: range.to,
          aggregator: 'sum',
          limit: rowLimit,
        };
        try {
          const outcome = await call(request, deadline, breaker);
          if (!outcome.ok) throw new QueryFailed(outcome.cause);
          return { rows: outcome.result.rows, full: outcome.result.rows.length >= rowLimit };
        } catch (error) {
          if (error instanceof AlreadyRefused) throw new QueryFailed(error.message);
          if (error instanceof DatadogAuthError || error instanceof DatadogApiError) {
            refused ??= error.message;
            throw new QueryFailed(refused);
          }
          throw error;
        }
      }

      async function read(range: TimeRange, groupings: readonly Grouping[]): Promise<McpUsageRead> {
        if (!(range.to > range.from)) {
          return { status: 'ok', usage: { tools: [], clients: [], callerTools: [], callerClients: [] } };
        }
        const settled = await Promise.allSettled(groupings.map((g) => rows(range, g)));
        const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failure) {
          const error = failure.reason as Error | undefined;
          // Not a Datadog answer but a fault of ours: still no reason to fail the audit report.
          const reason =
            error instanceof QueryFailed
              ? error.reason
              : `the metric could not be read (${error?.name ?? 'Error'}: ${String(error?.message).slice(0, 120)})`;
          return { status: 'unavailable', reason };
        }
        const answer = (g: Grouping) => {
          const i = groupings.indexOf(g);
          const s = i >= 0 ? settled[i] : undefined;
          return s?.status === 'fulfilled' ? s.value : { rows: [], full: false };
        };
        const usage: McpUsage = {
          tools: answer('tools').rows.map((r) => ({ tool: named(r.tags.tool_name), calls: calls(r.value) })),
          clients: answer('clients').rows.map((r) => ({ client: named(r.tags.client), calls: calls(r.value) })),
          callerTools: answer('callerTools').rows.map((r) => ({
            ...callerOf(r.tags),
            tool: named(r.tags.tool_name),
            calls: calls(r.value),
          })),
          callerClients: answer('callerClients').rows.map((r) => ({
            ...callerOf(r.tags),
            client: named(r.tags.client),
            calls: calls(r.value),
          })),
          ...(groupings.some((g) => answer(g).full) ? { truncated: true } : {}),
        };
        return { status: 'ok', usage };
      }

      const all: readonly Grouping[] = ['tools', 'clients', 'callerTools', 'callerClients'];
      const [window, previous, baseline] = await Promise.all([
        read(ranges.window, all),
        ranges.previous ? read(ranges.previous, all) : undefined,
        // new_client needs only who used which client before.
        ranges.baseline ? read(ranges.baseline, ['callerClients']) : undefined,
      ]);
      const data: McpUsageData = { window, ...(previous ? { previous } : {}), ...(baseline ? { baseline } : {}) };
      const status = (r: McpUsageRead | undefined) => r?.status ?? 'not asked';
      const line = {
        window: status(window),
        previous: status(previous),
        baseline: status(baseline),
        ms: Date.now() - started,
      };
      if (window.status === 'ok') logger?.info('Datadog MCP usage metric read', line);
      else logger?.warn('Datadog MCP usage metric unavailable', { ...line, reason: window.reason });
      return data;
    },
  };
}
