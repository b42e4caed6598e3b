/**
 * Builds the report's view (types.ts) from a summary, once per report: every figure, date, label,
 * sentence and link the renderers show, worked out here and nowhere else. Pure: no I/O, no clock.
 * Per-item times are formatted when a medium first reads them, since a busy week has thousands
 * of flags and a medium shows a few dozen.
 */

import type { AnomalyKind, Severity, Summary } from '../../core/types';
import { aiActivityView } from './ai';
import {
  anomalyTotal,
  computeDelta,
  formatCount,
  formatDateTime,
  formatDayBefore,
  formatDayLabel,
  headline,
  KIND_LABELS,
  notEvaluatedWhy,
  pluralize,
  reportDateRange,
  reportTitle,
  SEVERITIES,
  severityCounts,
  sparkline,
  sparklineWithGaps,
  trendCaption,
  zoneOf,
} from './format';
import { triageView } from './groups';
import { ChangeView, FlagView } from './items';
import { formatShare } from './percent';
import type {
  AnomaliesView,
  Colour,
  DailyView,
  DayView,
  Figure,
  KindView,
  NoticeView,
  RankedList,
  ReportView,
  TrendView,
  WindowView,
} from './types';
import { usageLinks, usageView } from './usage';

/** Days the daily sparkline covers: a long window is cut to its last 60, to stay on a line or two. */
export const SPARKLINE_DAYS = 60;

const COLOURS: Readonly<Record<Severity, Colour>> = { high: 'red', medium: 'orange', low: 'blue' };

export function buildReportView(summary: Summary): ReportView {
  const window = windowView(summary);
  const total = anomalyTotal(summary);
  const previous = summary.previous_window;
  const notice = noticeView(summary);
  const trend = trendView(summary, window.zone);
  const ai = summary.ai_activity ? aiActivityView(summary.ai_activity) : undefined;
  return {
    title: 'AI Activity Audit',
    subtitle: reportTitle(summary),
    gist: headline(summary),
    window,
    complete: summary.complete,
    partialMark: summary.complete ? '' : ' [partial]',
    ...(notice ? { notice } : {}),
    figures: {
      calls: figure('Tool calls', summary.total_tool_calls, previous?.total_tool_calls),
      people: figure('People', summary.unique_users, previous?.unique_users),
      anomalies: figure('Anomalies', total),
      changes: figure('Resources changed', summary.changes.total),
    },
    daily: dailyView(summary),
    ...(trend ? { trend } : {}),
    topUsers: rankedList(
      summary,
      summary.top_users.map((u) => [u.user, u.calls]),
      'person',
      'people',
    ),
    actions: rankedList(
      summary,
      summary.actions_breakdown.map((a) => [a.action, a.count]),
      'action',
      'actions',
    ),
    resourceTypes: rankedList(
      summary,
      summary.resource_types.map((r) => [r.type, r.count]),
      'type',
      'types',
    ),
    anomalies: anomaliesView(summary, window.zone, total),
    triage: triageView(summary, window.zone),
    usage: usageView(summary),
    changes: {
      total: summary.changes.total,
      formatted: formatCount(summary.changes.total),
      items: summary.changes.items.map((c) => new ChangeView(c, window.zone)),
      empty: 'No resources were created, modified or deleted.',
    },
    ...(ai ? { ai } : {}),
    caveats: caveats(summary, window.zone),
    links: { auditTrail: { url: summary.link, text: 'Open in Datadog Audit Trail' }, ...usageLinks(summary) },
  };
}

/** What a list cut after `shown` items leaves out: how many, and their calls. */
export function leftAfter(
  items: ReadonlyArray<{ readonly count: number }>,
  shown: number,
): { readonly count: number; readonly calls: number } {
  const rest = items.slice(shown);
  return { count: rest.length, calls: rest.reduce((sum, i) => sum + i.count, 0) };
}

function windowView(summary: Summary): WindowView {
  const zone = zoneOf(summary);
  const { from, to } = reportDateRange({ window: summary.window, timezone: zone });
  return {
    firstDay: from,
    lastDay: to,
    days: `${from} to ${to}`,
    zone,
    from: formatDateTime(Date.parse(summary.window.from), zone),
    to: formatDateTime(Date.parse(summary.window.to), zone),
    iso: { from: summary.window.from, to: summary.window.to },
  };
}

