/**
 * The triage of the view (docs/triage.md): each group of flags as readers see it, one card, one
 * Slack line, one text line ("Destructive action · dana@… · 12 deletions (monitor ×8, notebook ×4)
 * · Tue 17 Nov 14:12 – Thu 19 Nov 09:30 UTC"), with its status against the previous week, why it
 * has its severity and a link to exactly its events; the groups exceptions accept, counted on one
 * line each; last week's groups that are gone; and what the statuses were compared with. Audit
 * values stay raw: each medium escapes them. A summary made before groups gets them from its
 * flags (core/groups.ts `groupsOfFlags`). Pure.
 */

import { groupsOfFlags } from '../../core/groups';
import { type AnomalyGroup, type AnomalyKind, DEFAULT_THRESHOLDS, type Severity, type Summary } from '../../core/types';
import { formatCount, formatShortTime, KIND_LABELS, pluralize } from './format';
import type { AcceptedView, Colour, GroupView, TriageView } from './types';

const COLOURS: Readonly<Record<Severity, Colour>> = { high: 'red', medium: 'orange', low: 'blue' };

const PER_EVENT: ReadonlySet<AnomalyKind> = new Set(['destructive_action', 'support_user', 'autonomous_change']);
/** Types and resources a view lists of a group. */
const TYPES_SHOWN = 4;
const RESOURCES_SHOWN = 3;

function countLabel(g: AnomalyGroup): string {
  switch (g.kind) {
    case 'destructive_action':
      return pluralize(g.count, 'deletion');
    case 'support_user':
      return pluralize(g.count, 'support-user event');
    case 'autonomous_change':
      return pluralize(g.count, 'autonomous change');
    case 'high_volume':
      return g.flags > 1
        ? `${pluralize(g.flags, 'burst')}, ${pluralize(g.count, 'call')}`
        : `${pluralize(g.count, 'call')} in a burst`;
    case 'first_time_user':
      return `first use, ${pluralize(g.count, 'event')}`;
    default:
      return pluralize(g.count, 'call');
  }
}

function qualifier(g: AnomalyGroup): GroupView['qualifier'] {
  if (g.resource_type !== undefined) return { word: 'on', value: g.resource_type };
  if (g.country !== undefined) return { word: 'from', value: g.country };
  if (g.client !== undefined) return { word: 'through', value: g.client };
  return undefined;
}

/** `Tue 17 Nov 14:12 – Thu 19 Nov 09:30 UTC`; one time when they are the same; `this week` for the metric's flags. */
function when(g: AnomalyGroup, zone: string): string {
  if (g.kind === 'new_client') return 'this week (no call times)';
  const first = formatShortTime(g.first, zone);
  const last = formatShortTime(g.last, zone);
  if (first === 'unknown time') return 'unknown time';
  if (first === last || last === 'unknown time') return `${first} ${zone}`;
  // The same day once: `Wed 25 Nov 03:00–03:07 UTC`.
  const day = first.slice(0, first.lastIndexOf(' '));
  return last.startsWith(`${day} `) ? `${first}–${last.slice(day.length + 1)} ${zone}` : `${first} – ${last} ${zone}`;
}

function groupView(g: AnomalyGroup, zone: string): GroupView {
  const label = KIND_LABELS[g.kind] ?? g.kind;
  const severityLabel = `${g.severity.charAt(0).toUpperCase()}${g.severity.slice(1)}`;
  const counted = countLabel(g);
  const q = qualifier(g);
  const types = PER_EVENT.has(g.kind) ? g.resource_types : [];
  const expired = g.exception_expired;
  return {
    id: g.id,
    kind: g.kind,
    label,
    person: g.person,
    severity: g.severity,
    severityLabel,
    colour: COLOURS[g.severity],
    severityReason: g.severity_reason,
    status: g.status,
    weeks: g.weeks,
    statusLabel: g.status === 'new' ? 'New' : `Recurring · ${pluralize(g.weeks, 'week')}`,
    countLabel: counted,
    breakdown: types.slice(0, TYPES_SHOWN).map((t) => ({ name: t.type, count: t.count })),
    moreTypes: Math.max(0, types.length - TYPES_SHOWN),
    ...(q ? { qualifier: q } : {}),
    when: when(g, zone),
    resources: g.resources.items.slice(0, RESOURCES_SHOWN).map((r) => ({ type: r.type, id: r.id, name: r.name ?? '' })),
    moreResources: Math.max(0, g.resources.total - Math.min(RESOURCES_SHOWN, g.resources.items.length)),
    detail: g.detail ?? '',
    agent: g.agent ?? '',
    link: { url: g.link, text: `${counted}${q ? ` ${q.word} ${q.value}` : ''} by ${g.person} in Datadog` },
    exceptionExpired: expired
      ? `An exception expired on ${expired.expires} (owner ${expired.owner}: ${expired.reason})`
      : '',
  };
}

/** The summary's groups, or for a summary made before groups, its flags grouped. */
function groupsOf(summary: Summary): readonly AnomalyGroup[] {
  return summary.anomaly_groups ?? groupsOfFlags(summary.anomalies, DEFAULT_THRESHOLDS);
}

export function triageView(summary: Summary, zone: string): TriageView {
  const groups = groupsOf(summary);
  const open = groups.filter((g) => g.accepted === undefined);
  const views = open.map((g) => groupView(g, zone));
  const byException = new Map<string, AcceptedView & { groups: number }>();
  for (const g of groups) {
    const a = g.accepted;
    if (!a) continue;
    const key = `${a.owner}\u0000${a.expires}\u0000${a.reason}`;
    const seen = byException.get(key);
    if (seen) seen.groups += 1;
    else byException.set(key, { groups: 1, owner: a.owner, reason: a.reason, expires: a.expires, text: '' });
  }
  const accepted = [...byException.values()].map((a) => ({
    ...a,
    text: `${formatCount(a.groups)} accepted (${a.owner}, until ${a.expires})`,
  }));
  const resolved = (summary.resolved_groups ?? []).map((r) => ({
    label: KIND_LABELS[r.kind] ?? r.kind,
    person: r.person,
    severity: r.severity,
    weeksLabel: r.weeks > 1 ? `flagged ${r.weeks} weeks running` : 'flagged last week',
  }));
  const fresh = open.filter((g) => g.status === 'new').length;
  const recurring = open.length - fresh;
  const parts = [
    ...(fresh > 0 ? [`${formatCount(fresh)} new`] : []),
    ...(recurring > 0 ? [`${formatCount(recurring)} recurring`] : []),
    ...(groups.length > open.length ? [`${formatCount(groups.length - open.length)} accepted`] : []),
  ];
  const flags = summary.anomalies.length;
  const summaryLine =
    groups.length === 0
      ? ''
      : `${pluralize(groups.length, 'group')} from ${pluralize(flags, 'flag')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  return {
    groups: views,
    attention: open.filter((g) => g.severity !== 'low').length,
    accepted,
    acceptedGroups: groups.length - open.length,
    resolved,
    summary: summaryLine,
    comparison: summary.group_history?.previous_week_end == null ? (summary.group_history?.note ?? '') : '',
  };
}
