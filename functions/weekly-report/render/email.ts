/**
 * The weekly email: subject, HTML and text. The HTML is the template compiled at build time
 * (generated/weekly-report-template.ts) with each {{placeholder}} filled once with an HTML
 * fragment built here; every audit-derived string is HTML-escaped and truncated, and every
 * list is capped so a busy week stays well under Gmail's ~102 KB clipping limit.
 */

import type { AnomalyFlag, Severity, Summary } from '../core/types';
import { boundedUrl, clipLine, escapeHtml, escapeWithin, safeUrl, singleLine, truncate } from './escape';
import {
  anomalyTotal,
  computeDelta,
  flagSubject,
  flagTime,
  formatCount,
  formatDateTime,
  formatDayLabel,
  formatShortTime,
  headline,
  KIND_LABELS,
  notEvaluatedWhy,
  partialMark,
  pluralize,
  reportDays,
  SEVERITIES,
  severityCounts,
  trendCaption,
  weeklyTrend,
  zoneOf,
} from './format';
import { type WEEKLY_REPORT_PLACEHOLDERS, WEEKLY_REPORT_TEMPLATE } from './generated/weekly-report-template';
import { formatShare } from './percent';
import { formatTextReport, reportTitle } from './text-report';
import { usageView } from './usage-view';

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** How many items of each list the email shows before "and N more". */
export const EMAIL_LIMITS = {
  topUsers: 10,
  breakdown: 8,
  anomalies: 25,
  changes: 5,
  warnings: 10,
  days: 62,
  /** Longest audit-derived value shown, in code points. */
  value: 64,
  detail: 160,
  /** Values inside an anomaly card, where 25 cards must fit the budget. */
  anomalyValue: 48,
  warning: 300,
  /** Longest deep link kept; longer ones fall back to the window's link. */
  link: 600,
} as const;

/** Text colours each read at 4.5:1 or more on the backgrounds they are used on (test/unit/render/contrast.test.ts). */
const COLORS = {
  text: '#1f2937',
  /** Secondary text: 5.1:1 even on the footer's grey. */
  muted: '#5f6775',
  rule: '#eef0f3',
  bar: '#7c95e0',
  barPeak: '#2f5bd3',
  track: '#eef1f8',
  link: '#2f5bd3',
} as const;

const SEVERITY_STYLE: Readonly<Record<Severity, { fg: string; bg: string; border: string; label: string }>> = {
  high: { fg: '#b42318', bg: '#fef3f2', border: '#d92d20', label: 'High' },
  medium: { fg: '#b54708', bg: '#fffaeb', border: '#f79009', label: 'Medium' },
  low: { fg: '#175cd3', bg: '#eff8ff', border: '#2e90fa', label: 'Low' },
};

/** A table that lets long unbroken values wrap instead of widening the email. */
const TABLE = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';
const TABLE_STYLE = 'width:100%;table-layout:fixed;border-collapse:collapse;';
const WRAP = 'word-break:break-word;overflow-wrap:anywhere;';

/**
 * Escaped, truncated audit value: at most `max` code points shown, and at most `max + 40`
 * escaped characters, so values made of `&` or `"` cannot blow the size budget. A long address
 * or id may break after `@`, `.`, `-` or `_` (a `<wbr>` there) rather than mid-word.
 */
function value(raw: string, max: number = EMAIL_LIMITS.value): string {
  return breakable(escapeWithin(clipLine(raw, max), max + 40, escapeHtml));
}

/** Fewest characters between two `<wbr>`: closer break points do not help a line and only add bytes. */
const WBR_SPACING = 8;

/**
 * A `<wbr>` after an `@`, `.`, `-` or `_` that is followed by a letter or digit, in text that is
 * already escaped (an entity counts as one character and is never split); at most one every
 * eight characters, so a value made of dots cannot multiply its size. Short values need none.
 */
