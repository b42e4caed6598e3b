/**
 * The options every Datadog adapter takes (the keys and where to send them, the retry knobs, the
 * test seams) and what they become, the shared defaults filled in: the client's options, and a
 * source's retries (SourceRetry: its limiter, the retry policy, the breaker threshold, the error
 * of a refused key, worded for its API). The audit source, the metrics source and the Teams
 * directory each add only their own knobs.
 */
import type { DatadogSite } from '../../config/values';
import type { Logger } from '../../ports';
import type { DatadogClientOptions, Transport } from './client';
import { DatadogAuthError } from './errors';
import { Limiter, type RetryPolicyOptions } from './retry';

export interface DatadogAdapterOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site. @default 'datadoghq.com' */
  readonly site?: DatadogSite;
  /** Any base URL (DD_API_URL: tests, proxies); wins over `site`. */
  readonly baseUrl?: string;
  /** Attempts per request before it gives up (429, 5xx, network errors, malformed 200s). @default 6 */
  readonly maxAttempts?: number;
  /** Failed attempts in a row, across one call's requests, after which the rest give up. @default 2 × maxAttempts */
  readonly breakerThreshold?: number;
  /** Longest wait for a rate limit reset, ms. @default 60000 */
  readonly maxRateLimitWaitMs?: number;
  /** First retry backoff of 5xx/network errors, ms (doubles per attempt, full jitter). @default 500 */
  readonly backoffBaseMs?: number;
  /** Timeout of one HTTP request, ms (never past the deadline). @default 30000 */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  /** Injectable for tests: the sleep between retries, the jitter source. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** The HTTP transport. @default the global fetch; the CLI's is node:http (adapters/datadog/node-transport.ts) */
  readonly fetch?: Transport;
}

const DEFAULT_MAX_ATTEMPTS = 6;
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const REQUEST_TIMEOUT_MS = 30_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The site, with its default. */
export function siteOf(options: DatadogAdapterOptions): DatadogSite {
  return options.site ?? 'datadoghq.com';
}

/** The client's options; the client's own log lines go to the adapter's logger as warnings. */
export function clientOptionsOf(options: DatadogAdapterOptions): DatadogClientOptions {
  const logger = options.logger;
  return {
    apiKey: options.apiKey,
    appKey: options.appKey,
    site: siteOf(options),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onClientLog: (message) => logger?.warn('datadog_client_log', { message }),
  };
}

/** How messages name the API: `the API at host` for a base URL, else `site S (host)`. */
export function describeTarget(options: DatadogAdapterOptions, target: string): string {
  return options.baseUrl ? `the API at ${target}` : `site ${siteOf(options)} (${target})`;
}

/** How a refused key's error names what was refused and the fix. */
export interface RefusalWording {
  /** What a 401 rejected: `the API key for the metric query`. */
  readonly rejected: string;
  /** What to check after a 401, if anything beyond the key. */
  readonly fix401?: string;
  /** What a 403 refused: `the metric query`. */
  readonly refused: string;
  /** Why a 403, and the fix: the scope the application key needs. */
  readonly fix403: string;
}

/** What every request of one source shares: the limiter of its requests in flight, the retry policy, the breaker threshold. */
export interface SourceRetry {
  readonly limiter: Limiter;
  readonly policy: RetryPolicyOptions;
  readonly breakerThreshold: number;
}

/**
 * The retries of a source with `concurrency` requests in flight at most (a whole number, at least
 * 1): the policy and the breaker threshold of `options`, the shared defaults filled in, and the
 * error of a refused key at `target` (the API's host) worded by `wording`.
 */
export function sourceRetryOf(
  options: DatadogAdapterOptions,
  concurrency: number,
  target: string,
  wording: RefusalWording,
): SourceRetry {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
  return {
    limiter: new Limiter(Math.max(1, Math.floor(concurrency)), Math.max(1, Math.floor(concurrency))),
    policy: {
      maxAttempts,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? MAX_RATE_LIMIT_WAIT_MS,
      backoffBaseMs: options.backoffBaseMs ?? BACKOFF_BASE_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
      ...(options.logger ? { logger: options.logger } : {}),
      authError: refusedKeyError(describeTarget(options, target), wording),
    },
    breakerThreshold: Math.max(1, Math.floor(options.breakerThreshold ?? 2 * maxAttempts)),
  };
}

/** The DatadogAuthError of a refused key (401/403) at `where`, naming the fix and never the keys. */
function refusedKeyError(where: string, wording: RefusalWording): (status: number, cause: unknown) => DatadogAuthError {
  return (status, cause) =>
    new DatadogAuthError(
      status,
      status === 401
        ? `Datadog rejected ${wording.rejected} (HTTP 401) at ${where}${wording.fix401 ? `: ${wording.fix401}` : ''}`
        : `Datadog refused ${wording.refused} (HTTP 403) at ${where}: ${wording.fix403}`,
      { cause },
    );
}
