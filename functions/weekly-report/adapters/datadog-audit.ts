/**
 * AuditEventSource over Datadog Audit Trail (`v2.AuditApi.searchAuditLogs`): every MCP-server
 * audit event of a time range, complete (cursor paging until an empty page, since a short page
 * is not the end), fast (the range is cut into time slices fetched with bounded concurrency,
 * each into its own partial, merged in slice order) and honest (a timeout, a warning or a fetch
 * that had to give up marks the result incomplete, with the reason, instead of hiding it).
 *
 * Two deliberate departures from the client's defaults:
 * - Responses are read raw, through our own response processor, not the client's deserializer:
 *   that one turns the outer `timestamp` into a Date, rebuilds events as model classes, and throws
 *   on a single event of the wrong shape (e.g. `tags` not an array), losing the whole page.
 * - Retries are ours: the client's own retry (`enableRetry`) sleeps for `X-RateLimit-Reset` with
 *   no cap and knows nothing of the Lambda's deadline, so it stays off. We see status and
 *   `X-RateLimit-*` headers of every response, cap the waits, back off with jitter, lower the
 *   concurrency when the remaining budget runs low, and stop cleanly at the deadline.
 */

import { MCP_EVENT_NAME } from '../core/aggregate';
import { MCP_QUERY } from '../core/links';
import type { DatadogSite } from '../core/settings';
import type { AuditEventSource, FetchOptions, FetchRange, Mergeable } from '../ports';
import {
  AuditApi,
  AuditApiResponseProcessor,
  type AuditLogsEventsResponse,
  type AuditLogsSearchEventsRequest,
  BaseServerConfiguration,
  createConfiguration,
  type ResponseContext,
} from './datadog-api-client';

export { MCP_QUERY };

/**
 * Default concurrency and slices, measured against the emulator at 150 ms per response with 60k
 * events in the week, 1000 per page (bench/source.ts; emulator in the same process, 2 cores):
 * sequential paging 10.8–11.6 s (61 requests); concurrency 4 × 8 slices 4.5 s; 8 × 8 2.4 s;
 * 8 × 16 2.6 s; 12 × 24 2.5 s; 16 × 16 2.4 s; 16 × 32 2.4 s. Past 8 the gain is gone, while the
 * requests count against the org's shared audit-search rate limit; 2 slices per worker keep an
 * uneven week (a burst in one slice) from leaving workers idle, for ~1 extra request per slice.
 */
export const DEFAULT_CONCURRENCY = 8;
/** Slices per range; more slices than workers so an uneven week still keeps every worker busy. */
export const DEFAULT_SLICES = 16;
const PAGE_LIMIT = 1000;
const DEFAULT_MAX_ATTEMPTS = 6;
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface SourceLogger {
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
}

export interface DatadogAuditSourceOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site. @default 'datadoghq.com' */
  readonly site?: DatadogSite;
  /** Any base URL (DD_API_URL: tests, proxies); wins over `site`. */
  readonly baseUrl?: string;
  /** Requests in flight at most (lowered when the rate limit runs low). @default 8 */
  readonly concurrency?: number;
  /** Time slices per collected range. @default 16 */
  readonly sliceCount?: number;
  /** `page.limit` (1–1000). @default 1000 */
  readonly pageLimit?: number;
  /** Attempts per request before a slice gives up (429, 5xx, network errors). @default 6 */
  readonly maxAttempts?: number;
  readonly logger?: SourceLogger;
  /** Longest wait for a rate limit reset, ms. @default 60000 */
  readonly maxRateLimitWaitMs?: number;
  /** First retry backoff of 5xx/network errors, ms (doubles per attempt, full jitter). @default 500 */
  readonly backoffBaseMs?: number;
  /** Timeout of one HTTP request, ms (never past the deadline). @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Injectable for tests: the sleep between retries and the jitter source. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Injectable for tests: the transport (defaults to the global fetch). */
  readonly fetch?: typeof fetch;
}

/** Datadog refused the keys (401/403). The message names the fix, never the key values. */
export class DatadogAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatadogAuthError';
  }
}

/** Datadog answered in a way retrying cannot fix (e.g. 400 for a malformed request). */
export class DatadogApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatadogApiError';
  }
}

/** A non-2xx answer, with what the retry logic needs to know. */
class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly excerpt: string,
  ) {
    super(`HTTP ${status}: ${excerpt}`);
    this.name = 'HttpStatusError';
  }
}

