/**
 * AuditEventSource over Datadog Audit Trail (`v2.AuditApi.searchAuditLogs`): every MCP-server
 * audit event of a time range, and an honest account of what it could not read.
 * - Complete: each time slice follows the page cursor until an empty page (a short page is not
 *   the end); the range is cut into slices fetched with bounded concurrency, each into its own
 *   partial, merged in slice order.
 * - Never counted twice: each event `id` counts once per range (a replayed or overlapping page
 *   adds nothing), a cursor seen before in the slice stops it (a cycle A → B → A would page
 *   forever), a page of only known events stops it, and a hard cap bounds the pages per slice.
 * - Frugal with a range that may be empty (FetchOptions.probeFirst: a baseline with no archived
 *   weeks): one request over the whole range first; an empty range, or one a page holds, costs
 *   that request alone instead of one per slice (see `probe`).
 * - Honest: whatever could not be read becomes a gap (core/gaps.ts) with its cause and time
 *   range — the rest of the slice after a give-up, or the slice when Datadog reports a query
 *   timeout or warnings — so the report is marked partial, or the run fails when nothing of
 *   the window was read.
 * The HTTP layer and its checks live in audit-search.ts (the client's configuration in
 * client.ts, the options every Datadog adapter shares in options.ts); waits,
 * retries and the circuit breaker in retry.ts.
 */

import type { DataGap } from '../../core/gaps';
import { MCP_QUERY } from '../../core/links';
import { RecordBatchReader } from '../../core/record-batch';
import type { TimeRange } from '../../core/time';
import type { Mergeable } from '../../core/types';
import type { AuditEventSource, FetchOptions } from '../../ports';
import type { AuditLogsSearchEventsRequest } from './api-client';
import type { PageDecoder } from './audit-page';
import { createAuditSearch, type SearchPage } from './audit-search';
import { DatadogApiError, DatadogAuthError } from './errors';
import { clientOptionsOf, type DatadogAdapterOptions, describeTarget, retryPolicyOf } from './options';
import { Breaker, createPageFetcher, Limiter } from './retry';

export { DatadogApiError, DatadogAuthError, MCP_QUERY };

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
/** With an expected event count, slices hold about a page each, but never fewer than this (latency). */
const MIN_HINTED_SLICES = 4;
/** Pages one slice may take: 1000 × 1000 events is 16 M events a week at 16 slices, far past any org. */
const DEFAULT_MAX_PAGES_PER_SLICE = 1000;

export interface DatadogAuditSourceOptions extends DatadogAdapterOptions {
  /** Where response bodies are parsed and normalized (the CLI: worker threads). @default this thread */
  readonly decodePage?: PageDecoder;
  /** Requests in flight at most (lowered when the rate limit runs low). @default 8 */
  readonly concurrency?: number;
  /** Time slices per collected range. @default 16 */
  readonly sliceCount?: number;
  /** `page.limit` (1–1000). @default 1000 */
  readonly pageLimit?: number;
  /** Pages per slice at most; hitting it marks the rest of the slice as not read. @default 1000 */
  readonly maxPagesPerSlice?: number;
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

/** True when `meta.warnings` holds anything: Datadog says the result is partial. */
function hasWarnings(warnings: unknown): boolean {
  return warnings !== undefined && warnings !== null && !(Array.isArray(warnings) && warnings.length === 0);
}

function hasCursor(after: unknown): after is string {
  return after !== undefined && after !== null && after !== '';
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
  const maxPages = Math.max(1, Math.floor(options.maxPagesPerSlice ?? DEFAULT_MAX_PAGES_PER_SLICE));
  const logger = options.logger;

  const search = createAuditSearch({
    ...clientOptionsOf(options),
    ...(options.decodePage ? { decodePage: options.decodePage } : {}),
  });
  const where = describeTarget(options, search.target);
  const authError = (status: number, cause: unknown): DatadogAuthError =>
    new DatadogAuthError(
      status,
      status === 401
        ? `Datadog rejected the API key (HTTP 401) at ${where}: check DD_API_KEY and that it belongs to this site's org.`
        : `Datadog refused the audit search (HTTP 403) at ${where}: the API key or application key is invalid for this site, ` +
            'or the application key lacks the audit_logs_read scope. Check DD_API_KEY, DD_APP_KEY and DD_SITE / DD_API_URL.',
      { cause },
    );
  const { policy, breakerThreshold } = retryPolicyOf(options, authError);
  const limiter = new Limiter(concurrency, concurrency);
  const fetchPage = createPageFetcher(search, limiter, policy);

  /** What one range's slices share: the ids already counted and the breaker. */
  interface RangeState {
    readonly seenIds: Set<string>;
    readonly breaker: Breaker;
    readonly deadline: number;
  }

  /**
   * Adds to `partial` the MCP events of `records` in `[span.from, span.to)` (and those without a
   * time) that `range` has not counted yet. The query asked for that span; whether Datadog
   * includes `to` is not documented, and an event at a span's end belongs to the next one: the
   * filter here makes sure nothing counts twice. Returns the events added, those already counted,
   * and the latest time added.
   */
  function addFresh<T extends Mergeable<T>>(
    records: RecordBatchReader,
    span: { readonly from: number; readonly to: number },
    range: RangeState,
    partial: T,
  ): { fresh: number; repeated: number; latest: number } {
    let fresh = 0;
    let repeated = 0;
    let latest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < records.length; i++) {
      const time = records.sourceTime(i);
      if (Number.isFinite(time) && (time < span.from || time >= span.to)) continue;
      if (records.otherName(i)) continue;
      const record = records.at(i);
      const id = record.id;
      if (id !== undefined) {
        if (range.seenIds.has(id)) {
          repeated++;
          continue;
        }
        range.seenIds.add(id);
      }
      if (time > latest) latest = time;
      partial.addRecord(record);
      fresh++;
    }
    return { fresh, repeated, latest };
  }

