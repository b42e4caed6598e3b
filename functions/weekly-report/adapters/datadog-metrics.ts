/**
 * McpUsageSource over Datadog's `datadog.mcp.tool.usage` metric: calls by tool, by client and by
 * caller × each, over the report window, the previous window and the baseline, read with the
 * v2 scalar query (datadog-metrics-http.ts) under the audit source's rules (datadog-retry.ts:
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

import { MCP_USAGE_METRIC } from '../core/links';
import type { DatadogSite } from '../core/settings';
import type { McpCaller, McpUsage, McpUsageData, McpUsageRead } from '../core/types';
import { UNKNOWN } from '../core/types';
import type { FetchOptions, FetchRange, McpUsageRanges, McpUsageSource } from '../ports';
import { DatadogApiError, DatadogAuthError } from './datadog-errors';
import { createMetricQuery, type ScalarAnswer, type ScalarQuery } from './datadog-metrics-http';
import { Breaker, createRetryingCall, Limiter, type SourceLogger } from './datadog-retry';

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

export interface DatadogMetricsSourceOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site. @default 'datadoghq.com' */
  readonly site?: DatadogSite;
  /** Any base URL (DD_API_URL: tests, proxies); wins over `site`. */
  readonly baseUrl?: string;
  /** Requests in flight at most (lowered when the rate limit runs low). @default 4 */
  readonly concurrency?: number;
  /** Groups per query. @default 1000 */
  readonly rowLimit?: number;
  /** Attempts per request (429, 5xx, network errors). @default 6 */
  readonly maxAttempts?: number;
  /** Failed attempts in a row after which the rest gives up. @default 2 × maxAttempts */
  readonly breakerThreshold?: number;
  /** Longest wait for a rate limit reset, ms. @default 60000 */
  readonly maxRateLimitWaitMs?: number;
  /** First retry backoff of 5xx/network errors, ms (doubles per attempt, full jitter). @default 500 */
  readonly backoffBaseMs?: number;
  /** Timeout of one HTTP request, ms (never past the deadline). @default 30000 */
  readonly requestTimeoutMs?: number;
  readonly logger?: SourceLogger;
  /** Injectable for tests: the sleep between retries, the jitter source, the transport. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  const site = options.site ?? 'datadoghq.com';
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_METRIC_CONCURRENCY));
  const rowLimit = Math.max(1, Math.floor(options.rowLimit ?? DEFAULT_ROW_LIMIT));
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 6));
  const breakerThreshold = Math.max(1, Math.floor(options.breakerThreshold ?? 2 * maxAttempts));
  const logger = options.logger;
  const metricQuery = createMetricQuery({
    apiKey: options.apiKey,
    appKey: options.appKey,
    site,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onClientLog: (message) => logger?.warn('datadog_client_log', { message }),
  });
  const where = options.baseUrl ? `the API at ${metricQuery.target}` : `site ${site} (${metricQuery.target})`;
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
  const policy = {
    maxAttempts,
    maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    ...(logger ? { logger } : {}),
    authError,
    what: 'metric query',
  };

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
        range: FetchRange,
        grouping: Grouping,
      ): Promise<{ rows: ScalarAnswer['rows']; full: boolean }> {
        const request: ScalarQuery = {
          query: usageQuery(grouping),
          from: range.from.getTime(),
          to: range.to.getTime(),
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

      async function read(range: FetchRange, groupings: readonly Grouping[]): Promise<McpUsageRead> {
        if (!(range.to.getTime() > range.from.getTime())) {
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