interface RawPage {
  readonly data?: unknown;
  readonly meta?: {
    readonly page?: { readonly after?: unknown };
    readonly status?: unknown;
    readonly warnings?: unknown;
  };
}

interface PageResult {
  readonly page: RawPage;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Keeps the body as Datadog sent it (plain JSON) and hands status and headers to our retry logic.
 * Headers ride along in a side table keyed by the returned object, so the client's types still fit.
 */
class RawResponseProcessor extends AuditApiResponseProcessor {
  readonly headersOf = new WeakMap<object, Readonly<Record<string, string>>>();

  override async searchAuditLogs(response: ResponseContext): Promise<AuditLogsEventsResponse> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      let page: unknown;
      try {
        page = JSON.parse(text);
      } catch (error) {
        throw new HttpStatusError(502, response.headers, `response body is not JSON (${String(error)})`);
      }
      const result = typeof page === 'object' && page !== null ? page : { data: [] };
      this.headersOf.set(result, response.headers);
      return result as AuditLogsEventsResponse;
    }
    throw new HttpStatusError(response.httpStatusCode, response.headers, text.slice(0, 200));
  }
}

/** A semaphore whose size can shrink (rate limit running low) and grow back. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private limit: number,
    readonly max: number,
  ) {}

  get current(): number {
    return this.limit;
  }

  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.min(this.max, Math.floor(limit)));
    this.pump();
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()?.();
    }
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function outerTimestamp(raw: unknown): number {
  const attributes = (raw as { attributes?: unknown } | null)?.attributes;
  if (typeof attributes !== 'object' || attributes === null) return Number.NaN;
  const ts = (attributes as { timestamp?: unknown }).timestamp;
  return typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
}

function eventName(raw: unknown): unknown {
  const inner = (raw as { attributes?: { attributes?: { evt?: { name?: unknown } } } } | null)?.attributes?.attributes;
  return typeof inner === 'object' && inner !== null ? inner.evt?.name : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function warningText(warnings: unknown): string {
  if (!Array.isArray(warnings)) return 'unspecified warning';
  return warnings
    .map((w) => {
      const o = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
      return [o.code, o.title, o.detail].filter((x) => typeof x === 'string' && x !== '').join(': ');
    })
    .filter((s) => s !== '')
    .join('; ');
}

/** Splits `[from, to)` into `count` contiguous slices of (nearly) equal length, whole milliseconds. */
export function sliceRange(from: number, to: number, count: number): Array<{ from: number; to: number }> {
  const n = Math.max(1, Math.min(Math.floor(count), Math.max(1, to - from)));
  const slices: Array<{ from: number; to: number }> = [];
  for (let i = 0; i < n; i++) {
    slices.push({ from: from + Math.floor(((to - from) * i) / n), to: from + Math.floor(((to - from) * (i + 1)) / n) });
  }
  return slices;
}

