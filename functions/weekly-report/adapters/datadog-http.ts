/**
 * One audit search request through `v2.AuditApi.searchAuditLogs`, and nothing else: the client
 * configured for a site or any base URL, every request bounded by a timeout in whole
 * milliseconds, and every answer checked before anyone trusts it. A 200 whose body is not a
 * search response (`null`, `{"data": null}`, `data` that is not an array, a cursor that is not a
 * string) is a fault, not "the last page": it throws MalformedResponseError, which the retry
 * policy treats like a 5xx. Error messages carry the HTTP status and Datadog's short error
 * phrase at most, never a response body (a 401 body may echo a credential).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AuditApi,
  AuditApiResponseProcessor,
  type AuditLogsEventsResponse,
  type AuditLogsSearchEventsRequest,
  BaseServerConfiguration,
  createConfiguration,
  datadogClientLogger,
  type ResponseContext,
} from './datadog-api-client';

/** A search response as it arrived, checked for shape (see `checkSearchResponse`). */
export interface SearchPage {
  readonly data: readonly unknown[];
  readonly meta?: {
    readonly page?: { readonly after?: string };
    readonly status?: unknown;
    readonly warnings?: unknown;
  };
}

export interface SearchResult {
  readonly page: SearchPage;
  readonly headers: Readonly<Record<string, string>>;
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

/** A non-2xx answer: its status, its headers (rate limits) and Datadog's error phrase when it is a safe one. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly code: string | undefined,
  ) {
    super(`HTTP ${status}${code ? ` (${code})` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** A 2xx answer whose body is not an audit search response; `problem` says what is wrong, without the body. */
export class MalformedResponseError extends Error {
  constructor(
    readonly problem: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super(`Datadog sent a malformed search response (${problem})`);
    this.name = 'MalformedResponseError';
  }
}

/**
 * Datadog's error phrase (`{"errors": ["Forbidden"]}`) when it is a short phrase of letters;
 * anything else (digits, long text, key-like strings) may echo a request value and is dropped.
 */
export function safeErrorCode(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const first = (parsed as { errors?: unknown } | null)?.errors;
  const phrase = Array.isArray(first) ? first[0] : undefined;
  return typeof phrase === 'string' && /^[A-Za-z][A-Za-z ,.'-]{0,60}$/.test(phrase) ? phrase : undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Returns `body` as a SearchPage, or throws MalformedResponseError naming the first problem. */
export function checkSearchResponse(body: unknown, headers: Readonly<Record<string, string>> = {}): SearchPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedResponseError(`the body is ${kindOf(body)}, not an object`, headers);
  }
  const { data, meta } = body as { data?: unknown; meta?: unknown };
  if (!Array.isArray(data)) throw new MalformedResponseError(`data is ${kindOf(data)}, not an array`, headers);
  if (meta !== undefined && meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      throw new MalformedResponseError(`meta is ${kindOf(meta)}, not an object`, headers);
    }
    const page = (meta as { page?: unknown }).page;
    if (page !== undefined && page !== null) {
      if (typeof page !== 'object' || Array.isArray(page)) {
        throw new MalformedResponseError(`meta.page is ${kindOf(page)}, not an object`, headers);
      }
      const after = (page as { after?: unknown }).after;
      if (after !== undefined && after !== null && typeof after !== 'string') {
        throw new MalformedResponseError(`meta.page.after is ${kindOf(after)}, not a string`, headers);
      }
    }
  }
  return body as SearchPage;
}

/**
 * Keeps the body as Datadog sent it (plain JSON, checked for shape) rather than the client's
 * deserializer, which turns timestamps into Dates, rebuilds events as classes and throws on one
 * event of the wrong shape (losing the page). Headers ride along in a side table keyed by the
 * returned object, so the client's types still fit.
 */
class RawResponseProcessor extends AuditApiResponseProcessor {
  readonly headersOf = new WeakMap<object, Readonly<Record<string, string>>>();

