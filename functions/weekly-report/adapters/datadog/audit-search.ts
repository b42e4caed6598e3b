/**
 * One audit search request through `v2.AuditApi.searchAuditLogs`, and nothing else: every answer
 * checked before anyone trusts it. A 200 whose body is not a search response (`null`,
 * `{"data": null}`, `data` that is not an array, a cursor that is not a string) is a fault, not
 * "the last page": it throws MalformedResponseError, which the retry policy treats like a 5xx.
 * Bodies are decoded by adapters/datadog/audit-page.ts, on this thread or in the CLI's workers.
 * The client's configuration (site or base URL, timeouts, log routing) is client.ts;
 * what answers mean as errors, errors.ts.
 */
import {
  AuditApi,
  AuditApiResponseProcessor,
  type AuditLogsEventsResponse,
  type AuditLogsSearchEventsRequest,
  type ResponseContext,
} from './api-client';
import { type DecodedPage, decodeInProcess, type PageDecoder } from './audit-page';
import { createDatadogClient, type DatadogClientOptions } from './client';
import { MalformedResponseError, readBodyBytes } from './errors';

export {
  DatadogApiError,
  DatadogAuthError,
  HttpStatusError,
  MalformedResponseError,
  safeErrorCode,
} from './errors';

/** A search response, checked for shape, its events normalized (adapters/datadog/audit-page.ts). */
export type SearchPage = DecodedPage;

export interface SearchResult {
  readonly page: SearchPage;
  readonly headers: Readonly<Record<string, string>>;
}

/** A 2xx answer as it arrived: its body undecoded. */
export interface RawSearchResult {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Keeps the body as bytes instead of the client's deserializer (adapters/datadog/audit-page.ts says
 * why); it is decoded after the request's slot is free (AuditSearch.decode). Headers ride along
 * in a side table keyed by the returned object, so the client's types still fit.
 */
class RawResponseProcessor extends AuditApiResponseProcessor {
  readonly headersOf = new WeakMap<object, Readonly<Record<string, string>>>();

  override async searchAuditLogs(response: ResponseContext): Promise<AuditLogsEventsResponse> {
    const raw = { body: await readBodyBytes(response) };
    this.headersOf.set(raw, response.headers);
    return raw as unknown as AuditLogsEventsResponse;
  }
}

export interface AuditSearchOptions extends DatadogClientOptions {
  /** Where response bodies are decoded. @default on this thread */
  readonly decodePage?: PageDecoder;
}

export interface AuditSearch {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One request; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError or a network error. */
  search(body: AuditLogsSearchEventsRequest, timeoutMs: number): Promise<RawSearchResult>;
  /** The page a 2xx answer holds; throws MalformedResponseError when it is not a search response. */
  decode(raw: RawSearchResult): Promise<SearchResult>;
}

export function createAuditSearch(options: AuditSearchOptions): AuditSearch {
  const client = createDatadogClient(options);
  const processor = new RawResponseProcessor();
  const api = new AuditApi(client.configuration, undefined, processor);
  const decodePage = options.decodePage ?? decodeInProcess;

  return {
    target: client.target,
    async search(body, timeoutMs) {
      const raw = (await client.withTimeout(timeoutMs, () => api.searchAuditLogs({ body }))) as unknown as {
        body: Uint8Array;
      };
      return { body: raw.body, headers: processor.headersOf.get(raw) ?? {} };
    },
    async decode(raw) {
      const outcome = await decodePage(raw.body);
      if (!outcome.ok) throw new MalformedResponseError(outcome.problem, raw.headers);
      return { page: outcome.page, headers: raw.headers };
    },
  };
}
