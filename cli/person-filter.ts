/**
 * `--user` and `--team`: one person's (or one team's) report. The audit events are theirs when the person responsible for a
 * call (delegator, else usr; core/normalize.ts) is named by the given id, e-mail or name in any
 * case; a live fetch reads the whole range and keeps that person's events, and the MCP usage
 * metric is narrowed to the callers with that user id or e-mail (core/mcp-usage.ts).
 */

import type { TimeRange } from '../functions/weekly-report/core/time';
import type { CallRecord, Mergeable } from '../functions/weekly-report/core/types';
import type { AuditEventSource, FetchOptions } from '../functions/weekly-report/ports';

/** True when `record` belongs to the person named by `who` (an id, e-mail or name, any case). */
export function isPerson(record: CallRecord, who: string): boolean {
  const wanted = who.toLowerCase();
  const keyValue = record.personKey.slice(record.personKey.indexOf(':') + 1).toLowerCase();
  return keyValue === wanted || record.person.toLowerCase() === wanted;
}

/** A partial that passes on only the events `keep` accepts. */
class Kept<T extends Mergeable<T>> implements Mergeable<Kept<T>> {
  constructor(
    readonly inner: T,
    private readonly keep: (record: CallRecord) => boolean,
  ) {}

  addRecord(record: CallRecord): void {
    if (this.keep(record)) this.inner.addRecord(record);
  }

  merge(other: Kept<T>): Kept<T> {
    this.inner.merge(other.inner);
    return this;
  }

  markIncomplete(reason: Parameters<T['markIncomplete']>[0]): void {
    this.inner.markIncomplete(reason);
  }
}

/** `source` with only the events whose call `keep` accepts reaching the partials (a person, a team). */
export function filteredSource(source: AuditEventSource, accepts: (record: CallRecord) => boolean): AuditEventSource {
  return {
    async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, options?: FetchOptions): Promise<T> {
      const kept = await source.collect(range, () => new Kept(create(), accepts), options);
      return kept.inner;
    },
  };
}
