/**
 * Streaming, mergeable aggregates of audit events: one for the report window, one for the
 * baseline before it. `add` takes raw events one at a time, `merge` folds partials computed over
 * separate time slices, and any slicing merges into exactly the same summary as one pass.
 * Memory grows with people, resource types, countries and flagged events, not with events
 * (the per-person timestamps that the burst rule needs are the one exception DESIGN.md allows).
 */
import { addGaps, type DataGap, toGap } from './gaps';
import { EventRecord, type PersonField } from './normalize';
import { BUCKET_MS, compareCalls, compareCodePoints, type NotableCall } from './order';
import type { TimeRange } from './time';
import { type CallRecord, MCP_EVENT_NAME, type Mergeable, UNKNOWN } from './types';

/** First call of a person on something (a resource type, a country), and how many calls. */
export interface FirstSeen {
  readonly call: NotableCall;
  count: number;
}

export interface WindowPerson {
  readonly key: string;
  display: string;
  calls: number;
  /** Call times (epoch ms) in arrival order; sorted when the summary is made. */
  readonly times: number[];
  readonly resourceTypes: Map<string, FirstSeen>;
  readonly countries: Map<string, FirstSeen>;
}

export interface BaselinePerson {
  calls: number;
  /** Calls inside the week-over-week comparison range. */
  previousCalls: number;
  readonly resourceTypes: Set<string>;
  readonly countries: Set<string>;
}

const CHANGE_ACTIONS = new Set(['created', 'modified', 'deleted']);

/**
 * An audit event that says it is something other than an MCP tool call (a file may hold the whole
 * Audit Trail). An event without a readable name still counts: it may be a malformed MCP call.
 */
function isOtherEvent(r: CallRecord): boolean {
  return r.eventName !== UNKNOWN && r.eventName !== MCP_EVENT_NAME;
}

/** One record that `add` reads every raw event into: `add` is synchronous and nothing keeps the record itself. */
const scratch = new EventRecord();

/** The person of a record: found through an index by key field and value, so the hot path builds no key string. */
class PersonIndex<P> {
  private readonly byField = { id: new Map<string, P>(), email: new Map<string, P>(), name: new Map<string, P>() };

  constructor(
    private readonly people: Map<string, P>,
    private readonly create: (r: CallRecord) => P,
  ) {}

  of(r: CallRecord): P {
    const field: PersonField = r instanceof EventRecord ? r.personField : '';
    if (field === '') return this.byKey(r);
    const index = this.byField[field];
    const value = (r as EventRecord).personValue;
    let person = index.get(value);
    if (person === undefined) {
      person = this.byKey(r);
      // A cache of `people` (entries are never replaced, only mutated), so merges keep it valid.
      index.set(value, person);
    }
    return person;
  }

  private byKey(r: CallRecord): P {
    const key = r.personKey;
    let person = this.people.get(key);
    if (person === undefined) {
      person = this.create(r);
      this.people.set(key, person);
    }
    return person;
  }
}

/** 0: another action, 1: a change (`created`/`modified`), 2: a deletion; compared in lower case. */
function actionKind(action: string): 0 | 1 | 2 {
  // The usual values as they come, without lower-casing (an allocation when they are not lower case already).
  if (action === 'accessed') return 0;
  if (action === 'created' || action === 'modified') return 1;
  if (action === 'deleted') return 2;
  const lower = action.toLowerCase();
  return lower === 'deleted' ? 2 : CHANGE_ACTIONS.has(lower) ? 1 : 0;
}

function isSupportUser(actorType: string): boolean {
  return actorType !== 'USER' && actorType.toUpperCase() === 'SUPPORT_USER';
}

function toNotable(r: CallRecord, personKey: string): NotableCall {
  return {
    time: r.time,
    personKey,
    person: r.person,
    actorType: r.actorType,
    action: r.action,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    resourceName: r.resourceName,
    country: r.country,
  };
}

/** How good a display name is: an e-mail beats a name beats an id; then the smallest text wins. */
function betterDisplay(current: string, candidate: string): string {
  const rank = (d: string): number => (d === UNKNOWN ? 3 : d.includes('@') ? 0 : 1);
  const rc = rank(current);
  const rn = rank(candidate);
  if (rn !== rc) return rn < rc ? candidate : current;
  return compareCodePoints(candidate, current) < 0 ? candidate : current;
}

function countInto<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function firstSeenInto(map: Map<string, FirstSeen>, key: string, call: NotableCall, count = 1): void {
  const seen = map.get(key);
  if (!seen) {
    map.set(key, { call, count });
    return;
  }
  seen.count += count;
  if (compareCalls(call, seen.call) < 0) map.set(key, { call, count: seen.count });
}

