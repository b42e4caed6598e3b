/**
 * One audit search response, from the bytes Datadog sent to a checked page whose events are
 * normalized into columns (core/record-batch.ts). A 200 whose body is not a search response
 * (not JSON, `null`, `{"data": null}`, `data` that is not an array, a cursor that is not a
 * string) is a problem, not "the last page": the caller makes it a MalformedResponseError, which
 * the retry policy treats like a 5xx. The body is kept as Datadog sent it rather than through the
 * client's deserializer, which turns timestamps into Dates, rebuilds events as classes and throws
 * on one event of the wrong shape (losing the page).
 *
 * Pure and free of the Datadog client: the function decodes pages on its own thread, the command
 * line in worker threads (cli/decode-pool.ts), with this same code.
 */

import { EventRecord } from '../../core/normalize';
import { type RecordBatch, RecordBatchBuilder } from '../../core/record-batch';
import { MCP_EVENT_NAME } from '../../core/types';
import { kindOf } from './errors';

/** What a search response says about itself, beside its events. */
export interface SearchMeta {
  readonly page?: { readonly after?: string };
  readonly status?: unknown;
  readonly warnings?: unknown;
}

/** A search response, checked for shape, its events normalized. */
export interface DecodedPage {
  readonly meta?: SearchMeta;
  /** Every item of `data`, in order (a malformed one too: it still counts). */
  readonly records: RecordBatch;
}

/** A decoded page, or what is wrong with the body (never the body itself: it may echo a request value). */
export type PageOutcome =
  | { readonly ok: true; readonly page: DecodedPage }
  | { readonly ok: false; readonly problem: string };

/** Decodes one response body; the function's is `decodeSearchPage` on its own thread, the CLI's a worker pool. */
export type PageDecoder = (body: Uint8Array) => Promise<PageOutcome>;

/** What is wrong with `body` as a search response, or undefined when nothing is. */
export function searchResponseProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `the body is ${kindOf(body)}, not an object`;
  const { data, meta } = body as { data?: unknown; meta?: unknown };
  if (!Array.isArray(data)) return `data is ${kindOf(data)}, not an array`;
  if (meta === undefined || meta === null) return undefined;
  if (typeof meta !== 'object' || Array.isArray(meta)) return `meta is ${kindOf(meta)}, not an object`;
  const page = (meta as { page?: unknown }).page;
  if (page === undefined || page === null) return undefined;
  if (typeof page !== 'object' || Array.isArray(page)) return `meta.page is ${kindOf(page)}, not an object`;
  const after = (page as { after?: unknown }).after;
  if (after !== undefined && after !== null && typeof after !== 'string') {
    return `meta.page.after is ${kindOf(after)}, not a string`;
  }
  return undefined;
}

/** The outer `attributes.timestamp` as `Date.parse` reads it: what the source filters slices by. */
function outerTimestamp(raw: unknown): number {
  const attributes = (raw as { attributes?: unknown } | null)?.attributes;
  if (typeof attributes !== 'object' || attributes === null) return Number.NaN;
  const ts = (attributes as { timestamp?: unknown }).timestamp;
  return typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
}

/** True when `evt.name` is a string naming another kind of audit event (one without a readable name may be a malformed MCP call). */
function isOtherEventName(raw: unknown): boolean {
  const inner = (raw as { attributes?: { attributes?: { evt?: { name?: unknown } } } } | null)?.attributes?.attributes;
  const name = typeof inner === 'object' && inner !== null ? inner.evt?.name : undefined;
  return typeof name === 'string' && name !== MCP_EVENT_NAME;
}

/** The meta members the source reads, and nothing else (the rest is not handed between threads). */
function metaOf(meta: unknown): SearchMeta | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { page, status, warnings } = meta as {
    page?: { after?: unknown } | null;
    status?: unknown;
    warnings?: unknown;
  };
  const after = page?.after;
  return {
    ...(typeof after === 'string' ? { page: { after } } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(warnings !== undefined ? { warnings } : {}),
  };
}

/** Decodes one search response body (UTF-8 JSON) into a checked page. */
export function decodeSearchPage(body: Uint8Array): PageOutcome {
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM, as fetch's text() drops it
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  const problem = searchResponseProblem(parsed);
  if (problem !== undefined) return { ok: false, problem };
  const { data, meta } = parsed as { data: unknown[]; meta?: unknown };
  const builder = new RecordBatchBuilder(data.length);
  const record = new EventRecord();
  for (const raw of data) builder.add(record.read(raw), outerTimestamp(raw), isOtherEventName(raw));
  const decodedMeta = metaOf(meta);
  return { ok: true, page: { ...(decodedMeta ? { meta: decodedMeta } : {}), records: builder.finish() } };
}

/** Decodes on the calling thread. */
export const decodeInProcess: PageDecoder = (body) => Promise.resolve(decodeSearchPage(body));
