/**
 * One fetch feeding several reports: each event is normalized once and handed to every
 * aggregate whose filter accepts it (the org-wide report takes all, a team's report its
 * people's). Merging and incompleteness go to each aggregate alike, so every report's partials
 * combine exactly as a fetch of its own would, and a scoped report is what a second pass over
 * Datadog for its people would give, without the second pass. Pure.
 */
import type { DataGap } from './gaps';
import { EventRecord } from './normalize';
import type { CallRecord, Mergeable } from './types';

export interface FanOutPart<T> {
  readonly aggregate: T;
  /** Which calls this aggregate takes; absent: every call. */
  readonly accepts?: (record: CallRecord) => boolean;
}

export class FanOut<T extends Mergeable<T>> implements Mergeable<FanOut<T>> {
  /** Read into once per event: the aggregates copy out only what they keep. */
  private readonly record = new EventRecord();

  constructor(readonly parts: readonly FanOutPart<T>[]) {}

  /** Normalizes `raw` once and hands it on. */
  add(raw: unknown): void {
    this.addRecord(this.record.read(raw));
  }

  addRecord(record: CallRecord): void {
    for (const part of this.parts) {
      if (part.accepts === undefined || part.accepts(record)) part.aggregate.addRecord(record);
    }
  }

  merge(other: FanOut<T>): FanOut<T> {
    this.parts.forEach((part, i) => {
      const theirs = other.parts[i];
      if (theirs) part.aggregate.merge(theirs.aggregate);
    });
    return this;
  }

  markIncomplete(reason: string | DataGap): void {
    for (const part of this.parts) part.aggregate.markIncomplete(reason);
  }
}
