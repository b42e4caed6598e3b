/**
 * One audit search request through `v2.AuditApi.searchAuditLogs`, and nothing else: every answer
 * checked before anyone trusts it. A 200 whose body is not a search response (`null`,
 * `{"data": null}`, `data` that is not an array, a cursor that is not a string) is a fault, not
 * "the last page": it throws MalformedResponseError, which the retry policy treats like a 5xx.
 * Bodies are decoded by adapters/datadog-page.ts, on this thread or in the CLI's workers.
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
import { MalformedResponseError, readBodyBytes } from './datadog-errors';
import { type DecodedPage, decodeInProcess, type PageDecoder } from './datadog-page';

export {
  DatadogApiError,
  DatadogAuthError,
  HttpStatusError,
  MalformedResponseError,
  safeErrorCode,
} from './datadog-errors';

/** A search response, checked for shape, its events normalized (adapters/datadog-page.ts). */
export type SearchPage = DecodedPage;

export interface SearchResult {
  readonly page: SearchPage;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Hands the body, undecoded, to `decode` (on this thread, or a worker's) instead of the client's
 * deserializer (see adapters/datadog-page.ts). Headers ride along in a side table keyed by the
 * returned object, so the client's types still fit.
 */
class RawResponseProcessor extends AuditApiResponseProcessor {
  readonly headersOf = new WeakMap<object, Readonly<Record<string, string>>>();

  constructor(private readonly decode: PageDecoder) {
    super();
  }

  override async searchAuditLogs(response: ResponseContext): Promise<AuditLogsEventsResponse> {
    const outcome = await this.decode(await readBodyBytes(response));
    if (!outcome.ok) throw new MalformedResponseError(outcome.problem, response.headers);
    this.headersOf.set(outcome.page, response.headers);
    return outcome.page as unknown as AuditLogsEventsResponse;
  }
}

export interface AuditSearchOptions extends DatadogClientOptions {
  /** Where response bodies are decoded. @default on this thread */
  readonly decodePage?: PageDecoder;
}

export interface AuditSearch {
  /** `host` of the API, for messages. */
  readonly target: string;
  /** One request; `timeoutMs` (≥ 1, whole ms) bounds it. Throws HttpStatusError, MalformedResponseError or a network error. */
  search(body: AuditLogsSearchEventsRequest, timeoutMs: number): Promise<SearchResult>;
}

export function createAuditSearch(options: AuditSearchOptions): AuditSearch {
  const client = createDatadogClient(options);
  const processor = new RawResponseProcessor(options.decodePage ?? decodeInProcess);
  const api = new AuditApi(client.configuration, undefined, processor);

  return {
    target: client.target,
    async search(body, timeoutMs) {
      const page = (await client.withTimeout(timeoutMs, () => api.searchAuditLogs({ body }))) as unknown as SearchPage;
      return { page, headers: processor.headersOf.get(page) ?? {} };
    },
  };
}
