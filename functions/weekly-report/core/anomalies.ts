/**
 * The anomaly rules of DESIGN.md "Anomaly flags", evaluated on finalized aggregates: the rules on
 * the audit events here, `new_client` on the MCP usage metric in client-anomalies.ts. Pure. Rules
 * that compare with a baseline are reported as unavailable (count `null`) when there is no usable
 * baseline, instead of guessing.
 *
 * A report of every kind of AI activity (`activity: all`, core/activity.ts) adds
 * `autonomous_change` (a Datadog AI agent created, modified or deleted something with no user
 * present), raises `destructive_action` on deletions of every kind, and lets the person rules see
 * a person's MCP-driven and agent actions as theirs; one of `activity: mcp` is the seed's rules on
 * MCP tool calls alone, as it always was.
 */
import { isAutonomous } from './activity';
import type { BaselineAggregate, WindowAggregate } from './aggregate';
import { newClientFlags } from './client-anomalies';
import { type GroupMember, groupFlags, matchesRule, SEVERITY_RANK } from './groups';
import { anyOfTerm, auditTrailLink, type LinkFilter, narrowAuditLink } from './links';
import type { ClientHistory } from './mcp-usage';
import { compareCalls, compareCodePoints, type NotableCall } from './order';
import { DAY_MS, isoOrUnknown, localDate, localMinute, MINUTE_MS } from './time';
import {
  ACTIVITY_KINDS,
  AI_KINDS,
  ANOMALY_KINDS,
  type AnomalyCounts,
  type AnomalyFlag,
  type AnomalyGroup,
  type AnomalyKind,
  BASELINE_KINDS,
  MULTIPLE,
  type ReportSettings,
  type Severity,
  type SuppressRule,
  UNKNOWN,
} from './types';

/** Per-event flags link to this much time around the event. */
const EVENT_LINK_MARGIN_MS = 5 * 60 * 1000;
/** A group's link names its resource types (ORed) when there are at most this many. */
const LINK_TYPES_MAX = 10;

export interface AnomalyResult {
  readonly flags: AnomalyFlag[];
  readonly counts: AnomalyCounts;
  /** The flags grouped (core/groups.ts), each `new` until compared with the previous week. */
  readonly groups: AnomalyGroup[];
}

/** A flag with what sorting and grouping need beyond it. */
interface Draft extends Omit<GroupMember, 'flag'> {
  readonly flag: AnomalyFlag;
}

export interface AnomalyContext {
  readonly window: WindowAggregate;
  /** Present only when a baseline with events exists. */
  readonly baseline?: BaselineAggregate;
  readonly windowRange: { readonly from: number; readonly to: number };
  readonly settings: ReportSettings;
  /** The metric's caller × client rows of the window and baseline; absent: `new_client` is not evaluated. */
  readonly clientHistory?: ClientHistory;
}

export function detectAnomalies(ctx: AnomalyContext): AnomalyResult {
  const drafts: Draft[] = [...eventFlags(ctx), ...burstFlags(ctx)];
  if (ctx.baseline) drafts.push(...baselineFlags(ctx, ctx.baseline));
  if (ctx.clientHistory) {
    const flags = newClientFlags({
      history: ctx.clientHistory,
      people: ctx.window.people.values(),
      windowRange: ctx.windowRange,
      settings: ctx.settings,
    });
    drafts.push(
      ...flags.map(({ flag, personKey }) => ({
        flag,
        personKey,
        time: ctx.windowRange.from,
        end: ctx.windowRange.to - 1,
      })),
    );
  }

  const kept = drafts.filter((d) => !ctx.settings.suppress.some((rule) => suppresses(rule, d.flag)));
  kept.sort(compareDrafts);
  const groups = groupFlags(kept, {
    thresholds: ctx.settings.thresholds,
    exceptions: ctx.settings.exceptions ?? [],
    lastDay: localDate(Math.max(ctx.windowRange.from, ctx.windowRange.to - 1), ctx.settings.timezone),
    link: (members) => groupLink(ctx, members),
    display: (key) => ctx.window.people.get(key)?.display,
  });

  const all = ctx.window.activity === 'all';
  const counts = {} as Record<AnomalyKind, number | null>;
  for (const kind of ANOMALY_KINDS) {
    // A report of the seed's MCP tool calls alone has no rule that reads other kinds: not even a zero.
    if (!all && ACTIVITY_KINDS.includes(kind)) continue;
    const evaluated =
      kind === 'new_client' ? ctx.clientHistory !== undefined : ctx.baseline || !BASELINE_KINDS.includes(kind);
    counts[kind] = evaluated ? 0 : null;
  }
  for (const d of kept) counts[d.flag.kind] = (counts[d.flag.kind] ?? 0) + 1;
  return { flags: kept.map((d) => d.flag), counts, groups };
}

