/**
 * What reading one range of audit events takes, shared by the probe (audit-probe.ts) and the
 * time slices (audit-slice.ts):
 * - AuditPages: how this source asks for a page (the range's query, oldest first, the page size),
 *   with the retries and the limiter that every slice and range of the source share (retry.ts).
 * - RangeRead: one collected range's reads, its query (the report's `activity`), the breaker and
 *   the deadline they share, and its de-duplication (`addFresh`): each event `id` counts once per
 *   range, whichever page brings it, whatever kinds of AI activity it is of.
 * - ArrivalOrder: whether a read's events came oldest first, as asked (`sort: "timestamp"`); what
 *   the probe's cut and a slice's "read up to here" rely on.
 * - What a page says about itself: why it cannot be trusted whole (`partialCauses`), its cursor
 *   (`nextCursor`); and `markGap`, how what could not be read is recorded and logged.
 */

import { kindOf, NOT_AI } from '../../core/activity';
import type { DataGap } from '../../core/gaps';
import { activityQuery } from '../../core/links';
import type { RecordBatchReader } from '../../core/record-batch';
import type { Activity, Mergeable } from '../../core/types';
import type { Logger } from '../../ports';
import type { AuditLogsSearchEventsRequest } from './api-client';
import type { AuditSearch, SearchPage, SearchResult } from './audit-search';
import { Breaker, type CallOutcome, createRetryingCall, type Limiter, type RetryPolicyOptions } from './retry';

/** `[from, to)`, epoch ms. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

export type PageOutcome = CallOutcome<SearchResult>;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Audit search pages with retries, sharing one limiter across every slice and range of a source.
 * The caller gives each request its priority (Limiter.acquire): the audit source serves the
 * slice with the fewest pages read first, as it most likely has the most left to read, so slices
 * advance together and none is left to page alone at the end (measured on the live bench: with a
 * slice's next page always before first pages, one first page waited until ~2.3 s and the run
 * ended ~0.6 s later). A page is decoded after its request's slot is free: decoding (perhaps on a
 * worker) must not hold back the next request, but a malformed page is retried as a 5xx is.
 */
export function createPageFetcher(search: AuditSearch, limiter: Limiter, options: RetryPolicyOptions) {
  return createRetryingCall(
    (body: AuditLogsSearchEventsRequest, timeoutMs) => search.search(body, timeoutMs),
    limiter,
    { what: 'audit search', ...options },
    (raw) => search.decode(raw),
  );
}

export type PageFetcher = ReturnType<typeof createPageFetcher>;

/** How this source asks for pages, the same for every range it reads. */
export class AuditPages {
  constructor(
    private readonly fetchPage: PageFetcher,
    /** `page.limit` (1–1000). */
    readonly pageLimit: number,
    /** Pages one slice may take; hitting it marks the rest of the slice as not read. */
    readonly maxPagesPerSlice: number,
    readonly logger: Logger | undefined,
  ) {}

  /**
   * One page of the events of `span` that `query` finds, oldest first: the first page without a
   * `cursor`, the next ones with the cursor of the page before. `priority`: the lowest is served first.
   */
  fetch(
    query: string,
    span: Span,
    cursor: string | undefined,
    deadline: number,
    breaker: Breaker,
    priority: number,
  ): Promise<PageOutcome> {
    const body: AuditLogsSearchEventsRequest = {
      filter: { query, from: iso(span.from), to: iso(span.to) },
      page: cursor === undefined ? { limit: this.pageLimit } : { limit: this.pageLimit, cursor },
      sort: 'timestamp',
    };
    return this.fetchPage(body, deadline, breaker, priority);
  }
}

/** What the reads of one collected range share: the ids already counted, the breaker, the deadline. */
export class RangeRead {
  readonly breaker: Breaker;
  /** The query of the range's every page: what `activity` reads. */
  readonly query: string;
  private readonly seenIds = new Set<string>();