export function breakable(escaped: string): string {
  if (escaped.length < 16 || !BREAK_POINT.test(escaped)) return escaped;
  let entityExtra = 0;
  let lastBreak = 0;
  return escaped.replace(BREAK_OR_ENTITY, (match: string, offset: number) => {
    if (match.length > 1) {
      entityExtra += match.length - 1;
      return match;
    }
    const position = offset - entityExtra + 1;
    if (position - lastBreak < WBR_SPACING) return match;
    lastBreak = position;
    return `${match}<wbr>`;
  });
}

/** A break character followed by a letter or digit. */
const BREAK_POINT = /[@._-][\p{L}\p{N}]/u;
/** An entity (one character as shown) or a break character followed by a letter or digit. */
const BREAK_OR_ENTITY = /&[#\w]+;|[@._-](?=[\p{L}\p{N}])/gu;

function windowLink(summary: Summary): string {
  return boundedUrl(summary.link, '', EMAIL_LIMITS.link);
}

function link(url: string, label: string): string {
  return `<a href="${escapeHtml(safeUrl(url))}" style="color:${COLORS.link};text-decoration:none;font-weight:600;white-space:nowrap;">${escapeHtml(label)}</a>`;
}

/** A horizontal bar as a table cell (no images, so Outlook and Gmail draw it); lean, as lists repeat it. */
function bar(fraction: number, color: string, height: number): string {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 1000) / 10));
  const cell = `height="${height}" style="height:${height}px;font-size:0;line-height:0;`;
  const fill = pct > 0 ? `<td width="${pct}%" bgcolor="${color}" ${cell}border-radius:2px;">&nbsp;</td>` : '';
  const rest = pct < 100 ? `<td ${cell}">&nbsp;</td>` : '';
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="table-layout:fixed;">${`<tr>${fill}${rest}</tr>`}</table>`;
}

/**
 * The week-over-week line under a headline figure: the change, then what it is measured against,
 * one phrase over two short lines. The arrow stays with its number; the line may wrap between the
 * percentage and the count, so a narrow column never overflows into its neighbour.
 */
function deltaHtml(current: number, previous: number | undefined): string {
  if (previous === undefined) return '&nbsp;';
  const delta = computeDelta(current, previous);
  return `${escapeHtml(delta.change).replace(/^([▲▼]) /, '$1&nbsp;')}<br>${escapeHtml(delta.against)}`;
}

/**
 * A headline figure, its type scaled down when it has many digits: three columns share a 375 px
 * phone screen, and `9,999,999` at full size would not fit its column (em, so the desktop and
 * phone sizes of the template both scale).
 */
function kpiNumber(count: number, color?: string): string {
  const text = formatCount(count);
  const scale = text.length <= 7 ? 1 : text.length <= 9 ? 0.78 : text.length <= 11 ? 0.64 : 0.52;
  const style = [scale < 1 ? `font-size:${scale}em;` : '', color ? `color:${color};` : ''].join('');
  return style ? `<span style="${style}">${text}</span>` : text;
}

function partialBanner(summary: Summary): string {
  const warnings = summary.warnings.slice(0, EMAIL_LIMITS.warnings);
  const more = summary.warnings.length - warnings.length;
  const items = warnings.map((w) => `<li style="margin:2px 0;${WRAP}">${value(w, EMAIL_LIMITS.warning)}</li>`).join('');
  const list = items
    ? `<ul style="margin:6px 0 0;padding:0 0 0 18px;">${items}${more > 0 ? `<li style="margin:2px 0;">and ${formatCount(more)} more</li>` : ''}</ul>`
    : '';
  if (!summary.complete) {
    return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#fff4e5;border-left:4px solid #f59e0b;padding:12px 20px;color:#7a4a00;font-size:14px;line-height:20px;${WRAP}"><strong>Partial data.</strong> Some audit events could not be read, so the numbers below are a lower bound.${list}</td></tr></table>`;
  }
  if (summary.warnings.length === 0) return '';
  return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#f4f6fa;border-left:4px solid #9aa7c2;padding:10px 20px;color:#374151;font-size:13px;line-height:19px;${WRAP}"><strong>Note.</strong>${list}</td></tr></table>`;
}