/**
 * Datadog on exactly a group's events: a rule of one flag per person (and type, country or
 * client) keeps that flag's link; a group of per-event flags or bursts gets Audit Trail from its
 * first to its last event, on its person (or an agent's mode), narrowed as its rule is.
 */
function groupLink(ctx: AnomalyContext, members: readonly GroupMember[]): string {
  const first = members[0];
  if (!first) return auditTrailLink(ctx.settings.site, ctx.windowRange.from, ctx.windowRange.to);
  const { kind } = first.flag;
  if (
    members.length === 1 ||
    !['destructive_action', 'support_user', 'autonomous_change', 'high_volume'].includes(kind)
  )
    return first.flag.link;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const types = new Set<string>();
  const actions = new Set<string>();
  for (const m of members) {
    if (Number.isFinite(m.time)) from = Math.min(from, m.time);
    if (Number.isFinite(m.end)) to = Math.max(to, m.end);
    types.add(m.flag.resource_type);
    actions.add(m.flag.action);
  }
  const base: LinkFilter = first.base ?? {};
  const filter: LinkFilter =
    kind === 'destructive_action'
      ? { ...base, action: 'deleted' }
      : kind === 'support_user'
        ? { ...base, actorType: 'SUPPORT_USER' }
        : kind === 'autonomous_change'
          ? { ...base, mode: 'autonomous' }
          : base;
  const url = link(ctx, from, to + 1, filter);
  const terms: string[] = [];
  const named = [...types].filter((t) => t !== MULTIPLE && t !== UNKNOWN).sort();
  if (kind !== 'high_volume' && named.length > 0 && named.length === types.size && named.length <= LINK_TYPES_MAX)
    terms.push(anyOfTerm('asset.type', named));
  const changed = [...actions].filter((a) => a !== MULTIPLE && a !== UNKNOWN).sort();
  if (kind === 'autonomous_change' && changed.length > 0 && changed.length === actions.size)
    terms.push(anyOfTerm('action', changed));
  return narrowAuditLink(url, terms);
}

function compareDrafts(a: Draft, b: Draft): number {
  const bySeverity = SEVERITY_RANK[a.flag.severity] - SEVERITY_RANK[b.flag.severity];
  if (bySeverity) return bySeverity;
  const aDated = Number.isFinite(a.time);
  if (aDated !== Number.isFinite(b.time)) return aDated ? -1 : 1;
  if (aDated && a.time !== b.time) return a.time - b.time;
  return (
    compareCodePoints(a.flag.kind, b.flag.kind) ||
    compareCodePoints(a.flag.user, b.flag.user) ||
    compareCodePoints(a.flag.resource_type, b.flag.resource_type) ||
    compareCodePoints(a.flag.resource_id, b.flag.resource_id) ||
    compareCodePoints(a.flag.action, b.flag.action) ||
    compareCodePoints(a.flag.detail, b.flag.detail)
  );
}

/** Whether a `suppress` rule drops a flag (an exception matches the same way, core/groups.ts). */
export function suppresses(rule: SuppressRule, flag: AnomalyFlag): boolean {
  return matchesRule(rule, flag);
}

