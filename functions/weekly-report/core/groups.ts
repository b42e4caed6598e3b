/**
 * From a list of flags to a triage (docs/triage.md): flags of one kind for one person (and, where
 * the rule has one, the same resource type, country or client) form one group, with a stable id;
 * exceptions accept a group until their date; and against the previous week's report each group
 * is `new` or `recurring` (for how many weeks), and last week's groups that are gone are
 * `resolved`. Pure: the week-to-week part takes the previous week's groups as a value (the
 * pipeline reads them from the archive's `point.json`).
 */
import { createHash } from 'node:crypto';
import type { LinkFilter } from './links';
import { compareCodePoints } from './order';
import { isoOrUnknown } from './time';
import {
  type AnomalyFlag,
  type AnomalyGroup,
  type AnomalyKind,
  type ExceptionRule,
  type GroupException,
  type GroupHistory,
  MULTIPLE,
  type ResolvedGroup,
  type Severity,
  type SuppressRule,
  type Thresholds,
  UNKNOWN,
} from './types';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { high: 0, medium: 1, low: 2 };
/** Resources and resource types a group lists (the rest are counted). */
export const GROUP_RESOURCES_KEPT = 5;
export const GROUP_TYPES_KEPT = 10;

/** Whether a suppress rule or an exception matches a flag: its kind, and every other field it names. */
export function matchesRule(rule: SuppressRule, flag: AnomalyFlag): boolean {
  if (rule.kind !== flag.kind) return false;
  if (rule.user !== undefined && rule.user.toLowerCase() !== flag.user.toLowerCase()) return false;
  if (rule.resource_type !== undefined && rule.resource_type !== flag.resource_type) return false;
  if (rule.action !== undefined && rule.action !== flag.action) return false;
  if (rule.client !== undefined && rule.client.toLowerCase() !== flag.client?.toLowerCase()) return false;
  if (rule.agent !== undefined && rule.agent.toLowerCase() !== flag.agent?.toLowerCase()) return false;
  return true;
}

/** One flag with what grouping needs beyond it. */
export interface GroupMember {
  readonly flag: AnomalyFlag;
  /** The stable key of whom the flag is about (core/normalize.ts: id, else e-mail, else name; an agent's key for an agent acting for nobody). */
  readonly personKey: string;
  /** Epoch ms of its first and last event (NaN when unknown). */
  readonly time: number;
  readonly end: number;
  /** The country of a `new_country` flag. */
  readonly country?: string;
  /** The resource's name, when the event had one. */
  readonly resourceName?: string;
  /** Whose events these are, as an Audit Trail query says it (the person, or an agent's mode). */
  readonly base?: LinkFilter;
}

/** The qualifier a rule keys its groups on besides kind and person, if it has one. */
export function qualifierOf(member: Pick<GroupMember, 'flag' | 'country'>): {
  readonly resource_type?: string;
  readonly country?: string;
  readonly client?: string;
} {
  const { flag } = member;
  switch (flag.kind) {
    case 'out_of_scope':
      return { resource_type: flag.resource_type };
    case 'new_country':
      return { country: member.country ?? flag.detail };
    case 'new_client':
      return flag.client !== undefined ? { client: flag.client } : {};
    default:
      return {};
  }
}

/**
 * A group's identity, the same every week for the same kind, person and qualifier: 16
 * hexadecimal digits of sha256 over `kind`, the person's key and the qualifier, one per line.
 */
