/**
 * One read feeding several reports: each event is normalized once and handed to the aggregate of
 * every share that accepts it (the org-wide report takes all, a team's report its people's).
 * Merging and incompleteness go to each share's aggregate alike, so every report's partials
 * combine exactly as a read of its own would, and a scoped report is what a second pass over
 * Datadog for its people would give, without the second pass.
 *
 * A share may not be known yet when the read starts (a team whose members are read from the
 * Teams API at the same time): a `DeferredShare`. Until it is settled, the calls it might take are
 * kept in columns (core/record-batch.ts) and handed to its aggregate once its people are known, so
 * its figures are exactly those of a read that knew them from the start. A share that fails
 * (the Teams API did not answer in time) gets nothing, and its report says why; the others are
 * untouched. What waits is bounded: past `maxPending` calls the deferred share fails rather than
 * hold the read's memory. Pure.
 */
import type { DataGap } from './gaps';
import { EventRecord, type PersonField } from './normalize';
import { type RecordBatch, RecordBatchBuilder, RecordBatchReader } from './record-batch';
import type { Share } from './scope';
import type { CallRecord, Mergeable } from './types';

/** At most this many calls wait for a deferred share, across every partial of a read. */
export const MAX_PENDING_CALLS = 500_000;

/** A share whose people are settled while the read runs: `settle` with the share, or `fail`. */
export class DeferredShare {
  private outcome: { readonly share: Share } | { readonly error: Error } | undefined;
  private pendingCalls = 0;

  constructor(private readonly maxPending = MAX_PENDING_CALLS) {}

  settle(share: Share): void {
    this.outcome ??= { share };
  }

  fail(error: Error): void {
    this.outcome ??= { error };
  }

  /** The share once settled; undefined while pending or after a failure. */
  get share(): Share | undefined {
    return this.outcome && 'share' in this.outcome ? this.outcome.share : undefined;
  }

  /** Why it failed, once it did. */
  get error(): Error | undefined {
    return this.outcome && 'error' in this.outcome ? this.outcome.error : undefined;
  }

  get pending(): boolean {
    return this.outcome === undefined;
  }

  /** Counts one more waiting call; false (and the share failed) once too many wait. */
  hold(): boolean {
    this.pendingCalls++;
    if (this.pendingCalls <= this.maxPending) return true;
    this.fail(
      new Error(
        `its people were not known before ${this.maxPending.toLocaleString('en-US')} calls were read, too many to hold`,
      ),
    );
    return false;
  }
}

/** One share of a fan-out: known, or deferred. */
export type FanOutShare = Share | DeferredShare;

export class FanOut<T extends Mergeable<T>> implements Mergeable<FanOut<T>> {
  /** Read into once per event: the aggregates copy out only what they keep. */
  private readonly record = new EventRecord();
  /** One aggregate per share, in the shares' order. */
  readonly aggregates: readonly T[];
  /** Calls held for each deferred share while it is pending (undefined for the others). */
  private readonly held: Array<{ batches: RecordBatch[]; building: RecordBatchBuilder } | undefined>;

  constructor(
    private readonly shares: readonly FanOutShare[],
    create: () => T,
  ) {
    this.aggregates = shares.map(() => create());
    this.held = shares.map((s) =>
      s instanceof DeferredShare ? { batches: [], building: new RecordBatchBuilder() } : undefined,
    );
  }

  /** Normalizes `raw` once and hands it on. */
  add(raw: unknown): void {
    this.addRecord(this.record.read(raw));
  }

  addRecord(record: CallRecord): void {
    for (let i = 0; i < this.shares.length; i++) {
      const share = this.shares[i] as FanOutShare;
      if (share instanceof DeferredShare) this.deferred(i, share, record);
      else if (share.accepts === undefined || share.accepts(record)) this.aggregates[i]?.addRecord(record);
    }
  }

  merge(other: FanOut<T>): FanOut<T> {
    this.aggregates.forEach((aggregate, i) => {
      const theirs = other.aggregates[i];
      if (theirs) aggregate.merge(theirs);
      const mine = this.held[i];
      const held = other.held[i];
      if (mine && held) mine.batches.push(...held.batches, held.building.finish());
    });
    return this;
  }

  markIncomplete(reason: string | DataGap): void {
    for (const aggregate of this.aggregates) aggregate.markIncomplete(reason);
  }

  /**
   * A partial that feeds this fan-out itself: a source that reads a range in slices gets one per
   * slice, and they all add to the same aggregates, so a read holds one aggregate per share
   * instead of one per share and slice (merging them is then nothing to do). Right because an
   * aggregate's result does not depend on the order its calls arrive in, only on which calls.
   */
  sink(): FanOutSink<T> {
    return new FanOutSink(this);
  }

  /**
   * Hands every held call to the aggregate of its share, now settled (call once the read and the
   * deferred shares are done). A share still pending or failed keeps an empty aggregate.
   */
  settle(): void {
    this.shares.forEach((share, i) => {
      const held = this.held[i];
      if (!(share instanceof DeferredShare) || !held) return;
      const batches = [...held.batches, held.building.finish()];
      this.held[i] = undefined;
      const settled = share.share;
      if (!settled) return;
      for (const batch of batches) {
        const reader = new RecordBatchReader(batch);
        for (let k = 0; k < batch.length; k++) this.accept(i, settled, reader.at(k));
      }
    });
  }

  private deferred(i: number, share: DeferredShare, record: CallRecord): void {
    const settled = share.share;
    if (settled) {
      this.accept(i, settled, record);
      return;
    }
    const held = this.held[i];
    if (!share.pending || !held || !share.hold()) return;
    held.building.add(asEventRecord(record), record.time, false);
  }

  private accept(i: number, share: Share, record: CallRecord): void {
    if (share.accepts === undefined || share.accepts(record)) this.aggregates[i]?.addRecord(record);
  }
}

/** `record` as an EventRecord (the source hands those; another CallRecord is copied into one). */
function asEventRecord(record: CallRecord): EventRecord {
  if (record instanceof EventRecord) return record;
  const copy = new EventRecord();
  copy.id = record.id;
  copy.time = record.time;
  copy.person = record.person;
  copy.delegated = record.delegated;
  copy.actorType = record.actorType;
  copy.actorMode = record.actorMode;
  copy.agentName = record.agentName;
  copy.mcpCall = record.mcpCall;
  copy.action = record.action;
  copy.resourceType = record.resourceType;
  copy.resourceId = record.resourceId;
  copy.resourceName = record.resourceName;
  copy.clientIp = record.clientIp;
  copy.country = record.country;
  copy.eventName = record.eventName;
  copy.wellFormed = record.wellFormed;
  const at = record.personKey.indexOf(':');
  if (at > 0) copy.setPerson(record.personKey.slice(0, at) as PersonField, record.personKey.slice(at + 1));
  return copy;
}

/** A slice's partial that adds to a fan-out shared by every slice of a read (FanOut.sink). */
export class FanOutSink<T extends Mergeable<T>> implements Mergeable<FanOutSink<T>> {
  constructor(readonly fan: FanOut<T>) {}

  addRecord(record: CallRecord): void {
    this.fan.addRecord(record);
  }

  /** Another sink of the same fan-out added its calls already; one of another fan-out is merged in. */
  merge(other: FanOutSink<T>): FanOutSink<T> {
    if (other.fan !== this.fan) this.fan.merge(other.fan);
    return this;
  }

  markIncomplete(reason: string | DataGap): void {
    this.fan.markIncomplete(reason);
  }
}