  constructor(
    readonly pages: AuditPages,
    breakerThreshold: number,
    readonly deadline: number,
    /** What AI activity the range reads. @default 'mcp' */
    readonly activity: Activity = 'mcp',
  ) {
    this.breaker = new Breaker(breakerThreshold);
    this.query = activityQuery(activity);
  }

  /** One page of `span` (AuditPages.fetch) with this range's query, under its deadline and breaker. */
  fetch(span: Span, cursor: string | undefined, priority: number): Promise<PageOutcome> {
    return this.pages.fetch(this.query, span, cursor, this.deadline, this.breaker, priority);
  }

  /**
   * Adds to `partial` the events of `records` of the range's activity in `[span.from, span.to)`
   * (and those without a time) that this range has not counted yet: an event that is of several
   * kinds (an MCP Server call that also carries `is_mcp_call`) is one event, one id. The query asked
   * for that span; whether Datadog includes `to` is not documented, and an event at a span's end
   * belongs to the next one: the filter here makes sure nothing counts twice. An event the query
   * should not have found (another `evt.name` under `mcp`; no AI kind under `all`) is left out.
   * Each event added is noted in `order`, when given. Returns the events added, those already
   * counted, and the latest time added.
   */
  addFresh<T extends Mergeable<T>>(
    records: RecordBatchReader,
    span: Span,
    partial: T,
    order?: ArrivalOrder,
  ): { fresh: number; repeated: number; latest: number } {
    let fresh = 0;
    let repeated = 0;
    let latest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < records.length; i++) {
      const time = records.sourceTime(i);
      if (Number.isFinite(time) && (time < span.from || time >= span.to)) continue;
      // Under `all`, an event of another name is one of the other kinds when it says so.
      if (records.otherName(i) && (this.activity !== 'all' || kindOf(records.at(i), 'all') === NOT_AI)) continue;
      const record = records.at(i);
      const id = record.id;
      if (id !== undefined) {
        if (this.seenIds.has(id)) {
          repeated++;
          continue;
        }
        this.seenIds.add(id);
      }
      if (time > latest) latest = time;
      order?.note(time);
      partial.addRecord(record);
      fresh++;
    }
    return { fresh, repeated, latest };
  }
}

/**
 * Whether the events of a read came oldest first by their outer `attributes.timestamp`, as the
 * request asks (`sort: "timestamp"`): only then does the latest time read say that everything
 * before it was read. The caller notes each distinct event once, in the order it arrived: an
 * event read again (a replayed page) says nothing of the order. Events without a time say
 * nothing either; equal times are in order.
 */
export class ArrivalOrder {
  private last = Number.NEGATIVE_INFINITY;
  private broken = false;

  /** True while every event noted so far came no earlier than the one before it. */
  get ascending(): boolean {
    return !this.broken;
  }

  /** Notes the time of the next event to arrive. */
  note(time: number): void {
    if (this.broken || !Number.isFinite(time)) return;
    if (time < this.last) this.broken = true;
    else this.last = time;
  }
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

/** Why Datadog says the page may miss events (a query timeout, warnings); empty when it says nothing of the kind. */
export function partialCauses(page: SearchPage): string[] {
  const causes: string[] = [];
  if (page.meta?.status === 'timeout') causes.push('Datadog reported a query timeout');
  const warnings = page.meta?.warnings;
  if (hasWarnings(warnings)) causes.push(`Datadog returned warnings (${warningText(warnings)})`);
  return causes;
}

/** The page's cursor to the next, or undefined when it has none. */
export function nextCursor(page: SearchPage): string | undefined {
  const after = page.meta?.page?.after;
  return after !== undefined && after !== null && after !== '' ? after : undefined;
}

/** Records in `partial` that `[from, to)` was not (wholly) read, and why, and logs it. */
export function markGap<T extends Mergeable<T>>(partial: T, gap: Required<DataGap>, logger: Logger | undefined): void {
  partial.markIncomplete(gap);
  logger?.warn('Datadog audit data incomplete', {
    cause: gap.cause,
    kind: gap.kind,
    from: iso(gap.from),
    to: iso(gap.to),
  });
}
