/**
 * One audit search request through `v2.AuditApi.searchAuditLogs`, and nothing else: every answer
 * checked before anyone trusts it. A 200 whose body is not a search response (`null`,
 * `{"data": null}`, `data` that is not an array, a cursor that is not a string) is a fault, not
 * "the last page": it throws MalformedResponseError, which the retry policy treats like a 5xx.
 * The client's configuration (site or base URL, timeouts, log routing) is datadog-client.ts;
 * what answers mean as errors, datadog-errors.ts.
 */
import {
  AuditApi,
  AuditApiResponseProcessor,
  type AuditLogsEventsResponse,
  type AuditLogsSearchEventsRequest,
  type ResponseContext,
} from './datadog-api-client';
import { createDatadogClient, type DatadogClientOptions } from './datadog-client';
import { kindOf, MalformedResponseError, readJsonBody } from './datadog-errors';

export {
  DatadogApiError,
  DatadogAuthError,
  HttpStatusError,
  MalformedResponseError,
  safeErrorCode,
} from './datadog-errors';

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
    const page = checkSearchResponse(await readJsonBody(response), response.headers);
    this.headersOf.set(page, response.headers);
    return page as unknown as AuditLogsEventsResponse;
  }
}

export type AuditSearchOptions = DatadogClientOptions;

export interface AuditSearch {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One request; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError, MalformedResponseError or a network error. */
  search(body: AuditLogsSearchEventsRequest, timeoutMs: number): Promise<SearchResult>;
}

export function createAuditSearch(options: AuditSearchOptions): AuditSearch {
  const client = createDatadogClient(options);
  const processor = new RawResponseProcessor();
  const api = new AuditApi(client.configuration, undefined, processor);

  return {
    target: client.target,
    async search(body, timeoutMs) {
      const page = (await client.withTimeout(timeoutMs, () => api.searchAuditLogs({ body }))) as unknown as SearchPage;
      return { page, headers: processor.headersOf.get(page) ?? {} };
    },
  };
}