export function groupId(kind: AnomalyKind, personKey: string, qualifier: string): string {
  return createHash('sha256').update(`${kind}\n${personKey}\n${qualifier}`).digest('hex').slice(0, 16);
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** Why a group of `kind` has `severity`, in a few words (a card shows it on one line). */
export function severityReason(kind: AnomalyKind, severity: Severity, thresholds: Thresholds): string {
  const label = capitalized(severity);
  switch (kind) {
    case 'destructive_action':
      return severity === 'high'
        ? `${label}: deleted a type rated high (${thresholds.highSeverityResourceTypes.join(', ')})`
        : `${label}: deleted types not rated high`;
    case 'support_user':
      return `${label}: Datadog support acted in the org`;
    case 'autonomous_change':
      return severity === 'high'
        ? `${label}: an AI agent deleted, no user present`
        : `${label}: an AI agent made a change, no user present`;
    case 'high_volume':
      return `${label}: over ${thresholds.burstCalls} calls within ${thresholds.burstMinutes} min`;
    case 'first_time_user':
      return `${label}: a first use, rarely a risk`;
    case 'out_of_scope':
      return `${label}: a type not in their baseline`;
    case 'new_country':
      return `${label}: a country not in their baseline`;
    case 'new_client':
      return `${label}: a client not in their baseline (as configured)`;
  }
}

export interface GroupOptions {
  readonly thresholds: Thresholds;
  readonly exceptions: readonly ExceptionRule[];
  /** The report's last calendar day (`YYYY-MM-DD`, its zone): an exception holds through its `expires` day. */
  readonly lastDay: string;
  /** The group's Datadog link, from its members (all of one id). */
  readonly link: (members: readonly GroupMember[]) => string;
  /** How the person of a group is shown; the first member's flag says it otherwise. */
  readonly display?: (personKey: string) => string | undefined;
}

/** True while an exception holds for a report whose last day is `lastDay`. */
export function exceptionHolds(rule: ExceptionRule, lastDay: string): boolean {
  return lastDay <= rule.expires;
}

function exceptionOf(rule: ExceptionRule): GroupException {
  return { owner: rule.owner, reason: rule.reason, expires: rule.expires };
}

/** Earliest `expires` first: the day the group may come back. */
const byExpiry = (a: ExceptionRule, b: ExceptionRule): number =>
  compareCodePoints(a.expires, b.expires) || compareCodePoints(a.owner, b.owner);

/** Earlier first; an unknown time (NaN, ±Infinity) last. */
function compareTimes(a: number, b: number): number {
  const aKnown = Number.isFinite(a);
  if (aKnown !== Number.isFinite(b)) return aKnown ? -1 : 1;
  return aKnown ? a - b : 0;
}

/** Flags into groups (status `new`, 1 week: the pipeline compares them with the previous week), in card order. */
export function groupFlags(members: readonly GroupMember[], options: GroupOptions): AnomalyGroup[] {
  const byId = new Map<string, GroupMember[]>();
  for (const member of members) {
    const q = qualifierOf(member);
    const id = groupId(member.flag.kind, member.personKey, q.resource_type ?? q.country ?? q.client ?? '');
    const list = byId.get(id);
    if (list) list.push(member);
    else byId.set(id, [member]);
  }
  const active = options.exceptions.filter((r) => exceptionHolds(r, options.lastDay));
  const expired = options.exceptions.filter((r) => !exceptionHolds(r, options.lastDay));
  const groups: Array<AnomalyGroup & { readonly sortTime: number }> = [];
  for (const [id, list] of byId) {
    const first = list[0];
    if (!first) continue;
    const kind = first.flag.kind;
    let severity: Severity = 'low';
    let count = 0;
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    const types = new Map<string, number>();
    const resources = new Map<string, { type: string; id: string; name?: string; time: number }>();
    const agents = new Set<string | undefined>();
    for (const m of list) {
      if (SEVERITY_RANK[m.flag.severity] < SEVERITY_RANK[severity]) severity = m.flag.severity;
      count += m.flag.count;
      if (Number.isFinite(m.time)) start = Math.min(start, m.time);
      if (Number.isFinite(m.end)) end = Math.max(end, m.end);
      agents.add(m.flag.agent);
      if (m.flag.resource_type === MULTIPLE) continue;
      types.set(m.flag.resource_type, (types.get(m.flag.resource_type) ?? 0) + 1);
      if (m.flag.resource_id === MULTIPLE) continue;
      const key = `${m.flag.resource_type}\u0000${m.flag.resource_id}`;
      const seen = resources.get(key);
      if (!seen || m.time < seen.time) {
        const name = m.resourceName !== undefined && m.resourceName !== UNKNOWN ? { name: m.resourceName } : {};
        resources.set(key, { type: m.flag.resource_type, id: m.flag.resource_id, ...name, time: m.time });
      }
    }
    // Every flag accepted by an exception that holds: the group is accepted (by the one that ends first).
    const accepting = list.map((m) => active.filter((r) => matchesRule(r, m.flag)).sort(byExpiry)[0]);
    const acceptedBy = accepting.every((r) => r !== undefined)
      ? (accepting as ExceptionRule[]).sort(byExpiry)[0]
      : undefined;
    const lapsed = acceptedBy
      ? undefined
      : expired
          .filter((r) => list.some((m) => matchesRule(r, m.flag)))
          .sort(byExpiry)
          .pop();
    const q = qualifierOf(first);
    const agent = agents.size === 1 ? [...agents][0] : undefined;
    groups.push({
      id,
      kind,
      person: options.display?.(first.personKey) ?? first.flag.user,
      ...q,
      severity,
      severity_reason: severityReason(kind, severity, options.thresholds),
      count,
      flags: list.length,
      first: isoOrUnknown(Number.isFinite(start) ? start : Number.NaN),
      last: isoOrUnknown(Number.isFinite(end) ? end : Number.isFinite(start) ? start : Number.NaN),
      resource_types: [...types]
        .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]))
        .slice(0, GROUP_TYPES_KEPT)
        .map(([type, n]) => ({ type, count: n })),
      resources: {
        total: resources.size,
        items: [...resources.values()]
          .sort(
            (a, b) =>
              compareTimes(a.time, b.time) || compareCodePoints(a.type, b.type) || compareCodePoints(a.id, b.id),
          )
          .slice(0, GROUP_RESOURCES_KEPT)
          .map(({ time: _, ...r }) => r),
      },
      status: 'new',
      weeks: 1,
      link: options.link(list),
      ...(list.length === 1 ? { detail: first.flag.detail } : {}),
      ...(agent !== undefined ? { agent } : {}),
      ...(acceptedBy ? { accepted: exceptionOf(acceptedBy) } : {}),
      ...(lapsed ? { exception_expired: exceptionOf(lapsed) } : {}),
      sortTime: start,
    });
  }
  groups.sort(
    (a, b) =>
      Number(a.accepted !== undefined) - Number(b.accepted !== undefined) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      compareTimes(a.sortTime, b.sortTime) ||
      compareCodePoints(a.kind, b.kind) ||
      compareCodePoints(a.person, b.person) ||
      compareCodePoints(a.id, b.id),
  );
  return groups.map(({ sortTime: _, ...g }) => g);
}

