/**
 * The smallest real request behind each Datadog check, through the project's adapters and under
 * their retry and timeout rules (adapters/datadog/retry.ts: 429 waits, backoff of 5xx and network
 * errors, nothing past the deadline; a refused key throws DatadogAuthError at once):
 * - the API key: `GET /api/v1/validate` with the API key alone (Datadog's own check of it);
 * - audit_logs_read: one audit search of the MCP query over the last minute, `page.limit` 1;
 * - timeseries_query: one scalar query of the MCP usage metric over the last minute, one row;
 * - teams_read: one page of one team of the team search.
 * Datadog tells an application key's scopes to nobody but a key that may manage keys, so each
 * scope is tested by using it: a 403 to a request of a valid API key means the application key
 * lacks that scope (or is not a key of this org).
 */

import { createAuditSearch } from '../adapters/datadog/audit-search';
import type { Transport } from '../adapters/datadog/client';
import { HttpStatusError, kindOf, MalformedResponseError, safeErrorCode } from '../adapters/datadog/errors';
import { createMetricQuery } from '../adapters/datadog/metric-query';
import {
  clientOptionsOf,
  type DatadogAdapterOptions,
  describeTarget,
  type RefusalWording,
  siteOf,
  sourceRetryOf,
} from '../adapters/datadog/options';
import { type Answer, Breaker, type CallOutcome, createRetryingCall } from '../adapters/datadog/retry';
import { createTeamsRead } from '../adapters/datadog/teams-read';
import { MCP_QUERY, MCP_USAGE_METRIC } from '../core/links';

/** How far back the scope probes look: a minute holds at most a page's worth for any org. */
const PROBE_RANGE_MS = 60_000;

export type ProbeName = 'apiKey' | 'auditSearch' | 'metricQuery' | 'teamsPage';

export interface DatadogProbes {
  /** How messages name the API: `site datadoghq.com (api.datadoghq.com)` or `the API at host`. */
  readonly where: string;
  /**
   * One probe with the adapters' retries, ended by `deadline`: its outcome, or a thrown
   * DatadogAuthError (a refused key) or DatadogApiError (a request Datadog rejects).
   */
  run(probe: ProbeName, deadline: number): Promise<CallOutcome<Answer>>;
}

/** The probes of one org (its keys, its site or base URL); `teamKeyword` is the team search's keyword. */
export function createDatadogProbes(options: DatadogAdapterOptions, teamKeyword = ''): DatadogProbes {
  const client = clientOptionsOf(options);
  const audit = createAuditSearch(client);
  const metrics = createMetricQuery(client);
  const teams = createTeamsRead(client);
  const where = describeTarget(options, audit.target);
  const base = options.baseUrl ? options.baseUrl.replace(/\/+$/, '') : `https://api.${siteOf(options)}`;
  const transport: Transport = options.fetch ?? globalThis.fetch;

  const calls: Record<ProbeName, (timeoutMs: number) => Promise<Answer>> = {
    apiKey: (timeoutMs) => validateApiKey(transport, base, options.apiKey, timeoutMs),
    auditSearch: (timeoutMs) => {
      const to = Date.now();
      return audit.search(
        {
          filter: {
            query: MCP_QUERY,
            from: new Date(to - PROBE_RANGE_MS).toISOString(),
            to: new Date(to).toISOString(),
          },
          page: { limit: 1 },
          sort: 'timestamp',
        },
        timeoutMs,
      );
    },
    metricQuery: (timeoutMs) => {
      const to = Date.now();
      return metrics.query(
        {
          query: `count:${MCP_USAGE_METRIC}{*}.as_count()`,
          from: to - PROBE_RANGE_MS,
          to,
          aggregator: 'sum',
          limit: 1,
        },
        timeoutMs,
      );
    },
    teamsPage: (timeoutMs) => teams.listTeams({ keyword: teamKeyword, pageNumber: 0, pageSize: 1 }, timeoutMs),
  };

  // The probes of one org share one limiter (a few requests in flight against its rate limit).
  const wording: RefusalWording = { rejected: 'the keys', refused: 'the request', fix403: 'see the check' };
  const retry = sourceRetryOf(options, 4, audit.target, wording);
  const what: Record<ProbeName, string> = {
    apiKey: 'API key validation',
    auditSearch: 'audit search',
    metricQuery: 'metric query',
    teamsPage: 'team search',
  };
  return {
    where,
    run(probe, deadline) {
      const retrying = createRetryingCall((_: undefined, timeoutMs: number) => calls[probe](timeoutMs), retry.limiter, {
        ...retry.policy,
        what: what[probe],
      });
      return retrying(undefined, deadline, new Breaker(retry.breakerThreshold));
    },
  };
}

/**
 * `GET /api/v1/validate` with the API key alone: `{"valid": true}`, or 403 for a key Datadog does
 * not know at this site. Sent with the adapters' transport, as the client would (it is one GET;
 * the client's v1 models would add megabytes to the bundle for it).
 */
async function validateApiKey(transport: Transport, base: string, apiKey: string, timeoutMs: number): Promise<Answer> {
  const response = await transport(`${base}/api/v1/validate`, {
    method: 'GET',
    headers: { 'DD-API-KEY': apiKey, Accept: 'application/json' },
    signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const text = await response.text();
  if (response.status < 200 || response.status > 299) {
    throw new HttpStatusError(response.status, headers, safeErrorCode(text));
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MalformedResponseError('the body is not JSON', headers, 'key validation');
  }
  const valid = (body as { valid?: unknown } | null)?.valid;
  if (valid !== true) throw new MalformedResponseError(`valid is ${kindOf(valid)}`, headers, 'key validation');
  return { headers };
}