  /** Pages one slice, sequentially, into `partial`. */
  async function collectSlice<T extends Mergeable<T>>(
    slice: { from: number; to: number },
    partial: T,
    range: RangeState,
  ): Promise<{ events: number; pages: number }> {
    let cursor: string | undefined;
    const seenCursors = new Set<string>();
    let reached = slice.from;
    let events = 0;
    let pages = 0;
    const gap = (cause: string, kind: DataGap['kind'], from: number): void => {
      partial.markIncomplete({ cause, kind, from, to: slice.to });
      logger?.warn('Datadog audit data incomplete', { cause, kind, from: iso(from), to: iso(slice.to) });
    };
    for (;;) {
      if (pages >= maxPages) {
        gap(`paging stopped at the cap of ${maxPages} pages per time slice`, 'lost', reached);
        break;
      }
      const body: AuditLogsSearchEventsRequest = {
        filter: { query: MCP_QUERY, from: iso(slice.from), to: iso(slice.to) },
        page: cursor === undefined ? { limit: pageLimit } : { limit: pageLimit, cursor },
        sort: 'timestamp',
      };
      // The slice with the fewest pages read goes first: it most likely has the most left to read.
      const outcome = await fetchPage(body, range.deadline, range.breaker, pages);
      if (!outcome.ok) {
        gap(outcome.cause, 'lost', reached);
        break;
      }
      pages++;
      const page: SearchPage = outcome.result.page;
      if (page.meta?.status === 'timeout') gap('Datadog reported a query timeout', 'partial', slice.from);
      const warnings = page.meta?.warnings;
      if (hasWarnings(warnings)) gap(`Datadog returned warnings (${warningText(warnings)})`, 'partial', slice.from);
      const { fresh, repeated, latest } = addFresh(new RecordBatchReader(page.records), slice, range, partial);
      events += fresh;
      if (latest > reached) reached = latest;
      if (repeated > 0) {
        logger?.warn('Datadog served events already counted', {
          repeated,
          slice: `${iso(slice.from)}/${iso(slice.to)}`,
        });
      }
      // The end is an empty page; a short page is not the end. No cursor: nothing to follow.
      const after = page.meta?.page?.after;
      if (page.records.length === 0 || !hasCursor(after)) break;
      if (after === cursor || seenCursors.has(after)) {
        gap('Datadog repeated a page cursor (a cursor cycle); paging of that time stopped', 'lost', reached);
        break;
      }
      if (fresh === 0 && repeated > 0) {
        // A replay of pages already read: following its cursor could go round forever.
        gap('Datadog served a page of events already received; paging of that time stopped', 'lost', reached);
        break;
      }
      seenCursors.add(after);
      cursor = after;
    }
    return { events, pages };
  }