/** Counts and refuses an event that is not an MCP call or lies outside the partial's range. */
function admit(
  partial: { readonly range?: TimeRange; otherEvents: number; outOfRange: number },
  r: CallRecord,
): boolean {
  if (isOtherEvent(r)) {
    partial.otherEvents++;
    return false;
  }
  if (partial.range && Number.isFinite(r.time) && (r.time < partial.range.from || r.time >= partial.range.to)) {
    partial.outOfRange++;
    return false;
  }
  return true;
}

export interface WindowAggregateOptions {
  /** Events outside `[from, to)` (epoch ms) are counted as out of range and otherwise ignored. */
  readonly range?: TimeRange;
  /** How many of the newest changes to keep. @default 200 */
  readonly changesLimit?: number;
}

/** Streaming, mergeable aggregate of the report window's events. */
export class WindowAggregate implements Mergeable<WindowAggregate> {
  readonly range?: TimeRange;
  readonly changesLimit: number;
  total = 0;
  malformed = 0;
  /** Events without a usable timestamp: counted everywhere except in daily buckets and bursts. */
  undated = 0;
  outOfRange = 0;
  /** Audit events of another kind (`evt.name` present and not "MCP Server"): left out. */
  otherEvents = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly people = new Map<string, WindowPerson>();
  readonly actions = new Map<string, number>();
  readonly resourceTypes = new Map<string, number>();
  /** Calls per 15-minute bucket (index = floor(time / BUCKET_MS)). */
  readonly buckets = new Map<number, number>();
  /** Candidates of the per-event rules (deletions, support users). */
  readonly flagged: NotableCall[] = [];
  changesTotal = 0;
  /** The newest changes, at most 2 × changesLimit between trims. */
  changes: NotableCall[] = [];
  /** What this partial could not see (see core/gaps.ts); empty when its data is complete. */
  readonly incomplete: DataGap[] = [];
  private readonly index = new PersonIndex<WindowPerson>(this.people, (r) => ({
    key: r.personKey,
    display: r.person,
    calls: 0,
    times: [],
    resourceTypes: new Map(),
    countries: new Map(),
  }));

  constructor(options: WindowAggregateOptions = {}) {
    this.range = options.range;
    this.changesLimit = options.changesLimit ?? 200;
  }

  get events(): number {
    return this.total;
  }

  add(raw: unknown): void {
    this.addRecord(scratch.read(raw));
  }

  addRecord(r: CallRecord): void {
    if (!admit(this, r)) return;
    const dated = Number.isFinite(r.time);
    this.total++;
    if (!r.wellFormed) this.malformed++;
    countInto(this.actions, r.action);
    countInto(this.resourceTypes, r.resourceType);

    const person = this.index.of(r);
    if (person.display !== r.person) person.display = betterDisplay(person.display, r.person);
    person.calls++;

    const kind = actionKind(r.action);
    const isChange = kind !== 0;
    const isFlagged = kind === 2 || isSupportUser(r.actorType);
    // Only build the per-call record when something keeps it: this runs for every event.
    const seenType = person.resourceTypes.get(r.resourceType);
    const seenCountry = person.countries.get(r.country);
    // `!(a > b)` is also true for ties and NaN: those go through the full comparison, so the kept call is the same in any slicing.
    if (
      isChange ||
      isFlagged ||
      !seenType ||
      !seenCountry ||
      !(r.time > seenType.call.time) ||
      !(r.time > seenCountry.call.time)
    ) {
      const call = toNotable(r, person.key);
      firstSeenInto(person.resourceTypes, r.resourceType, call);
      firstSeenInto(person.countries, r.country, call);
      if (isFlagged) this.flagged.push(call);
      if (isChange) {
        this.changesTotal++;
        this.changes.push(call);
        if (this.changes.length >= 2 * this.changesLimit) this.trimChanges();
      }
    } else {
      seenType.count++;
      seenCountry.count++;
    }

    if (dated) {
      person.times.push(r.time);
      if (r.time < this.minTime) this.minTime = r.time;
      if (r.time > this.maxTime) this.maxTime = r.time;
      countInto(this.buckets, Math.floor(r.time / BUCKET_MS));
    } else {
      this.undated++;
    }
  }

  markIncomplete(reason: string | DataGap): void {
    addGaps(this.incomplete, [toGap(reason)]);
  }