export function createDatadogAuditSource(options: DatadogAuditSourceOptions): AuditEventSource {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const sliceCount = Math.max(1, Math.floor(options.sliceCount ?? DEFAULT_SLICES));
  const pageLimit = Math.max(1, Math.min(PAGE_LIMIT, Math.floor(options.pageLimit ?? PAGE_LIMIT)));
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? MAX_RATE_LIMIT_WAIT_MS;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const transport = options.fetch ?? globalThis.fetch;
  const target = options.baseUrl ? new URL(options.baseUrl).host : `api.${options.site ?? 'datadoghq.com'}`;

  // Our own fetch: the global one (undici keeps connections alive; the client's default is
  // cross-fetch), with a per-request timeout so no request can hang the Lambda.
  let currentTimeoutMs = requestTimeoutMs;
  const timedFetch = (url: string, init: RequestInit): Promise<Response> => {
    const timeout = AbortSignal.timeout(Math.max(1, currentTimeoutMs));
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return transport(url, { ...init, signal });
  };

  const configuration = createConfiguration({
    authMethods: { apiKeyAuth: options.apiKey, appKeyAuth: options.appKey },
    ...(options.baseUrl ? { baseServer: new BaseServerConfiguration(options.baseUrl.replace(/\/+$/, ''), {}) } : {}),
    fetch: timedFetch,
    enableRetry: false,
  });
  if (!options.baseUrl) configuration.setServerVariables({ site: options.site ?? 'datadoghq.com' });
  const processor = new RawResponseProcessor();
  const api = new AuditApi(configuration, undefined, processor);
  const limiter = new Limiter(concurrency, concurrency);

  /** Reads the rate limit budget of a response and adapts the concurrency. */
  function adapt(headers: Readonly<Record<string, string>>): void {
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (!Number.isFinite(remaining)) return;
    if (remaining <= limiter.current * 2) {
      const lowered = Math.max(1, Math.floor(limiter.current / 2));
      if (lowered < limiter.current) {
        logger?.warn('Datadog rate limit running low; lowering concurrency', { remaining, concurrency: lowered });
        limiter.setLimit(lowered);
      }
    } else if (remaining > limiter.max * 10 && limiter.current < limiter.max) {
      limiter.setLimit(limiter.current + 1);
    }
  }

  function authError(status: number, cause: unknown): DatadogAuthError {
    const site = options.baseUrl ? `the API at ${target}` : `site ${options.site ?? 'datadoghq.com'} (${target})`;
    const message =
      status === 401
        ? `Datadog rejected the API key (HTTP 401) at ${site}: check DD_API_KEY and that it belongs to this site's org.`
        : `Datadog refused the audit search (HTTP 403) at ${site}: the API key or application key is invalid for this site, ` +
          'or the application key lacks the audit_logs_read scope. Check DD_API_KEY, DD_APP_KEY and DD_SITE / DD_API_URL.';
    return new DatadogAuthError(status, message, { cause });
  }

  type Outcome = { ok: true; page: PageResult } | { ok: false; reason: string };

  /** One page, with retries; resolves to the page or to why it gave up. Throws only for auth/400s. */
  async function fetchPage(body: AuditLogsSearchEventsRequest, reached: number, deadline: number): Promise<Outcome> {
    let lastProblem = '';
    let kind = '';
    for (let attempt = 1; ; attempt++) {
      if (Date.now() >= deadline) {
        return {
          ok: false,
          reason:
            `Datadog fetch stopped at the deadline: gave up at ${iso(reached)}` +
            (attempt > 1 ? ` after ${attempt - 1} retries (${lastProblem})` : '') +
            '; events after that time are missing',
        };
      }
      let waitMs: number;
      await limiter.acquire();
      try {
        // Shared by concurrent requests; they all carry the same deadline in practice (one per invocation).
        currentTimeoutMs = Math.min(requestTimeoutMs, deadline - Date.now());
        const response = (await api.searchAuditLogs({ body })) as unknown as RawPage;
        const headers = processor.headersOf.get(response as object) ?? {};
        adapt(headers);
        return { ok: true, page: { page: response, headers } };
      } catch (error) {
        if (error instanceof HttpStatusError) {
          if (error.status === 401 || error.status === 403) throw authError(error.status, error);
          adapt(error.headers);
          if (error.status === 429) {
            kind = 'Datadog rate limit';
            const reset = Number(error.headers['x-ratelimit-reset']);
            waitMs = Math.min(maxRateLimitWaitMs, (Number.isFinite(reset) && reset > 0 ? reset : 1) * 1000);
            // The budget is spent: fewer requests at a time after the reset.
            limiter.setLimit(Math.max(1, Math.floor(limiter.current / 2)));
          } else if (error.status >= 500 || error.status === 408) {
            kind = `Datadog unavailable (HTTP ${error.status})`;
            waitMs = backoffBaseMs * 2 ** (attempt - 1) * (0.5 + random() / 2);
          } else {
            throw new DatadogApiError(error.status, `Datadog rejected the audit search: ${error.message}`, {
              cause: error,
            });
          }
          lastProblem = `HTTP ${error.status}`;
        } else {
          // Network errors, timeouts, resets: transient by nature.
          kind = 'Datadog unreachable';
          lastProblem = error instanceof Error ? error.message : String(error);
          waitMs = backoffBaseMs * 2 ** (attempt - 1) * (0.5 + random() / 2);
        }
      } finally {
        limiter.release();
      }
      if (attempt >= maxAttempts) {
        return {
          ok: false,
          reason: `${kind}: gave up at ${iso(reached)} after ${attempt - 1} retries (${lastProblem}); events after that time are missing`,
        };
      }
      if (Date.now() + waitMs > deadline) {
        return {
          ok: false,
          reason:
            `${kind}: gave up at ${iso(reached)} after ${attempt - 1} retries, as waiting ${Math.ceil(waitMs / 1000)} s ` +
            `more would pass the deadline (${lastProblem}); events after that time are missing`,
        };
      }
      logger?.warn('Datadog audit search failed; retrying', {
        problem: lastProblem,
        attempt,
        waitMs: Math.round(waitMs),
      });
      await sleep(waitMs);
    }
  }

  /** Pages one slice, sequentially, into `partial`. */
  async function collectSlice<T extends Mergeable<T>>(
    slice: { from: number; to: number },
    partial: T,
    deadline: number,
  ): Promise<{ events: number; pages: number }> {
    let cursor: string | undefined;
    let reached = slice.from;
    let events = 0;
    let pages = 0;
    const seenProblems = new Set<string>();
    const problem = (reason: string): void => {
      if (seenProblems.has(reason)) return;
      seenProblems.add(reason);
      partial.markIncomplete(reason);
      logger?.warn('Datadog audit data incomplete', { reason });
    };
    for (;;) {
      const body: AuditLogsSearchEventsRequest = {
        filter: { query: MCP_QUERY, from: iso(slice.from), to: iso(slice.to) },
        page: cursor === undefined ? { limit: pageLimit } : { limit: pageLimit, cursor },
        sort: 'timestamp',
      };
      const outcome = await fetchPage(body, reached, deadline);
      if (!outcome.ok) {
        problem(`${outcome.reason} (slice ${iso(slice.from)} to ${iso(slice.to)})`);
        break;
      }
      pages++;
      const { page } = outcome.page;
      const data = Array.isArray(page.data) ? page.data : [];
      if (page.meta?.status === 'timeout') {
        problem(
          `Datadog reported a query timeout for ${iso(slice.from)} to ${iso(slice.to)}: some events of that time are missing`,
        );
      }
      if (
        page.meta?.warnings !== undefined &&
        !(Array.isArray(page.meta.warnings) && page.meta.warnings.length === 0)
      ) {
        problem(`Datadog returned warnings (results may be partial): ${warningText(page.meta.warnings)}`);
      }
      for (const raw of data) {
        const time = outerTimestamp(raw);
        // The query asked for [from, to); whether Datadog includes `to` is not documented, and an
        // event at a slice's end belongs to the next slice: filter here so nothing counts twice.
        if (Number.isFinite(time) && (time < slice.from || time >= slice.to)) continue;
        const name = eventName(raw);
        if (typeof name === 'string' && name !== MCP_EVENT_NAME) continue;
        if (Number.isFinite(time) && time > reached) reached = time;
        partial.add(raw);
        events++;
      }
      const after = page.meta?.page?.after;
      // The end is an empty page; a short page is not the end. No cursor: nothing to follow.
      if (data.length === 0 || typeof after !== 'string' || after === '') break;
      if (after === cursor) {
        problem(`Datadog returned the same page cursor twice at ${iso(reached)}; stopped paging that slice`);
        break;
      }
      cursor = after;
    }
    return { events, pages };
  }

  return {
    async collect<T extends Mergeable<T>>(range: FetchRange, create: () => T, fetchOptions?: FetchOptions): Promise<T> {
      const from = range.from.getTime();
      const to = range.to.getTime();
      const deadline = fetchOptions?.deadline ?? Number.POSITIVE_INFINITY;
      const started = Date.now();
      if (!(to > from)) return create();
      const slices = sliceRange(from, to, sliceCount);
      const partials = slices.map(() => create());
      // Every slice pages on its own; the limiter bounds the requests in flight across all slices
      // (and across concurrent collect() calls of this source, e.g. window and baseline).
      const results = await Promise.allSettled(
        slices.map((slice, i) => collectSlice(slice, partials[i] as T, deadline)),
      );
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      let events = 0;
      let pages = 0;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          events += r.value.events;
          pages += r.value.pages;
        }
      }
      const merged = partials.slice(1).reduce<T>((acc, p) => acc.merge(p), partials[0] as T);
      logger?.info('Datadog audit events collected', {
        from: iso(from),
        to: iso(to),
        events,
        pages,
        slices: slices.length,
        ms: Date.now() - started,
      });
      return merged;
    },
  };
}