function noticeView(summary: Summary): NoticeView | undefined {
  const reasons = summary.warnings;
  if (!summary.complete) {
    const text = 'Some audit events could not be read, so the numbers below are a lower bound.';
    return { level: 'partial', title: 'Partial data', text, reasons };
  }
  return reasons.length > 0 ? { level: 'note', title: 'Note', text: '', reasons } : undefined;
}

function figure(label: string, value: number, previous?: number): Figure {
  const formatted = formatCount(value);
  return previous === undefined
    ? { label, value, formatted }
    : { label, value, formatted, delta: computeDelta(value, previous) };
}

function dailyView(summary: Summary): DailyView {
  const days: DayView[] = summary.daily_calls.map((d) => ({
    date: d.date,
    label: formatDayLabel(d.date),
    calls: d.calls,
    formatted: formatCount(d.calls),
  }));
  const peak = days.reduce<DayView | undefined>(
    (best, d) => (best === undefined || d.calls > best.calls ? d : best),
    undefined,
  );
  return {
    days,
    sparkline: sparkline(days.slice(-SPARKLINE_DAYS).map((d) => d.calls)),
    ...(peak ? { peak } : {}),
    empty: 'No calls in this window.',
  };
}

function trendView(summary: Summary, zone: string): TrendView | undefined {
  const points = summary.trend ?? [];
  if (points.length < 2) return undefined;
  const weeks = points.map((p) => ({
    weekEnd: p.week_end,
    label: formatDayBefore(Date.parse(p.week_end), zone),
    calls: p.calls,
    complete: p.complete,
    aiTotal: p.ai_activity?.total ?? null,
    autonomous: p.ai_activity?.autonomous ?? null,
  }));
  return {
    weeks,
    hasAi: weeks.some((w) => w.aiTotal !== null),
    caption: trendCaption(weeks),
    sparkline: sparklineWithGaps(weeks.map((w) => w.calls)),
  };
}

/** A ranked list with each item's share of all calls (none when there were no calls). */
function rankedList(
  summary: Summary,
  items: ReadonlyArray<readonly [name: string, count: number]>,
  one: string,
  many: string,
): RankedList {
  const total = summary.total_tool_calls;
  return {
    items: items.map(([name, count]) => ({
      name,
      count,
      formatted: formatCount(count),
      share: total > 0 ? formatShare(count, total) : '',
    })),
    noun: { one, many },
  };
}

function anomaliesView(summary: Summary, zone: string, total: number): AnomaliesView {
  const counts: Partial<Record<AnomalyKind, number | null>> = summary.anomaly_counts;
  const bySeverity = severityCounts(summary);
  // Every rule the summary counts: a report of the seed's MCP tool calls alone has no autonomous_change.
  const present = (Object.keys(KIND_LABELS) as AnomalyKind[]).filter((kind) => counts[kind] !== undefined);
  const kinds: KindView[] = present.map((kind) => {
    const count = counts[kind] ?? null;
    const label = KIND_LABELS[kind];
    const formatted = formatCount(count ?? 0);
    return count === null
      ? { kind, label, count, formatted, notEvaluated: notEvaluatedWhy(summary, kind) }
      : { kind, label, count, formatted };
  });
  // Rules not evaluated, by why: 3 for `no baseline`, 1 for `no usage metric`.
  const why = new Map<string, number>();
  for (const k of kinds) if (k.notEvaluated !== undefined) why.set(k.notEvaluated, (why.get(k.notEvaluated) ?? 0) + 1);
  return {
    total,
    formatted: formatCount(total),
    severities: SEVERITIES.map((severity) => ({
      severity,
      label: `${severity[0]?.toUpperCase()}${severity.slice(1)}`,
      colour: COLOURS[severity],
      count: bySeverity[severity],
      formatted: formatCount(bySeverity[severity]),
    })),
    kinds,
    unevaluated: [...why].map(([reason, rules]) => ({ reason, rules })),
    flags: summary.anomalies.map((f) => new FlagView(f, zone)),
    empty: 'No anomalies flagged this week.',
  };
}

function caveats(summary: Summary, zone: string): string[] {
  const day = (epochMs: number): string => formatDateTime(epochMs, zone).slice(0, 10);
  const baseline = summary.baseline;
  return [
    baseline
      ? `Baseline ${day(Date.parse(baseline.from))} to ${day(Date.parse(baseline.to) - 1)}: ${pluralize(baseline.events, 'call')}.`
      : 'No baseline: rules that compare with past weeks were not evaluated.',
    ...(summary.malformed_events > 0
      ? [`${pluralize(summary.malformed_events, 'malformed event')} counted as (unknown).`]
      : []),
  ];
}
