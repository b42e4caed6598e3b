/**
 * Streaming, mergeable aggregates of audit events: one for the report window, one for the
 * baseline before it. `add` takes raw events one at a time, `merge` folds partials computed over
 * separate time slices, and any slicing merges into exactly the same summary as one pass.
 * Memory grows with people, agents, resource types, countries and flagged events, not with events
 * (the per-person timestamps that the burst rule needs are the one exception DESIGN.md allows).
 *
 * What an aggregate counts follows the report's `activity` (core/activity.ts): with `mcp`, the
 * seed's MCP tool calls alone, as the report always did; with `all`, every kind of AI activity.
 * The seed's figures (total, actions, resource types, daily calls, each person's `calls`) count
 * MCP tool calls only either way, so they stay what the seed's `jq` computes; the rules see every
 * event that is a person's (an agent's event is its delegator's), and an agent that acted
 * autonomously for nobody is counted as the agent, never as a person.
 */
import {
  isAgentEvent,
  isAgentOwned,
  isAutonomous,
  isInteractive,
  type KindIndex,
  kindOf,
  MCP_TOOL_CALL,
  NOT_AI,
} from './activity';
import { addGaps, type DataGap, toGap } from './gaps';
import { EventRecord, type PersonField } from './normalize';
import { BUCKET_MS, compareCalls, compareCodePoints, type NotableCall } from './order';
import type { TimeRange } from './time';
import { type Activity, ANALYSIS_DEFAULTS, type CallRecord, type Mergeable, UNKNOWN } from './types';

/** First call of a person on something (a resource type, a country), and how many calls. */
export interface FirstSeen {
  readonly call: NotableCall;
  count: number;
}

export interface WindowPerson {
  readonly key: string;
  /** How the person is shown: as their MCP tool calls name them, or (with none) as their other events do. */
  display: string;
  /** The best display among their MCP tool calls (the seed's `usr`), and among all their events. */
  seedDisplay: string;
  anyDisplay: string;
  /** MCP tool calls (the seed's count: `top_users`, `unique_users`). */
  calls: number;
  /** MCP tool calls without a usable timestamp. */
  undatedCalls: number;
  /** Events the rules see as theirs: every kind read (equal to `calls` under `activity: mcp`). */
  events: number;
  /** Times (epoch ms) of `events`, in arrival order; sorted when the summary is made. */
  readonly times: number[];
  readonly resourceTypes: Map<string, FirstSeen>;
  readonly countries: Map<string, FirstSeen>;
}

export interface BaselinePerson {
  /** MCP tool calls (the seed's kind). */
  calls: number;
  /** MCP tool calls inside the week-over-week comparison range. */
  previousCalls: number;
  /** Events of every kind read that are theirs (what the rules compare with); `calls` under `activity: mcp`. */
  events: number;
  readonly resourceTypes: Set<string>;
  readonly countries: Set<string>;
}

/** One Datadog AI agent of the window: its events by mode, and the people (delegators) it acted for. */
export interface WindowAgent {
  events: number;
  interactive: number;
  autonomous: number;
  /** Delegators by the field that keys them (id, email, name) and its value: no key string is built per event. */
  readonly people: { readonly id: Set<string>; readonly email: Set<string>; readonly name: Set<string> };
}

/** The AI activity of a window beyond the seed's figures (`activity: all`). */
export class AiTally {
  total = 0;
  /** Events of each kind, by KindIndex. */
  readonly byKind = [0, 0, 0];
  autonomous = 0;
  interactive = 0;
  /** Agent events (a mode present) and those naming a delegator. */
  agentEvents = 0;
  withDelegator = 0;
  undated = 0;
  readonly agents = new Map<string, WindowAgent>();
  /** Events and autonomous events per 15-minute bucket. */
  readonly buckets = new Map<number, number>();
  readonly autonomousBuckets = new Map<number, number>();