/** Audit Trail over `[from, to)` (the window's where unknown), on what the report reads, narrowed by `filter`. */
function link(ctx: AnomalyContext, from: number, to: number, filter: LinkFilter): string {
  const f = Number.isFinite(from) ? from : ctx.windowRange.from;
  const t = Number.isFinite(to) ? to : ctx.windowRange.to;
  return auditTrailLink(ctx.settings.site, f, t, { ...filter, activity: ctx.window.activity });
}

function describeResource(call: NotableCall): string {
  const name = call.resourceName !== UNKNOWN ? ` "${call.resourceName}"` : '';
  return `${call.resourceType}${name} (${call.resourceId})`;
}

function callFlag(
  ctx: AnomalyContext,
  kind: AnomalyKind,
  severity: Severity,
  call: NotableCall,
  detail: string,
  filter: LinkFilter,
): Draft {
  // Under `activity: all` a flag of an agent's event names the agent and its mode (for suppressions, and readers).
  const agent = ctx.window.activity === 'all' && call.mode !== UNKNOWN ? { agent: call.agent, mode: call.mode } : {};
  return {
    time: call.time,
    end: call.time,
    personKey: call.personKey,
    ...(call.resourceName !== UNKNOWN ? { resourceName: call.resourceName } : {}),
    base: call.agentOwned ? { mode: call.mode } : { personKey: call.personKey },
    flag: {
      kind,
      severity,
      timestamp: isoOrUnknown(call.time),
      user: call.person,
      action: call.action,
      resource_type: call.resourceType,
      resource_id: call.resourceId,
      count: 1,
      detail,
      link: link(ctx, call.time - EVENT_LINK_MARGIN_MS, call.time + EVENT_LINK_MARGIN_MS, filter),
      ...agent,
    },
  };
}

/** How a flagged call was made, for its detail: `through the MCP server`, `by Bits AI SRE (autonomous) for ana@…`. */
function throughWhat(call: NotableCall): string {
  const kind = AI_KINDS[call.kind];
  if (kind === 'agent_action') {
    const mode = call.mode !== UNKNOWN ? ` (${call.mode})` : '';
    return `by the Datadog AI agent ${call.agent}${mode}${call.agentOwned ? ', for nobody' : `, for ${call.person}`}`;
  }
  return kind === 'mcp_action'
    ? 'through the MCP server (an action on the product, is_mcp_call)'
    : 'through the MCP server';
}

/** `destructive_action`, `support_user` and (`activity: all`) `autonomous_change`: one flag per event. */
function eventFlags(ctx: AnomalyContext): Draft[] {
  const highTypes = new Set(ctx.settings.thresholds.highSeverityResourceTypes.map((t) => t.toLowerCase()));
  const all = ctx.window.activity === 'all';
  const drafts: Draft[] = [];
  for (const call of ctx.window.flagged) {
    // An agent's own call is found by its mode and resource: no person's query names it.
    const base: LinkFilter = call.agentOwned
      ? { mode: call.mode, resourceType: call.resourceType, resourceId: call.resourceId }
      : { personKey: call.personKey, resourceType: call.resourceType, resourceId: call.resourceId };
    const deleted = call.action.toLowerCase() === 'deleted';
    if (deleted) {
      const severity = highTypes.has(call.resourceType.toLowerCase()) ? 'high' : 'medium';
      drafts.push(
        callFlag(ctx, 'destructive_action', severity, call, `Deleted ${describeResource(call)} ${throughWhat(call)}`, {
          ...base,
          action: call.action,
        }),
      );
    }
    if (all && isAutonomous(call.mode) && call.action !== MULTIPLE) {
      const lower = call.action.toLowerCase();
      if (lower === 'created' || lower === 'modified' || deleted) {
        const who = call.agentOwned
          ? 'with no user present and no delegator'
          : `with no user present, for ${call.person}`;
        drafts.push(
          callFlag(
            ctx,
            'autonomous_change',
            deleted ? 'high' : 'medium',
            call,
            `The Datadog AI agent ${call.agent} ${lower} ${describeResource(call)} on its own (autonomous: ${who})`,
            { ...base, action: call.action, mode: call.mode },
          ),
        );
      }
    }
    if (call.actorType.toUpperCase() === 'SUPPORT_USER') {
      drafts.push(
        callFlag(
          ctx,
          'support_user',
          'high',
          call,
          AI_KINDS[call.kind] === 'mcp_tool_call'
            ? `Datadog support (SUPPORT_USER) called the MCP server: ${call.action} ${describeResource(call)}`
            : `Datadog support (SUPPORT_USER) ${call.action} ${describeResource(call)} ${throughWhat(call)}`,
          { ...base, actorType: call.actorType },
        ),
      );
    }
  }
  return drafts;
}