  override async searchAuditLogs(response: ResponseContext): Promise<AuditLogsEventsResponse> {
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new HttpStatusError(response.httpStatusCode, response.headers, safeErrorCode(text));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new MalformedResponseError('the body is not JSON', response.headers);
    }
    const page = checkSearchResponse(body, response.headers);
    this.headersOf.set(page, response.headers);
    return page as unknown as AuditLogsEventsResponse;
  }
}

export interface AuditSearchOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site, e.g. `datadoghq.eu`. @default 'datadoghq.com' */
  readonly site?: string;
  /** Any base URL (DD_API_URL: tests, proxies); wins over `site`. */
  readonly baseUrl?: string;
  /** The transport. @default the global fetch (undici: keep-alive) */
  readonly fetch?: typeof fetch;
  /** Where the client's own log lines go (they would otherwise be unstructured console output). */
  readonly onClientLog?: (message: string) => void;
}

export interface AuditSearch {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One request; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError, MalformedResponseError or a network error. */
  search(body: AuditLogsSearchEventsRequest, timeoutMs: number): Promise<SearchResult>;
}

/** Describes one client log call without its objects (they may hold request details). */
function describeLogArgs(args: readonly unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a.trim() : ''))
    .filter((s) => s !== '')
    .join(' ')
    .slice(0, 300);
}

/**
 * The client logs failed requests itself (`console.error` with the whole error object), which
 * breaks a JSON log stream. Its logger is a process-wide singleton: route it once, to the sink
 * of the most recently created search.
 */
let clientLogSink: ((message: string) => void) | undefined;
let clientLoggerRouted = false;
function routeClientLogs(sink: ((message: string) => void) | undefined): void {
  clientLogSink = sink;
  if (clientLoggerRouted) return;
  clientLoggerRouted = true;
  const logger = datadogClientLogger as {
    methodFactory: (...args: unknown[]) => (...args: unknown[]) => void;
    rebuild(): void;
  };
  logger.methodFactory =
    () =>
    (...args: unknown[]) =>
      clientLogSink?.(describeLogArgs(args));
  logger.rebuild();
}

export function createAuditSearch(options: AuditSearchOptions): AuditSearch {
  const transport = options.fetch ?? globalThis.fetch;
  const target = options.baseUrl ? new URL(options.baseUrl).host : `api.${options.site ?? 'datadoghq.com'}`;
  routeClientLogs(options.onClientLog);

  // Each request's timeout travels with its async context into our fetch, which the client calls
  // after awaits of its own (concurrent requests interleave there).
  const requestTimeout = new AsyncLocalStorage<number>();
  const timedFetch = (url: string, init: RequestInit): Promise<Response> => {
    const timeout = AbortSignal.timeout(requestTimeout.getStore() ?? 30_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return transport(url, { ...init, signal });
  };
  const configuration = createConfiguration({
    authMethods: { apiKeyAuth: options.apiKey, appKeyAuth: options.appKey },
    ...(options.baseUrl ? { baseServer: new BaseServerConfiguration(options.baseUrl.replace(/\/+$/, ''), {}) } : {}),
    fetch: timedFetch,
    // Retries are ours (datadog-retry.ts): the client's own sleeps for X-RateLimit-Reset with no cap.
    enableRetry: false,
  });
  if (!options.baseUrl) configuration.setServerVariables({ site: options.site ?? 'datadoghq.com' });
  const processor = new RawResponseProcessor();
  const api = new AuditApi(configuration, undefined, processor);

  return {
    target,
    async search(body, timeoutMs) {
      // AbortSignal.timeout throws on a fractional or non-positive delay.
      const ms = Math.max(1, Math.floor(timeoutMs));
      const page = (await requestTimeout.run(ms, () => api.searchAuditLogs({ body }))) as unknown as SearchPage;
      return { page, headers: processor.headersOf.get(page) ?? {} };
    },
  };
}
