/**
 * The probe (FetchOptions.probeFirst: a baseline with no archived weeks to say how busy it is):
 * one page over the whole of a range before it is cut into slices, so an empty range, or one a
 * page holds, costs that request alone instead of one per slice.
 *
 * The page is asked for oldest first, so when it comes that way every event before its latest
 * timestamp `t` is on it: those are kept, and the slices start at `t`, where the page's events at
 * `t` are read again. A short page that still has a cursor (the real API's way with its last
 * page) is followed once: an empty next page ends the range at two requests.
 *
 * The probe keeps nothing, and the range is fetched as if there had been no probe, when its
 * answer cannot be trusted or brings nothing: a failure, a timeout or warnings, no progress past
 * the range's start, or pages not oldest first (a proxy, an API change). Out of order, a full
 * page need not hold the range's earliest events, and cutting at `t` would lose the others
 * before it while the report said it was complete. A probe that read the whole range (its last
 * page empty or without a cursor) keeps its events in any order: it cuts nothing.
 */

import { RecordBatchReader } from '../../core/record-batch';
import type { Mergeable } from '../../core/types';
import { ArrivalOrder, iso, nextCursor, partialCauses, type RangeRead, type Span } from './audit-range';

/** What the probe kept: where the slices start (`to` when it read the whole range), its events and pages. */
export interface ProbeResult {
  readonly rest: number;
  readonly events: number;
  readonly pages: number;
}

/**
 * Probes `span`: adds to `partial` the events before where the slices are to start, and says where
 * that is; undefined (nothing added) when the probe cannot be used.
 */
export async function probeRange<T extends Mergeable<T>>(
  span: Span,
  partial: T,
  range: RangeRead,
): Promise<ProbeResult | undefined> {
  const read = await readProbePages(span, range);
  if (read === undefined) return undefined;
  const rest = read.complete ? span.to : sliceStart(read.pages, span, range);
  if (rest === undefined) return undefined;
  let events = 0;
  for (const records of read.pages) events += range.addFresh(records, { from: span.from, to: rest }, partial).fresh;
  return { rest, events, pages: read.pages.length };
}

/**
 * The probe's pages, in order (one, or two when a short first page has a cursor), and whether
 * they were the whole range; undefined when a page failed or Datadog says it may miss events.
 */
async function readProbePages(
  span: Span,
  range: RangeRead,
): Promise<{ readonly pages: RecordBatchReader[]; readonly complete: boolean } | undefined> {
  const pages: RecordBatchReader[] = [];
  let cursor: string | undefined;
  while (pages.length < 2) {
    // Before any slice's page: what it finds decides the range's other requests.
    const outcome = await range.fetch(span, cursor, -1);
    if (!outcome.ok) {
      range.pages.logger?.warn('Datadog audit probe failed; fetching the range in slices', { cause: outcome.cause });
      return undefined;
    }
    const page = outcome.result.page;
    if (partialCauses(page).length > 0) return undefined;
    const records = new RecordBatchReader(page.records);
    pages.push(records);
    const after = nextCursor(page);
    if (records.length === 0 || after === undefined) return { pages, complete: true };
    // A full page: the range is busy, slice the rest now. A repeated cursor: stop following it.
    if (records.length >= range.pages.pageLimit || after === cursor) break;
    cursor = after;
  }
  return { pages, complete: false };
}

/**
 * Where the slices start after pages that were not the whole range: their latest time in `span`,
 * when they came oldest first and it is past `span.from`; else undefined.
 */
function sliceStart(pages: readonly RecordBatchReader[], span: Span, range: RangeRead): number | undefined {
  if (!cameOldestFirst(pages)) {
    range.pages.logger?.warn('Datadog audit probe answered out of time order; fetching the range in slices', {
      from: iso(span.from),
      to: iso(span.to),
    });
    return undefined;
  }
  let last = Number.NEGATIVE_INFINITY;
  for (const records of pages) {
    for (let i = 0; i < records.length; i++) {
      const time = records.sourceTime(i);
      if (time >= span.from && time < span.to && time > last) last = time;
    }
  }
  return last > span.from ? last : undefined;
}

/** Whether the pages' distinct events came oldest first (ArrivalOrder; a replayed page is no disorder). */
function cameOldestFirst(pages: readonly RecordBatchReader[]): boolean {
  const order = new ArrivalOrder();
  const seen = new Set<string>();
  for (const records of pages) {
    for (let i = 0; i < records.length; i++) {
      const id = records.at(i).id;
      if (id !== undefined) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      order.note(records.sourceTime(i));
    }
  }
  return order.ascending;
}
