/**
 * The options every Datadog adapter takes (the keys and where to send them, the retry knobs, the
 * test seams) and what they become, the shared defaults filled in: the client's options, the
 * retry policy, the breaker threshold, and how messages name the API. The audit source, the
 * metrics source and the Teams directory each add only their own knobs.
 */
import type { DatadogSite } from '../../config/values';
import type { Logger } from '../../ports';
import type { DatadogClientOptions, Transport } from './client';
import type { DatadogAuthError } from './errors';
import type { RetryPolicyOptions } from './retry';

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

/** The retry policy and the breaker threshold of `options`, the shared defaults filled in. */
export function retryPolicyOf(
  options: DatadogAdapterOptions,
  authError: (status: number, cause: unknown) => DatadogAuthError,
): { readonly policy: RetryPolicyOptions; readonly breakerThreshold: number } {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
  return {
    policy: {
      maxAttempts,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? MAX_RATE_LIMIT_WAIT_MS,
      backoffBaseMs: options.backoffBaseMs ?? BACKOFF_BASE_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
      ...(options.logger ? { logger: options.logger } : {}),
      authError,
    },
    breakerThreshold: Math.max(1, Math.floor(options.breakerThreshold ?? 2 * maxAttempts)),
  };
}