  merge(other: WindowAggregate): WindowAggregate {
    this.total += other.total;
    this.malformed += other.malformed;
    this.undated += other.undated;
    this.outOfRange += other.outOfRange;
    this.otherEvents += other.otherEvents;
    this.minTime = Math.min(this.minTime, other.minTime);
    this.maxTime = Math.max(this.maxTime, other.maxTime);
    for (const [k, n] of other.actions) countInto(this.actions, k, n);
    for (const [k, n] of other.resourceTypes) countInto(this.resourceTypes, k, n);
    for (const [k, n] of other.buckets) countInto(this.buckets, k, n);
    for (const [key, theirs] of other.people) {
      const mine = this.people.get(key);
      if (!mine) {
        this.people.set(key, {
          ...theirs,
          times: [...theirs.times],
          resourceTypes: new Map([...theirs.resourceTypes].map(([k, v]) => [k, { ...v }])),
          countries: new Map([...theirs.countries].map(([k, v]) => [k, { ...v }])),
        });
        continue;
      }
      mine.calls += theirs.calls;
      mine.display = betterDisplay(mine.display, theirs.display);
      for (const t of theirs.times) mine.times.push(t);
      for (const [k, v] of theirs.resourceTypes) firstSeenInto(mine.resourceTypes, k, v.call, v.count);
      for (const [k, v] of theirs.countries) firstSeenInto(mine.countries, k, v.call, v.count);
    }
    for (const c of other.flagged) this.flagged.push(c);
    this.changesTotal += other.changesTotal;
    for (const c of other.changes) this.changes.push(c);
    this.trimChanges();
    addGaps(this.incomplete, other.incomplete);
    return this;
  }

  /** The newest `changesLimit` changes, newest first. */
  newestChanges(): NotableCall[] {
    this.trimChanges();
    return this.changes;
  }

  private trimChanges(): void {
    this.changes.sort((a, b) => compareCalls(b, a));
    if (this.changes.length > this.changesLimit) this.changes.length = this.changesLimit;
  }
}

export interface BaselineAggregateOptions {
  /** Events outside `[from, to)` (epoch ms) are counted as out of range and otherwise ignored. */
  readonly range?: TimeRange;
}

/** Streaming, mergeable aggregate of the baseline window: who did what, where, before the report window. */
export class BaselineAggregate implements Mergeable<BaselineAggregate> {
  readonly range?: TimeRange;
  total = 0;
  outOfRange = 0;
  otherEvents = 0;
  previousTotal = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly people = new Map<string, BaselinePerson>();
  /** What this partial could not see (see core/gaps.ts); empty when its data is complete. */
  readonly incomplete: DataGap[] = [];
  private readonly index = new PersonIndex<BaselinePerson>(this.people, () => ({
    calls: 0,
    previousCalls: 0,
    resourceTypes: new Set(),
    countries: new Set(),
  }));

  /** `previous` is the week-over-week comparison range (the last windowDays of the baseline), epoch ms. */
  constructor(
    readonly previous: TimeRange,
    options: BaselineAggregateOptions = {},
  ) {
    this.range = options.range;
  }

  get events(): number {
    return this.total;
  }

  add(raw: unknown): void {
    this.addRecord(scratch.read(raw));
  }

  addRecord(r: CallRecord): void {
    if (!admit(this, r)) return;
    const dated = Number.isFinite(r.time);
    this.total++;
    const person = this.index.of(r);
    person.calls++;
    person.resourceTypes.add(r.resourceType);
    person.countries.add(r.country);
    if (dated) {
      if (r.time < this.minTime) this.minTime = r.time;
      if (r.time > this.maxTime) this.maxTime = r.time;
      if (r.time >= this.previous.from && r.time < this.previous.to) {
        this.previousTotal++;
        person.previousCalls++;
      }
    }
  }

  markIncomplete(reason: string | DataGap): void {
    addGaps(this.incomplete, [toGap(reason)]);
  }

  merge(other: BaselineAggregate): BaselineAggregate {
    this.total += other.total;
    this.outOfRange += other.outOfRange;
    this.otherEvents += other.otherEvents;
    this.previousTotal += other.previousTotal;
    this.minTime = Math.min(this.minTime, other.minTime);
    this.maxTime = Math.max(this.maxTime, other.maxTime);
    for (const [key, theirs] of other.people) {
      const mine = this.people.get(key);
      if (!mine) {
        this.people.set(key, {
          ...theirs,
          resourceTypes: new Set(theirs.resourceTypes),
          countries: new Set(theirs.countries),
        });
        continue;
      }
      mine.calls += theirs.calls;
      mine.previousCalls += theirs.previousCalls;
      for (const t of theirs.resourceTypes) mine.resourceTypes.add(t);
      for (const c of theirs.countries) mine.countries.add(c);
    }
    addGaps(this.incomplete, other.incomplete);
    return this;
  }
}