  add(r: CallRecord, kind: KindIndex): void {
    this.total++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    const mode = r.actorMode;
    const autonomous = isAutonomous(mode);
    if (autonomous) this.autonomous++;
    else if (isInteractive(mode)) this.interactive++;
    const dated = Number.isFinite(r.time);
    if (dated) {
      const bucket = Math.floor(r.time / BUCKET_MS);
      countInto(this.buckets, bucket);
      if (autonomous) countInto(this.autonomousBuckets, bucket);
    } else {
      this.undated++;
    }
    if (!isAgentEvent(r)) return;
    this.agentEvents++;
    let agent = this.agents.get(r.agentName);
    if (agent === undefined) {
      agent = {
        events: 0,
        interactive: 0,
        autonomous: 0,
        people: { id: new Set(), email: new Set(), name: new Set() },
      };
      this.agents.set(r.agentName, agent);
    }
    agent.events++;
    if (autonomous) agent.autonomous++;
    else if (isInteractive(mode)) agent.interactive++;
    if (r.delegated) {
      this.withDelegator++;
      const field = r instanceof EventRecord ? r.personField : '';
      if (field !== '') agent.people[field].add((r as EventRecord).personValue);
      else {
        const key = r.personKey;
        const at = key.indexOf(':');
        const f = key.slice(0, at);
        if (f === 'id' || f === 'email' || f === 'name') agent.people[f].add(key.slice(at + 1));
      }
    }
  }

  merge(other: AiTally): void {
    this.total += other.total;
    other.byKind.forEach((n, i) => {
      this.byKind[i] = (this.byKind[i] ?? 0) + n;
    });
    this.autonomous += other.autonomous;
    this.interactive += other.interactive;
    this.agentEvents += other.agentEvents;
    this.withDelegator += other.withDelegator;
    this.undated += other.undated;
    for (const [k, n] of other.buckets) countInto(this.buckets, k, n);
    for (const [k, n] of other.autonomousBuckets) countInto(this.autonomousBuckets, k, n);
    for (const [name, theirs] of other.agents) {
      const mine = this.agents.get(name);
      if (!mine) {
        this.agents.set(name, {
          events: theirs.events,
          interactive: theirs.interactive,
          autonomous: theirs.autonomous,
          people: {
            id: new Set(theirs.people.id),
            email: new Set(theirs.people.email),
            name: new Set(theirs.people.name),
          },
        });
        continue;
      }
      mine.events += theirs.events;
      mine.interactive += theirs.interactive;
      mine.autonomous += theirs.autonomous;
      for (const f of ['id', 'email', 'name'] as const) for (const v of theirs.people[f]) mine.people[f].add(v);
    }
  }
}

const CHANGE_ACTIONS = new Set(['created', 'modified', 'deleted']);

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

function toNotable(r: CallRecord, personKey: string, kind: KindIndex, agentOwned: boolean): NotableCall {
  return {
    time: r.time,
    personKey,
    // An agent that acted autonomously for nobody is shown as the agent, never as a person.
    person: agentOwned ? r.agentName : r.person,
    actorType: r.actorType,
    action: r.action,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    resourceName: r.resourceName,
    country: r.country,
    kind,
    mode: r.actorMode,
    agent: r.agentName,
    agentOwned,
  };
}