/** `high_volume`: more than `burstCalls` calls within `burstMinutes`, one flag per person and episode. */
function burstFlags(ctx: AnomalyContext): Draft[] {
  const { burstCalls, burstMinutes } = ctx.settings.thresholds;
  const span = burstMinutes * MINUTE_MS;
  const drafts: Draft[] = [];
  for (const person of ctx.window.people.values()) {
    if (person.times.length <= burstCalls) continue;
    const times = Float64Array.from(person.times).sort();
    for (const episode of burstEpisodes(times, burstCalls, span)) {
      const first = times[episode.start]!;
      const last = times[episode.end]!;
      const count = episode.end - episode.start + 1;
      drafts.push({
        time: first,
        end: last,
        personKey: person.key,
        base: { personKey: person.key },
        flag: {
          kind: 'high_volume',
          severity: 'medium',
          timestamp: isoOrUnknown(first),
          user: person.display,
          action: MULTIPLE,
          resource_type: MULTIPLE,
          resource_id: MULTIPLE,
          count,
          detail:
            `${count} ${person.events === person.calls ? 'calls' : 'AI events'} between ${localMinute(first, ctx.settings.timezone)} and ${localMinute(last, ctx.settings.timezone)} ` +
            `(peak ${episode.peak} within ${burstMinutes} min; threshold ${burstCalls})`,
          link: link(ctx, first, last + 1, { personKey: person.key }),
        },
      });
    }
  }
  return drafts;
}

export interface Episode {
  /** Index of the first and last call of the episode in the sorted times. */
  readonly start: number;
  readonly end: number;
  /** Most calls inside one `span`-long window during the episode. */
  readonly peak: number;
}

/**
 * Maximal runs of calls that lie inside some half-open window `[t, t + span)` holding more than
 * `limit` calls. Overlapping or touching windows join into one episode.
 */
export function burstEpisodes(sorted: ArrayLike<number>, limit: number, span: number): Episode[] {
  const episodes: Episode[] = [];
  let current: { start: number; end: number; peak: number } | undefined;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (j < i) j = i;
    while (j < sorted.length && sorted[j]! < sorted[i]! + span) j++;
    const count = j - i;
    if (count <= limit) continue;
    if (current && i <= current.end) {
      current.end = Math.max(current.end, j - 1);
      current.peak = Math.max(current.peak, count);
    } else {
      if (current) episodes.push(current);
      current = { start: i, end: j - 1, peak: count };
    }
  }
  if (current) episodes.push(current);
  return episodes;
}