function dailyChart(summary: Summary): string {
  const days = summary.daily_calls.slice(-EMAIL_LIMITS.days);
  if (days.length === 0) return `<p style="margin:0;color:${COLORS.muted};">No calls in this window.</p>`;
  const max = Math.max(0, ...days.map((d) => d.calls));
  const rows = days
    .map((d) => {
      const peak = max > 0 && d.calls === max;
      return `<tr><td width="84" style="width:84px;padding:3px 8px 3px 0;color:${COLORS.muted};font-size:13px;white-space:nowrap;">${escapeHtml(formatDayLabel(d.date))}</td><td style="padding:3px 0;vertical-align:middle;">${bar(max > 0 ? d.calls / max : 0, peak ? COLORS.barPeak : COLORS.bar, 14)}</td><td width="64" align="right" style="width:64px;padding:3px 0 3px 8px;font-size:13px;font-weight:${peak ? 700 : 400};white-space:nowrap;">${formatCount(d.calls)}</td></tr>`;
    })
    .join('');
  return `<table ${TABLE} style="${TABLE_STYLE}">${rows}</table>`;
}

/**
 * The weekly trend as a compact column chart of table cells (no images, so every client draws it):
 * one column per week, oldest first, this week darker, a partial week in amber, a week without an
 * archived report as an empty slot with a dotted baseline. Empty when there is no trend.
 */
function trendChart(summary: Summary): string {
  const points = weeklyTrend(summary);
  if (points.length === 0) return '';
  const complete = new Map((summary.trend ?? []).map((p) => [p.week_end, p.complete]));
  const max = Math.max(1, ...points.map((p) => p.calls ?? 0));
  const height = 44;
  const cells = points
    .map((p, i) => {
      const last = i === points.length - 1;
      if (p.calls === null) {
        return `<td style="padding:0 2px;vertical-align:bottom;"><div style="height:0;border-bottom:2px dotted #c4c9d2;font-size:0;line-height:0;">&nbsp;</div></td>`;
      }
      const h = Math.max(2, Math.round((p.calls / max) * height));
      const color = complete.get(p.weekEnd) === false ? '#f0a830' : last ? COLORS.barPeak : COLORS.bar;
      return `<td style="padding:0 2px;vertical-align:bottom;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td height="${h}" bgcolor="${color}" style="height:${h}px;font-size:0;line-height:0;border-radius:2px 2px 0 0;">&nbsp;</td></tr></table></td>`;
    })
    .join('');
  const first = points[0];
  const last = points[points.length - 1];
  const label = (iso: string | undefined) =>
    iso
      ? escapeHtml(
          formatShortTime(new Date(Date.parse(iso) - 1).toISOString(), zoneOf(summary))
            .split(' ')
            .slice(0, 3)
            .join(' '),
        )
      : '';
  return `<p style="margin:16px 0 6px;font-size:13px;color:${COLORS.muted};"><strong style="color:${COLORS.text};">Weekly calls</strong> · ${escapeHtml(trendCaption(points))}</p><table ${TABLE} style="${TABLE_STYLE}"><tr style="height:${height}px;">${cells}</tr></table><table ${TABLE} style="${TABLE_STYLE}"><tr><td style="font-size:12px;color:${COLORS.muted};padding-top:2px;">week to ${label(first?.weekEnd)}</td><td align="right" style="font-size:12px;color:${COLORS.muted};padding-top:2px;">week to ${label(last?.weekEnd)}</td></tr></table>`;
}