/** The key of an agent's own calls (never a person's: `agent:` is no person field). */
function agentKey(name: string): string {
  return `agent:${name}`;
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

/**
 * The kind of an event the partial counts, or NOT_AI (counted as another audit event, or as out
 * of the partial's range, and otherwise ignored). An audit event of no AI kind may come from a
 * file holding the whole Audit Trail.
 */
function admit(
  partial: { readonly range?: TimeRange; readonly activity: Activity; otherEvents: number; outOfRange: number },
  r: CallRecord,
): KindIndex {
  const kind = kindOf(r, partial.activity);
  if (kind === NOT_AI) {
    partial.otherEvents++;
    return NOT_AI;
  }
  if (partial.range && Number.isFinite(r.time) && (r.time < partial.range.from || r.time >= partial.range.to)) {
    partial.outOfRange++;
    return NOT_AI;
  }
  return kind;
}

export interface WindowAggregateOptions {
  /** Events outside `[from, to)` (epoch ms) are counted as out of range and otherwise ignored. */
  readonly range?: TimeRange;
  /** How many of the newest changes to keep. @default 200 */
  readonly changesLimit?: number;
  /** What AI activity it counts. @default ANALYSIS_DEFAULTS.activity ('all') */
  readonly activity?: Activity;
}

/** Streaming, mergeable aggregate of the report window's events. */
export class WindowAggregate implements Mergeable<WindowAggregate> {
  readonly range?: TimeRange;
  readonly changesLimit: number;
  readonly activity: Activity;
  /** MCP tool calls (the seed's `total_tool_calls`). */
  total = 0;
  /** Events counted that were not well-formed (any kind). */
  malformed = 0;
  /** MCP tool calls without a usable timestamp: counted everywhere except in daily buckets and bursts. */
  undated = 0;
  outOfRange = 0;
  /** Audit events of no AI kind this aggregate counts: left out. */
  otherEvents = 0;
  /** Earliest and latest time of any event counted. */
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly people = new Map<string, WindowPerson>();
  readonly actions = new Map<string, number>();
  readonly resourceTypes = new Map<string, number>();
  /** MCP tool calls per 15-minute bucket (index = floor(time / BUCKET_MS)). */
  readonly buckets = new Map<number, number>();
  /** Every kind of AI activity (`activity: all`; empty under `mcp`). */
  readonly ai = new AiTally();
  /** Candidates of the per-event rules (deletions, support users, autonomous changes). */
  readonly flagged: NotableCall[] = [];
  /** Changes (created, modified, deleted): MCP tool calls under `activity: mcp`, every kind under `all`. */
  changesTotal = 0;
  /** The newest changes, at most 2 × changesLimit between trims. */
  changes: NotableCall[] = [];
  /** What this partial could not see (see core/gaps.ts); empty when its data is complete. */
  readonly incomplete: DataGap[] = [];
  private readonly index = new PersonIndex<WindowPerson>(this.people, (r) => ({
    key: r.personKey,
    display: UNKNOWN,
    seedDisplay: UNKNOWN,
    anyDisplay: UNKNOWN,
    calls: 0,
    undatedCalls: 0,
    events: 0,
    times: [],
    resourceTypes: new Map(),
    countries: new Map(),
  }));

  constructor(options: WindowAggregateOptions = {}) {
    this.range = options.range;
    this.changesLimit = options.changesLimit ?? 200;
    this.activity = options.activity ?? ANALYSIS_DEFAULTS.activity;
  }

  /** Events it counted, of every kind it reads (MCP tool calls alone under `activity: mcp`). */
  get events(): number {
    return this.activity === 'all' ? this.ai.total : this.total;
  }

  add(raw: unknown): void {
    this.addRecord(scratch.read(raw));
  }

  addRecord(r: CallRecord): void {
    const kind = admit(this, r);
    if (kind === NOT_AI) return;
    const dated = Number.isFinite(r.time);
    const all = this.activity === 'all';
    const seed = kind === MCP_TOOL_CALL;
    // Under `all`, an agent's autonomous event for nobody is the agent's: no person's rules see it.
    const agentOwned = all && isAgentOwned(r);
    if (!r.wellFormed) this.malformed++;
    if (all) this.ai.add(r, kind);
    if (dated) {
      if (r.time < this.minTime) this.minTime = r.time;
      if (r.time > this.maxTime) this.maxTime = r.time;
    }

    let person: WindowPerson | undefined;
    if (seed) {
      this.total++;
      countInto(this.actions, r.action);
      countInto(this.resourceTypes, r.resourceType);
      if (dated) countInto(this.buckets, Math.floor(r.time / BUCKET_MS));
      else this.undated++;
      person = this.index.of(r);
      person.calls++;
      if (!dated) person.undatedCalls++;
      if (person.seedDisplay !== r.person) person.seedDisplay = betterDisplay(person.seedDisplay, r.person);
    }

    const action = actionKind(r.action);
    const isChange = action !== 0 && (seed || all);
    const isFlagged = action === 2 || isSupportUser(r.actorType) || (all && action !== 0 && isAutonomous(r.actorMode));
    if (agentOwned) {
      if (person) person.display = person.calls > 0 ? person.seedDisplay : person.anyDisplay;
      if (isChange || isFlagged) this.keep(toNotable(r, agentKey(r.agentName), kind, true), isChange, isFlagged);
      return;
    }

    person ??= this.index.of(r);
    person.events++;
    if (person.anyDisplay !== r.person) person.anyDisplay = betterDisplay(person.anyDisplay, r.person);
    person.display = person.calls > 0 ? person.seedDisplay : person.anyDisplay;
    if (dated) person.times.push(r.time);

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
      const call = toNotable(r, person.key, kind, false);
      firstSeenInto(person.resourceTypes, r.resourceType, call);
      firstSeenInto(person.countries, r.country, call);
      this.keep(call, isChange, isFlagged);
    } else {
      seenType.count++;
      seenCountry.count++;
    }
  }

  private keep(call: NotableCall, isChange: boolean, isFlagged: boolean): void {
    if (isFlagged) this.flagged.push(call);
    if (isChange) {
      this.changesTotal++;
      this.changes.push(call);
      if (this.changes.length >= 2 * this.changesLimit) this.trimChanges();
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
    this.ai.merge(other.ai);
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
      mine.undatedCalls += theirs.undatedCalls;
      mine.events += theirs.events;
      mine.seedDisplay = betterDisplay(mine.seedDisplay, theirs.seedDisplay);
      mine.anyDisplay = betterDisplay(mine.anyDisplay, theirs.anyDisplay);
      mine.display = mine.calls > 0 ? mine.seedDisplay : mine.anyDisplay;
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
  /** What AI activity it counts. @default ANALYSIS_DEFAULTS.activity ('all') */
  readonly activity?: Activity;
}

/** Streaming, mergeable aggregate of the baseline window: who did what, where, before the report window. */
export class BaselineAggregate implements Mergeable<BaselineAggregate> {
  readonly range?: TimeRange;
  readonly activity: Activity;
  /** MCP tool calls (the seed's kind), and those in the previous range (`previous_window`). */
  total = 0;
  previousTotal = 0;
  /** Events of every kind counted (equal to `total` under `activity: mcp`). */
  aiTotal = 0;
  /** Events of every kind, and the autonomous ones, in the previous range (`activity: all`). */
  previousAi = 0;
  previousAutonomous = 0;
  /** False when some of the previous range came from an archived week that did not count every kind. */
  previousAiKnown = true;
  outOfRange = 0;
  otherEvents = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  readonly people = new Map<string, BaselinePerson>();
  /** What this partial could not see (see core/gaps.ts); empty when its data is complete. */
  readonly incomplete: DataGap[] = [];
  private readonly index = new PersonIndex<BaselinePerson>(this.people, () => ({
    calls: 0,
    previousCalls: 0,
    events: 0,
    resourceTypes: new Set(),
    countries: new Set(),
  }));

  /** `previous` is the week-over-week comparison range (the last windowDays of the baseline), epoch ms. */
  constructor(
    readonly previous: TimeRange,
    options: BaselineAggregateOptions = {},
  ) {
    this.range = options.range;
    this.activity = options.activity ?? ANALYSIS_DEFAULTS.activity;
  }

  /** Events of every kind it counted: what the rules compare with. */
  get events(): number {
    return this.aiTotal;
  }

  add(raw: unknown): void {
    this.addRecord(scratch.read(raw));
  }

  addRecord(r: CallRecord): void {
    const kind = admit(this, r);
    if (kind === NOT_AI) return;
    const dated = Number.isFinite(r.time);
    const inPrevious = dated && r.time >= this.previous.from && r.time < this.previous.to;
    const seed = kind === MCP_TOOL_CALL;
    const agentOwned = this.activity === 'all' && isAgentOwned(r);
    this.aiTotal++;
    if (dated) {
      if (r.time < this.minTime) this.minTime = r.time;
      if (r.time > this.maxTime) this.maxTime = r.time;
    }
    if (inPrevious && this.activity === 'all') {
      this.previousAi++;
      if (isAutonomous(r.actorMode)) this.previousAutonomous++;
    }
    let person: BaselinePerson | undefined;
    if (seed) {
      this.total++;
      person = this.index.of(r);
      person.calls++;
      if (inPrevious) {
        this.previousTotal++;
        person.previousCalls++;
      }
    }
    if (agentOwned) return;
    person ??= this.index.of(r);
    person.events++;
    person.resourceTypes.add(r.resourceType);
    person.countries.add(r.country);
  }

  markIncomplete(reason: string | DataGap): void {
    addGaps(this.incomplete, [toGap(reason)]);
  }

  merge(other: BaselineAggregate): BaselineAggregate {
    this.total += other.total;
    this.previousTotal += other.previousTotal;
    this.aiTotal += other.aiTotal;
    this.previousAi += other.previousAi;
    this.previousAutonomous += other.previousAutonomous;
    this.previousAiKnown &&= other.previousAiKnown;
    this.outOfRange += other.outOfRange;
    this.otherEvents += other.otherEvents;
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
      mine.events += theirs.events;
      for (const t of theirs.resourceTypes) mine.resourceTypes.add(t);
      for (const c of theirs.countries) mine.countries.add(c);
    }
    addGaps(this.incomplete, other.incomplete);
    return this;
  }
}