function listSome(values: Iterable<string>, max = 5): string {
  const all = [...values].filter((v) => v !== UNKNOWN).sort(compareCodePoints);
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown} and ${all.length - max} more` : shown || 'none';
}

/** `this week` for a seven-day window (23 or 25 hours in a day across a DST change), else `this window`. */
function windowName(range: { readonly from: number; readonly to: number }): string {
  return Math.round((range.to - range.from) / DAY_MS) === 7 ? 'this week' : 'this window';
}

/**
 * What a first-time user did, in order: `First MCP use: no calls in the 28 days before this week;
 * 6 calls this week, the first on 2026-11-17 10:04`. The baseline's length comes from the range
 * that was asked for (or read); when it is not known, or does not end where the window starts,
 * it is simply "the baseline".
 */
function firstUseDetail(
  ctx: AnomalyContext,
  baseline: BaselineAggregate,
  calls: number,
  firstTime: number,
  onlyCalls: boolean,
): string {
  const asked = ctx.settings.baselineWindow;
  const span = asked ?? baseline.range;
  const period = windowName(ctx.windowRange);
  const before =
    span && Number.isFinite(span.from) && span.to === ctx.windowRange.from
      ? `the ${Math.round((span.to - span.from) / DAY_MS)} days before ${period}`
      : 'the baseline';
  const when = localMinute(firstTime, ctx.settings.timezone);
  if (!onlyCalls) {
    const these = calls === 1 ? `1 event ${period}, on ${when}` : `${calls} events ${period}, the first on ${when}`;
    return `First AI activity: none in ${before}; ${these}`;
  }
  const these = calls === 1 ? `1 call ${period}, on ${when}` : `${calls} calls ${period}, the first on ${when}`;
  return `First MCP use: no calls in ${before}; ${these}`;
}

/** `first_time_user`, `out_of_scope`, `new_country`: the window compared with each person's baseline. */
function baselineFlags(ctx: AnomalyContext, baseline: BaselineAggregate): Draft[] {
  const { scopeMinBaselineCalls } = ctx.settings.thresholds;
  const range = ctx.windowRange;
  const drafts: Draft[] = [];
  for (const person of ctx.window.people.values()) {
    if (person.key === UNKNOWN) continue; // "(unknown)" is many people or none: never call it new.
    // Someone known only by MCP tool calls an agent made on its own has nothing the rules see.
    if (person.events === 0) continue;
    const before = baseline.people.get(person.key);
    if (!before || before.events === 0) {
      const first = [...person.resourceTypes.values()].map((s) => s.call).sort(compareCalls)[0]!;
      drafts.push({
        time: first.time,
        end: first.time,
        personKey: person.key,
        base: { personKey: person.key },
        flag: {
          kind: 'first_time_user',
          severity: 'low',
          timestamp: isoOrUnknown(first.time),
          user: person.display,
          action: first.action,
          resource_type: first.resourceType,
          resource_id: first.resourceId,
          count: person.events,
          detail: firstUseDetail(ctx, baseline, person.events, first.time, person.events === person.calls),
          link: link(ctx, range.from, range.to, { personKey: person.key }),
        },
      });
      continue;
    }
    // Calls when all the events are MCP tool calls (always so under `activity: mcp`), else events.
    const noun = person.events === person.calls && before.events === before.calls ? 'call' : 'event';
    if (before.events >= scopeMinBaselineCalls) {
      for (const [type, seen] of person.resourceTypes) {
        if (type === UNKNOWN || before.resourceTypes.has(type)) continue;
        drafts.push({
          time: seen.call.time,
          end: seen.call.time,
          personKey: person.key,
          base: { personKey: person.key },
          flag: {
            kind: 'out_of_scope',
            severity: 'medium',
            timestamp: isoOrUnknown(seen.call.time),
            user: person.display,
            action: seen.call.action,
            resource_type: type,
            resource_id: seen.call.resourceId,
            count: seen.count,
            detail: `First ${type} access (${seen.count} ${noun}${seen.count === 1 ? '' : 's'}); ${before.events} baseline ${noun}s touched only: ${listSome(before.resourceTypes)}`,
            link: link(ctx, range.from, range.to, { personKey: person.key, resourceType: type }),
          },
        });
      }
    }
    const knownCountries = [...before.countries].filter((c) => c !== UNKNOWN);
    if (knownCountries.length > 0) {
      for (const [country, seen] of person.countries) {
        if (country === UNKNOWN || before.countries.has(country)) continue;
        drafts.push({
          time: seen.call.time,
          end: seen.call.time,
          personKey: person.key,
          country,
          base: { personKey: person.key },
          flag: {
            kind: 'new_country',
            severity: 'medium',
            timestamp: isoOrUnknown(seen.call.time),
            user: person.display,
            action: seen.call.action,
            resource_type: seen.call.resourceType,
            resource_id: seen.call.resourceId,
            count: seen.count,
            detail: `Calls from ${country} (${seen.count}); baseline countries: ${listSome(knownCountries)}`,
            link: link(ctx, range.from, range.to, { personKey: person.key, country }),
          },
        });
      }
    }
  }
  return drafts;
}
