/**
 * The time slices of a range: how a range is cut (`sliceRange`), and how one slice's pages are
 * read (SliceReader), each slice into its own partial.
 * - Complete: a slice follows the page cursor until an empty page (a short page is not the end).
 * - Never counted twice or forever: a cursor seen before in the slice stops it (a cycle
 *   A → B → A would page forever), a page of only known events stops it, and a hard cap bounds
 *   its pages; each of these marks the rest of the slice as lost.
 * - Honest: the rest of the slice after a give-up is a gap (core/gaps.ts), from the latest event
 *   read when the answers came oldest first, else from the slice's start (out of order, what was
 *   read says nothing of what was not); the whole slice is a partial gap when Datadog reports a
 *   query timeout or warnings on a page.
 */

import type { DataGap } from '../../core/gaps';
import { RecordBatchReader } from '../../core/record-batch';
import type { Mergeable } from '../../core/types';
import { ArrivalOrder, iso, markGap, nextCursor, partialCauses, type RangeRead, type Span } from './audit-range';

/** Splits `[from, to)` into `count` contiguous slices of (nearly) equal length, whole milliseconds. */
export function sliceRange(from: number, to: number, count: number): Array<{ from: number; to: number }> {
  const n = Math.max(1, Math.min(Math.floor(count), Math.max(1, to - from)));
  const slices: Array<{ from: number; to: number }> = [];
  for (let i = 0; i < n; i++) {
    slices.push({ from: from + Math.floor(((to - from) * i) / n), to: from + Math.floor(((to - from) * (i + 1)) / n) });
  }
  return slices;
}

/** What reading a slice (or all of a range's slices) brought: events counted, pages read. */
export interface SliceTally {
  readonly events: number;
  readonly pages: number;
}

/**
 * Reads every slice of `slices` at once, each into its own partial from `create` (in slice order);
 * the shared limiter bounds the requests in flight across all of them (and across concurrent
 * reads of the source, e.g. window and baseline). A slice's thrown error (a refused key) is thrown.
 */
export async function readSlices<T extends Mergeable<T>>(
  slices: readonly Span[],
  create: () => T,
  range: RangeRead,
): Promise<SliceTally & { readonly partials: T[] }> {
  const partials = slices.map(() => create());
  const results = await Promise.allSettled(
    slices.map((slice, i) => new SliceReader(slice, partials[i] as T, range).read()),
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
  return { partials, events, pages };
}

/** One slice's pages, read one after another into `partial`. */
export class SliceReader<T extends Mergeable<T>> {
  private cursor: string | undefined;
  private readonly seenCursors = new Set<string>();
  private readonly order = new ArrivalOrder();
  /** The latest time counted: with answers oldest first, everything before it was read. */
  private reached: number;
  private events = 0;
  private pages = 0;

  constructor(
    private readonly slice: Span,
    private readonly partial: T,
    private readonly range: RangeRead,
  ) {
    this.reached = slice.from;
  }

  /** Reads the slice to its end, or until a page cannot be followed (then the rest is a gap). */
  async read(): Promise<SliceTally> {
    let more = true;
    while (more) more = await this.readPage();
    return { events: this.events, pages: this.pages };
  }

  /** Reads the next page into the partial; true when there is one more to read. */
  private async readPage(): Promise<boolean> {
    const { maxPagesPerSlice, logger } = this.range.pages;
    if (this.pages >= maxPagesPerSlice) {
      this.lost(`paging stopped at the cap of ${maxPagesPerSlice} pages per time slice`);
      return false;
    }
    // The slice with the fewest pages read goes first: it most likely has the most left to read.
    const outcome = await this.range.fetch(this.slice, this.cursor, this.pages);
    if (!outcome.ok) {
      this.lost(outcome.cause);
      return false;
    }
    this.pages++;
    const page = outcome.result.page;
    for (const cause of partialCauses(page)) this.gap(cause, 'partial', this.slice.from);
    const records = new RecordBatchReader(page.records);
    const { fresh, repeated, latest } = this.range.addFresh(records, this.slice, this.partial, this.order);
    this.events += fresh;
    if (latest > this.reached) this.reached = latest;
    if (repeated > 0) {
      logger?.warn('Datadog served events already counted', {
        repeated,
        slice: `${iso(this.slice.from)}/${iso(this.slice.to)}`,
      });
    }
    // The end is an empty page; a short page is not the end. No cursor: nothing to follow.
    const after = nextCursor(page);
    if (page.records.length === 0 || after === undefined) return false;
    if (after === this.cursor || this.seenCursors.has(after)) {
      this.lost('Datadog repeated a page cursor (a cursor cycle); paging of that time stopped');
      return false;
    }
    if (fresh === 0 && repeated > 0) {
      // A replay of pages already read: following its cursor could go round forever.
      this.lost('Datadog served a page of events already received; paging of that time stopped');
      return false;
    }
    this.seenCursors.add(after);
    this.cursor = after;
    return true;
  }

  /** The rest of the slice was not read: from the latest event read, or the whole slice when the answers came out of order. */
  private lost(cause: string): void {
    this.gap(cause, 'lost', this.order.ascending ? this.reached : this.slice.from);
  }

  private gap(cause: string, kind: DataGap['kind'], from: number): void {
    markGap(this.partial, { cause, kind, from, to: this.slice.to }, this.range.pages.logger);
  }
}