  /**
   * A page over the whole of `[from, to)` before it is cut into slices. The answer sorts by
   * timestamp, ascending, so every event before the page's last timestamp `t` is on the page:
   * those are kept (in `partial`), and the slices start at `t`, where the page's events at `t`
   * are read again. A short page that still has a cursor (the real API's way with its last
   * page) is followed once: an empty next page ends the range at two requests. Returns where the
   * slices start (`to` when the pages were the whole range) and what was read, or undefined when
   * a page cannot be trusted or brings nothing — a failure, a timeout or warnings, no progress
   * past `from` — and then nothing was kept: the range is fetched as if there had been no probe.
   */
  async function probe<T extends Mergeable<T>>(
    from: number,
    to: number,
    partial: T,
    range: RangeState,
  ): Promise<{ rest: number; events: number; pages: number } | undefined> {
    const readers: RecordBatchReader[] = [];
    let cursor: string | undefined;
    let complete = false;
    while (readers.length < 2) {
      const body: AuditLogsSearchEventsRequest = {
        filter: { query: MCP_QUERY, from: iso(from), to: iso(to) },
        page: cursor === undefined ? { limit: pageLimit } : { limit: pageLimit, cursor },
        sort: 'timestamp',
      };
      // Before any slice's page: what it finds decides the range's other requests.
      const outcome = await fetchPage(body, range.deadline, range.breaker, -1);
      if (!outcome.ok) {
        logger?.warn('Datadog audit probe failed; fetching the range in slices', { cause: outcome.cause });
        return undefined;
      }
      const page: SearchPage = outcome.result.page;
      if (page.meta?.status === 'timeout' || hasWarnings(page.meta?.warnings)) return undefined;
      const records = new RecordBatchReader(page.records);
      readers.push(records);
      const after = page.meta?.page?.after;
      if (records.length === 0 || !hasCursor(after)) {
        complete = true;
        break;
      }
      // A full page: the range is busy, slice the rest now. A repeated cursor: stop following it.
      if (records.length >= pageLimit || after === cursor) break;
      cursor = after;
    }
    let rest = to;
    if (!complete) {
      let last = Number.NEGATIVE_INFINITY;
      for (const records of readers) {
        for (let i = 0; i < records.length; i++) {
          const time = records.sourceTime(i);
          if (time >= from && time < to && time > last) last = time;
        }
      }
      if (!(last > from)) return undefined;
      rest = last;
    }
    let events = 0;
    for (const records of readers) events += addFresh(records, { from, to: rest }, range, partial).fresh;
    return { rest, events, pages: readers.length };
  }

  /** Slices for `expected` events: about a page each, at least MIN_HINTED_SLICES, at most sliceCount. */
  function slicesFor(expected: number): number {
    return Math.max(Math.min(MIN_HINTED_SLICES, sliceCount), Math.min(sliceCount, Math.ceil(expected / pageLimit)));
  }

  return {
    async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, fetchOptions?: FetchOptions): Promise<T> {
      const from = range.from;
      const to = range.to;
      const started = Date.now();
      if (!(to > from)) return create();
      const state: RangeState = {
        seenIds: new Set(),
        breaker: new Breaker(breakerThreshold),
        deadline: fetchOptions?.deadline ?? Number.POSITIVE_INFINITY,
      };
      // A range known to be quiet (from the archived weeks before it) needs fewer slices: every
      // slice costs at least one request of the org's shared rate limit, its empty last page.
      const expected = fetchOptions?.expectedEvents;
      let start = from;
      let count = expected === undefined ? sliceCount : slicesFor(expected);
      let events = 0;
      let pages = 0;
      const partials: T[] = [];
      if (fetchOptions?.probeFirst && expected === undefined) {
        const head = create();
        const probed = await probe(from, to, head, state);
        if (probed !== undefined) {
          pages += probed.pages;
          partials.push(head);
          events += probed.events;
          start = probed.rest;
          // The pace of the page read so far sizes the rest; twice it, as a range's activity tends to grow.
          if (start < to) count = slicesFor((2 * probed.events * (to - start)) / (start - from));
        }
      }
      const slices = start < to ? sliceRange(start, to, count) : [];
      const slicePartials = slices.map(() => create());
      partials.push(...slicePartials);
      // Every slice pages on its own; the limiter bounds the requests in flight across all slices
      // (and across concurrent collect() calls of this source, e.g. window and baseline).
      const results = await Promise.allSettled(
        slices.map((slice, i) => collectSlice(slice, slicePartials[i] as T, state)),
      );
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          events += r.value.events;
          pages += r.value.pages;
        }
      }
      // Never empty: the probe's partial, or the slices of a non-empty range.
      const merged = partials.slice(1).reduce<T>((acc, p) => acc.merge(p), partials[0] as T);
      logger?.info('Datadog audit events collected', {
        from: iso(from),
        to: iso(to),
        events,
        pages,
        slices: slices.length,
        ...(start > from ? { probed: iso(start) } : {}),
        ms: Date.now() - started,
      });
      return merged;
    },
  };
}
