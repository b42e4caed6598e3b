/**
 * The probe (FetchOptions.probeFirst: a baseline with no archived weeks to say how busy it is):
 * one page over the whole of a range before it is cut into slices, so an empty range, or one a
 * page holds, costs that request alone instead of one per slice.
 *
 * The page is asked for oldest first, so every event before its latest timestamp `t` is on it:
 * those are kept, and the slices start at `t`, where the page's events at `t` are read again. A short page that still has a cursor (the real API's way with its last
 * page) is followed once: an empty next page ends the range at two requests.
 *
 * The probe keeps nothing, and the range is fetched as if there had been no probe, when its
 * answer cannot be trusted or brings nothing: a failure, a timeout or warnings, or no progress
 * past the range's start.
 */

import { RecordBatchReader } from '../../core/record-batch';
import type { Mergeable } from '../../core/types';
import { nextCursor, partialCauses, type RangeRead, type Span } from './audit-range';

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
  const rest = read.complete ? span.to : sliceStart(read.pages, span);
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
 * when it is past `span.from`; else undefined.
 */
function sliceStart(pages: readonly RecordBatchReader[], span: Span): number | undefined {
  let last = Number.NEGATIVE_INFINITY;
  for (const records of pages) {
    for (let i = 0; i < records.length; i++) {
      const time = records.sourceTime(i);
      if (time >= span.from && time < span.to && time > last) last = time;
    }
  }
  return last > span.from ? last : undefined;
}