/** Rows of name, count and a thin share bar; `total` is what the shares are of. */
function rankedList(
  items: ReadonlyArray<{ readonly name: string; readonly count: number }>,
  limit: number,
  total: number,
  what: readonly [singular: string, plural: string],
): string {
  if (items.length === 0) return `<p style="margin:0;color:${COLORS.muted};">None this week.</p>`;
  const shown = items.slice(0, limit);
  const max = Math.max(1, ...shown.map((i) => i.count));
  const rows = shown
    .map((item) => {
      const share =
        total > 0
          ? ` <span style="color:${COLORS.muted};font-weight:400;">${escapeHtml(formatShare(item.count, total))}</span>`
          : '';
      return `<tr><td style="padding:6px 8px 2px 0;font-size:14px;${WRAP}">${value(item.name)}</td><td width="92" align="right" style="width:92px;padding:6px 0 2px;font-size:14px;font-weight:600;white-space:nowrap;">${formatCount(item.count)}${share}</td></tr><tr><td colspan="2" style="padding:0 0 4px;">${bar(item.count / max, COLORS.bar, 4)}</td></tr>`;
    })
    .join('');
  const rest = items.slice(limit);
  const more =
    rest.length > 0
      ? `<tr><td colspan="2" style="padding:6px 0 0;color:${COLORS.muted};font-size:13px;">and ${pluralize(rest.length, `more ${what[0]}`, `more ${what[1]}`)} (${formatCount(rest.reduce((a, i) => a + i.count, 0))} calls)</td></tr>`
      : '';
  return `<table ${TABLE} style="${TABLE_STYLE}">${rows}${more}</table>`;
}

function severityPill(severity: Severity, count: number): string {
  const s = SEVERITY_STYLE[severity];
  return `<span style="display:inline-block;background-color:${s.bg};color:${s.fg};border:1px solid ${s.border};border-radius:10px;padding:1px 9px;font-size:12px;line-height:18px;font-weight:700;">${s.label} · ${formatCount(count)}</span>`;
}

function anomalyItem(flag: AnomalyFlag, zone: string, fallbackLink: string): string {
  const s = SEVERITY_STYLE[flag.severity] ?? SEVERITY_STYLE.medium;
  const label = KIND_LABELS[flag.kind] ?? flag.kind;
  const count = flag.count > 1 ? `${formatCount(flag.count)} calls` : '';
  const what = flagSubject(flag).map((v) => value(v));
  const detail = flag.detail ? `${value(flag.detail, EMAIL_LIMITS.detail)} · ` : '';
  // One cell per flag (no nested table): a busy week lists 25 of them within the size budget.
  return `<tr><td style="border-left:3px solid ${s.border};background-color:#fafbfc;padding:7px 12px;font-size:13px;line-height:19px;${WRAP}"><b style="font-size:14px;">${escapeHtml(label)}</b><span style="color:${COLORS.muted};">${[
    flagTime(flag, zone),
    count,
  ]
    .filter((p) => p !== '')
    .map((p) => ` · ${escapeHtml(p)}`)
    .join(
      '',
    )}</span><br>${what.join(' · ')}<br><span style="color:${COLORS.muted};">${detail}</span>${link(boundedUrl(flag.link, fallbackLink, EMAIL_LIMITS.link), 'View in Datadog →')}</td></tr><tr><td height="8" style="height:8px;font-size:0;line-height:0;">&nbsp;</td></tr>`;
}

