/**
 * AuditEventSource over Datadog Audit Trail (`v2.AuditApi.searchAuditLogs`): every AI audit event
 * of a time range (FetchOptions.activity: the MCP server's tool calls, or every kind of AI
 * activity in one query, core/links.ts), and an honest account of what it could not read. This file puts
 * the parts together and plans one range's read (`DatadogAuditSource.collect`): perhaps a probe
 * first, then time slices read at once with bounded concurrency, each into its own partial,
 * merged in range order.
 * - The probe (FetchOptions.probeFirst: a baseline with no archived weeks): one request over the
 *   whole range first, so an empty or quiet range costs one request, not one per slice
 *   (audit-probe.ts).
 * - The slices: how a range is cut, and how one slice follows its cursor to the end, stops a
 *   cursor cycle or a replay, and marks what it could not read (audit-slice.ts).
 * - What both share: the page request, the de-duplication of event ids across a range, the
 *   check that answers came oldest first, and the gaps (audit-range.ts). Whatever could not be
 *   read becomes a gap (core/gaps.ts) with its cause and time range, so the report is marked
 *   partial, or the run fails when nothing of the window was read.
 * The HTTP layer and its checks live in audit-search.ts (the client's configuration in
 * client.ts, the options every Datadog adapter shares in options.ts); waits, retries and the
 * circuit breaker in retry.ts.
 */

import { MCP_QUERY } from '../../core/links';
import type { TimeRange } from '../../core/time';
import type { Mergeable } from '../../core/types';
import type { AuditEventSource, FetchOptions, Logger } from '../../ports';
import type { PageDecoder } from './audit-page';
import { probeRange } from './audit-probe';
import { AuditPages, createPageFetcher, iso, RangeRead, type Span } from './audit-range';
import { createAuditSearch } from './audit-search';
import { readSlices, sliceRange } from './audit-slice';
import { DatadogApiError, DatadogAuthError } from './errors';
import { clientOptionsOf, type DatadogAdapterOptions, type RefusalWording, sourceRetryOf } from './options';

export { DatadogApiError, DatadogAuthError, MCP_QUERY, sliceRange };

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

/** How the error of a refused key reads for the audit search: what was refused, and the fix. */
const REFUSAL: RefusalWording = {
  rejected: 'the API key',
  fix401: "check DD_API_KEY and that it belongs to this site's org.",
  refused: 'the audit search',
  fix403:
    'the API key or application key is invalid for this site, or the application key lacks the ' +
    'audit_logs_read scope. Check DD_API_KEY, DD_APP_KEY and DD_SITE / DD_API_URL.',
};

export function createDatadogAuditSource(options: DatadogAuditSourceOptions): AuditEventSource {
  const pageLimit = Math.max(1, Math.min(PAGE_LIMIT, Math.floor(options.pageLimit ?? PAGE_LIMIT)));
  const maxPages = Math.max(1, Math.floor(options.maxPagesPerSlice ?? DEFAULT_MAX_PAGES_PER_SLICE));
  const search = createAuditSearch({
    ...clientOptionsOf(options),
    ...(options.decodePage ? { decodePage: options.decodePage } : {}),
  });
  const { limiter, policy, breakerThreshold } = sourceRetryOf(
    options,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    search.target,
    REFUSAL,
  );
  // One limiter for the source: it bounds the requests in flight across every slice and range.
  const fetchPage = createPageFetcher(search, limiter, policy);
  return new DatadogAuditSource(
    new AuditPages(fetchPage, pageLimit, maxPages, options.logger),
    Math.max(1, Math.floor(options.sliceCount ?? DEFAULT_SLICES)),
    breakerThreshold,
  );
}

/** How a range is read before its slices: where they start, how many, and what the probe kept. */
interface ReadPlan<T> {
  readonly start: number;
  readonly count: number;
  readonly head?: { readonly partial: T; readonly events: number; readonly pages: number };
}

class DatadogAuditSource implements AuditEventSource {
  constructor(
    private readonly pages: AuditPages,
    private readonly sliceCount: number,
    private readonly breakerThreshold: number,
  ) {}

  private get logger(): Logger | undefined {
    return this.pages.logger;
  }

  async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, fetchOptions?: FetchOptions): Promise<T> {
    const { from, to } = range;
    const started = Date.now();
    if (!(to > from)) return create();
    const read = new RangeRead(
      this.pages,
      this.breakerThreshold,
      fetchOptions?.deadline ?? Number.POSITIVE_INFINITY,
      fetchOptions?.activity ?? 'mcp',
    );
    const plan = await this.plan({ from, to }, create, read, fetchOptions);
    const slices = plan.start < to ? sliceRange(plan.start, to, plan.count) : [];
    const sliced = await readSlices(slices, create, read);
    // Never empty: the probe's partial, or the slices of a non-empty range.
    const merged = mergeInOrder(plan.head ? [plan.head.partial, ...sliced.partials] : sliced.partials);
    this.logger?.info('Datadog audit events collected', {
      from: iso(from),
      to: iso(to),
      events: (plan.head?.events ?? 0) + sliced.events,
      pages: (plan.head?.pages ?? 0) + sliced.pages,
      slices: slices.length,
      activity: read.activity,
      ...(plan.start > from ? { probed: iso(plan.start) } : {}),
      ms: Date.now() - started,
    });
    return merged;
  }

  /**
   * Where the slices start and how many there are. A range known to be quiet (from the archived
   * weeks before it) needs fewer slices: every slice costs at least one request of the org's
   * shared rate limit, its empty last page. A range that may be empty is probed first.
   */
  private async plan<T extends Mergeable<T>>(
    span: Span,
    create: () => T,
    read: RangeRead,
    fetchOptions: FetchOptions | undefined,
  ): Promise<ReadPlan<T>> {
    const expected = fetchOptions?.expectedEvents;
    if (expected !== undefined) return { start: span.from, count: this.slicesFor(expected) };
    const plain = { start: span.from, count: this.sliceCount };
    if (!fetchOptions?.probeFirst) return plain;
    const partial = create();
    const probed = await probeRange(span, partial, read);
    if (probed === undefined) return plain;
    const start = probed.rest;
    // The pace of the page read so far sizes the rest; twice it, as a range's activity tends to grow.
    const count =
      start < span.to ? this.slicesFor((2 * probed.events * (span.to - start)) / (start - span.from)) : this.sliceCount;
    return { start, count, head: { partial, events: probed.events, pages: probed.pages } };
  }

  /** Slices for `expected` events: about a page each, at least MIN_HINTED_SLICES, at most sliceCount. */
  private slicesFor(expected: number): number {
    const { pageLimit } = this.pages;
    return Math.max(
      Math.min(MIN_HINTED_SLICES, this.sliceCount),
      Math.min(this.sliceCount, Math.ceil(expected / pageLimit)),
    );
  }
}

/** Folds partials into the first, in order (merging is associative, so any cut gives the same result). */
function mergeInOrder<T extends Mergeable<T>>(partials: readonly T[]): T {
  return partials.slice(1).reduce<T>((acc, p) => acc.merge(p), partials[0] as T);
}