/**
 * Groups made from flags alone, for a summary made before groups (an archived week shown by the
 * command line): the person's key is the flag's user, in lower case, and no exception applies.
 */
export function groupsOfFlags(flags: readonly AnomalyFlag[], thresholds: Thresholds): AnomalyGroup[] {
  return groupFlags(
    flags.map((flag) => {
      const time = Date.parse(flag.timestamp);
      return { flag, personKey: flag.user.toLowerCase(), time, end: time };
    }),
    {
      thresholds,
      exceptions: [],
      lastDay: '',
      link: (members) => members[0]?.flag.link ?? '',
    },
  );
}

/** A group as the archive's `point.json` records it for the next week's comparison. */
export interface RecordedGroup {
  readonly id: string;
  readonly kind: AnomalyKind;
  /** The person as shown, cut to RECORDED_PERSON_MAX code points. */
  readonly person: string;
  readonly severity: Severity;
  readonly weeks: number;
}

/** What one week recorded of its groups: the first RECORDED_GROUPS_MAX in card order, and how many there were. */
export interface RecordedGroups {
  readonly total: number;
  readonly items: readonly RecordedGroup[];
}

/** Groups a point records (a point stays small: a few KB in a busy week, ~130 KB at most). */
export const RECORDED_GROUPS_MAX = 500;
export const RECORDED_PERSON_MAX = 64;

/** The week's groups as `point.json` records them. */
export function recordGroups(groups: readonly AnomalyGroup[]): RecordedGroups {
  return {
    total: groups.length,
    items: groups.slice(0, RECORDED_GROUPS_MAX).map((g) => {
      const person = Array.from(g.person);
      return {
        id: g.id,
        kind: g.kind,
        person: person.length > RECORDED_PERSON_MAX ? person.slice(0, RECORDED_PERSON_MAX).join('') : g.person,
        severity: g.severity,
        weeks: g.weeks,
      };
    }),
  };
}

/** The previous week's report as the comparison needs it. */
export type PreviousReport =
  | { readonly found: true; readonly weekEnd: string; readonly groups: RecordedGroups }
  /** No previous report to compare with; `note` says why ("no archived report of the week ending …"). */
  | { readonly found: false; readonly note: string };

/**
 * This week's groups against the previous week's: a group whose id the previous week recorded is
 * `recurring` for one week more than it had; any other is `new`; a recorded group absent this
 * week is resolved. Without a previous report every group is `new`, and the history says why.
 */
export function trackGroups(
  groups: readonly AnomalyGroup[],
  previous: PreviousReport,
): { groups: AnomalyGroup[]; resolved: ResolvedGroup[]; history: GroupHistory } {
  if (!previous.found) {
    return {
      groups: groups.map((g) => ({ ...g, status: 'new', weeks: 1 })),
      resolved: [],
      history: { previous_week_end: null, note: previous.note },
    };
  }
  const before = new Map(previous.groups.items.map((g) => [g.id, g]));
  const now = new Set(groups.map((g) => g.id));
  const tracked = groups.map((g): AnomalyGroup => {
    const last = before.get(g.id);
    return last ? { ...g, status: 'recurring', weeks: last.weeks + 1 } : { ...g, status: 'new', weeks: 1 };
  });
  const resolved = previous.groups.items
    .filter((g) => !now.has(g.id))
    .map((g) => ({ id: g.id, kind: g.kind, person: g.person, severity: g.severity, weeks: g.weeks }));
  const partial = previous.groups.total > previous.groups.items.length;
  return {
    groups: tracked,
    resolved,
    history: {
      previous_week_end: previous.weekEnd,
      ...(partial
        ? {
            note: `The previous week recorded only its first ${previous.groups.items.length} of ${previous.groups.total} groups: a group beyond them reads as new.`,
          }
        : {}),
    },
  };
}