function anomaliesSection(summary: Summary): string {
  const zone = zoneOf(summary);
  const total = anomalyTotal(summary);
  const counts = summary.anomaly_counts;
  const kinds = Object.keys(KIND_LABELS) as Array<keyof typeof KIND_LABELS>;
  const flagged = kinds.filter((k) => (counts[k] ?? 0) > 0);
  const unevaluated = kinds.filter((k) => counts[k] === null);
  const clear = kinds.filter((k) => counts[k] === 0);
  const kindRows = [
    ...flagged.map(
      (k) =>
        `<tr><td style="padding:2px 0;font-size:13px;">${escapeHtml(KIND_LABELS[k])}</td><td align="right" style="padding:2px 0;font-size:13px;font-weight:700;">${formatCount(counts[k] ?? 0)}</td></tr>`,
    ),
    ...unevaluated.map(
      (k) =>
        `<tr><td style="padding:2px 0;font-size:13px;color:${COLORS.muted};">${escapeHtml(KIND_LABELS[k])}</td><td align="right" style="padding:2px 0;font-size:13px;color:${COLORS.muted};">not evaluated (${escapeHtml(notEvaluatedWhy(summary, k))})</td></tr>`,
    ),
  ].join('');
  const clearLine =
    clear.length > 0
      ? `<tr><td colspan="2" style="padding:2px 0;font-size:13px;color:${COLORS.muted};">None flagged: ${escapeHtml(clear.map((k) => KIND_LABELS[k].toLowerCase()).join(', '))}</td></tr>`
      : '';
  const kindTable = `<table ${TABLE} style="${TABLE_STYLE}margin:0 0 12px;">${kindRows}${clearLine}</table>`;
  if (total === 0) {
    const none = `<p style="margin:0 0 8px;color:#067647;font-weight:600;">✓ No anomalies flagged this week.</p>`;
    return unevaluated.length > 0 ? `${none}${kindTable}` : none;
  }
  const fallback = windowLink(summary);
  const shown = summary.anomalies.slice(0, EMAIL_LIMITS.anomalies);
  const bySeverity = severityCounts(summary);
  const groups = SEVERITIES.map((severity) => {
    const items = shown.filter((f) => f.severity === severity);
    if (items.length === 0) return '';
    return `<table ${TABLE} style="${TABLE_STYLE}margin:4px 0 0;"><tr><td style="padding:4px 0 8px;">${severityPill(severity, bySeverity[severity])}</td></tr>${items.map((f) => anomalyItem(f, zone, fallback)).join('')}</table>`;
  }).join('');
  const rest = total - shown.length;
  if (rest <= 0) return `${kindTable}${groups}`;
  const restBySeverity = SEVERITIES.map(
    (s) => [s, bySeverity[s] - shown.filter((f) => f.severity === s).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${formatCount(n)} ${s}`)
    .join(', ');
  const more = `<p style="margin:4px 0 0;font-size:14px;">and ${pluralize(rest, 'more anomaly', 'more anomalies')}${restBySeverity ? ` (${restBySeverity})` : ''} · ${link(fallback, 'Open all in Datadog →')}</p>`;
  return `${kindTable}${groups}${more}`;
}

/** `▲ +9% (+50)` under its muted style, or nothing when the previous window is not known. */
function smallDelta(current: number, previous: number | null): string {
  if (previous === null) return '';
  return escapeHtml(computeDelta(current, previous).change).replace(/^([▲▼]) /, '$1&nbsp;');
}

/** A heading inside a fragment, looking like the template's section headings. */
function heading(text: string, top = 0): string {
  return `<p style="margin:${top}px 0 8px;font-size:16px;line-height:22px;font-weight:700;">${text}</p>`;
}

/**
 * The MCP tools (the top ones, with calls, share and change) and the AI clients (calls, people),
 * from the usage metric; or why they are not shown. One fragment with its own headings, rows
 * without bars and short styles: it costs a few KB even under 5000 anomalies.
 */
function usageSection(summary: Summary): string {
  const view = usageView(summary);
  const metricLink = boundedUrl(view.link, '', EMAIL_LIMITS.link);
  const note = (text: string): string => `<p style="margin:0;color:${COLORS.muted};${WRAP}">${text}</p>`;
  if (view.unavailable !== undefined) {
    return `${heading('Tools and AI clients')}${note(value(view.unavailable, EMAIL_LIMITS.warning))}`;
  }
  const more = (html: string): string => `<p style="margin:8px 0 0;font-size:13px;color:${COLORS.muted};">${html}</p>`;
  // Long names wrap by the table's inherited word-break, set once rather than on every cell.
  const row = (name: string, figures: string, small: string): string =>
    `<tr><td style="padding:4px 8px 4px 0;">${value(name, EMAIL_LIMITS.anomalyValue)}</td><td width="120" align="right" style="padding:4px 0;white-space:nowrap;">${figures}<span style="color:${COLORS.muted};font-size:12px;">${small}</span></td></tr>`;
  const table = (rows: string): string =>
    `<table ${TABLE} style="${TABLE_STYLE}${WRAP}font-size:14px;">${rows}</table>`;

  const toolRows = view.tools
    .map((t) => {
      const delta = smallDelta(t.calls, t.previous);
      return row(t.name, `<b>${formatCount(t.calls)}</b>`, ` ${escapeHtml(t.share)}${delta ? `<br>${delta}` : ''}`);
    })
    .join('');
  const tools =
    view.tools.length === 0
      ? note('No MCP tool calls in the metric this week.')
      : `${table(toolRows)}${more(
          view.moreTools > 0
            ? `and ${pluralize(view.moreTools, 'more tool', 'more tools')} (${pluralize(view.moreToolCalls, 'call')}) · ${link(metricLink, 'See all in Datadog →')}`
            : `Counted by the datadog.mcp.tool.usage metric · ${link(metricLink, 'Open in Datadog →')}`,
        )}`;
  const clientRows = view.clients
    .map((c) => row(c.name, `<b>${pluralize(c.calls, 'call')}</b>`, `<br>${pluralize(c.people, 'person', 'people')}`))
    .join('');
  const clients =
    view.clients.length === 0
      ? note('No MCP clients in the metric this week.')
      : `${table(clientRows)}${
          view.moreClients > 0
            ? more(
                `and ${pluralize(view.moreClients, 'more client', 'more clients')} (${pluralize(view.moreClientCalls, 'call')})`,
              )
            : ''
        }`;
  return `${heading('Tools')}${tools}${heading('AI clients', 18)}${clients}`;
}

function changesSection(summary: Summary): string {
  const { total, items } = summary.changes;
  if (total === 0)
    return `<p style="margin:0;color:${COLORS.muted};">No resources were created, modified or deleted.</p>`;
  const zone = zoneOf(summary);
  const shown = items.slice(0, EMAIL_LIMITS.changes);
  const rows = shown
    .map((c) => {
      const name = c.resource_name && c.resource_name !== c.resource_id ? ` “${value(c.resource_name)}”` : '';
      return `<tr><td style="padding:5px 0;border-bottom:1px solid ${COLORS.rule};font-size:13px;line-height:19px;${WRAP}"><strong>${value(c.action)}</strong> ${value(c.resource_type)}${name} <span style="color:${COLORS.muted};">${value(c.resource_id)}</span><br><span style="color:${COLORS.muted};">${value(c.user)} · ${escapeHtml(formatShortTime(c.timestamp, zone))}</span></td></tr>`;
    })
    .join('');
  const rest = total - shown.length;
  const more =
    rest > 0
      ? `<p style="margin:8px 0 0;font-size:14px;">and ${formatCount(rest)} more · ${link(windowLink(summary), 'See all in Datadog →')}</p>`
      : '';
  return `<p style="margin:0 0 6px;">${pluralize(total, 'call', 'calls')} created, modified or deleted a resource this week. Newest first:</p><table ${TABLE} style="${TABLE_STYLE}">${rows}</table>${more}`;
}

function footer(summary: Summary): string {
  const zone = zoneOf(summary);
  const from = formatDateTime(Date.parse(summary.window.from), zone);
  const to = formatDateTime(Date.parse(summary.window.to), zone);
  const lines = [`Window ${escapeHtml(from)} to ${escapeHtml(to)} (end exclusive), timezone ${escapeHtml(zone)}.`];
  if (summary.baseline) {
    lines.push(
      `Baseline ${escapeHtml(formatDateTime(Date.parse(summary.baseline.from), zone).slice(0, 10))} to ${escapeHtml(formatDateTime(Date.parse(summary.baseline.to) - 1, zone).slice(0, 10))}: ${pluralize(summary.baseline.events, 'call')}.`,
    );
  } else {
    lines.push('No baseline: rules that compare with past weeks were not evaluated.');
  }
  if (summary.malformed_events > 0) {
    lines.push(`${pluralize(summary.malformed_events, 'malformed event')} counted as (unknown).`);
  }
  lines.push('Sent by AI Activity Audit from Datadog Audit Trail.');
  return lines.join('<br>');
}

/** Fills each {{name}} of the template exactly once; values are never scanned for placeholders. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (match, name: string) => {
    const fragment = values[name];
    if (fragment === undefined) throw new Error(`email template placeholder ${match} has no value`);
    return fragment;
  });
}

/** `AI Activity Audit — {org} — {from} to {to}[ [partial]][ — N anomalies]`, plain text on one line. */
export function emailSubject(summary: Summary): string {
  const { from, to } = reportDays(summary);
  const total = anomalyTotal(summary);
  const anomalies = total > 0 ? ` — ${pluralize(total, 'anomaly', 'anomalies')}` : '';
  const org = truncate(singleLine(reportTitle(summary)).trim(), 140);
  return `AI Activity Audit — ${org} — ${from} to ${to}${partialMark(summary)}${anomalies}`;
}

/** Renders the email: subject, HTML (from the precompiled template) and the text part. */
export function renderEmail(summary: Summary): RenderedEmail {
  return { subject: emailSubject(summary), html: renderEmailHtml(summary), text: formatTextReport(summary) };
}

/** The email's HTML alone: the precompiled template with every placeholder filled. */
export function renderEmailHtml(summary: Summary): string {
  const subject = emailSubject(summary);
  const { from, to } = reportDays(summary);
  const total = anomalyTotal(summary);
  const bySeverity = severityCounts(summary);
  const breakdown =
    total === 0
      ? 'none flagged'
      : SEVERITIES.filter((s) => bySeverity[s] > 0)
          .map(
            (s) =>
              `<span style="color:${SEVERITY_STYLE[s].fg};white-space:nowrap;">${formatCount(bySeverity[s])} ${s}</span>`,
          )
          .join('<br>');
  const anomalyColor = bySeverity.high > 0 ? SEVERITY_STYLE.high.fg : COLORS.text;

  const values: Record<(typeof WEEKLY_REPORT_PLACEHOLDERS)[number], string> = {
    title: escapeHtml(subject),
    preview: escapeHtml(`${summary.complete ? '' : 'Partial data: '}${headline(summary)}`),
    org: value(reportTitle(summary), 140),
    date_range: `${escapeHtml(from)} to ${escapeHtml(to)}`,
    partial_banner: partialBanner(summary),
    total_calls: kpiNumber(summary.total_tool_calls),
    total_calls_delta: deltaHtml(summary.total_tool_calls, summary.previous_window?.total_tool_calls),
    unique_users: kpiNumber(summary.unique_users),
    unique_users_delta: deltaHtml(summary.unique_users, summary.previous_window?.unique_users),
    anomalies_total: kpiNumber(total, anomalyColor),
    anomalies_breakdown: breakdown,
    daily_chart: dailyChart(summary),
    trend_chart: trendChart(summary),
    top_users: rankedList(
      summary.top_users.map((u) => ({ name: u.user, count: u.calls })),
      EMAIL_LIMITS.topUsers,
      summary.total_tool_calls,
      ['person', 'people'],
    ),
    actions: rankedList(
      summary.actions_breakdown.map((a) => ({ name: a.action, count: a.count })),
      EMAIL_LIMITS.breakdown,
      summary.total_tool_calls,
      ['action', 'actions'],
    ),
    resource_types: rankedList(
      summary.resource_types.map((r) => ({ name: r.type, count: r.count })),
      EMAIL_LIMITS.breakdown,
      summary.total_tool_calls,
      ['type', 'types'],
    ),
    anomalies: anomaliesSection(summary),
    usage: usageSection(summary),
    changes: changesSection(summary),
    datadog_link: escapeHtml(safeUrl(windowLink(summary))),
    footer: footer(summary),
  };
  return fillTemplate(WEEKLY_REPORT_TEMPLATE, values);
}
