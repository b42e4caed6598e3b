/**
 * The email's sections as HTML fragments, one for each {{placeholder}} of the template that holds
 * more than a word: the partial-data banner, the daily and weekly charts, the ranked lists, the
 * anomalies, the tools and clients, the changes and the footer. Each reads the report's view
 * (render/view/); every audit value passes `value` (escaped and cut) and every list is capped,
 * so a busy week stays well under Gmail's ~102 KB clipping limit.
 */

import {
  arrowed,
  bar,
  COLORS,
  EMAIL_LIMITS,
  heading,
  link,
  SEVERITY_STYLE,
  TABLE,
  TABLE_STYLE,
  value,
  WRAP,
} from './email-markup';
import { boundedUrl, escapeHtml } from './escape';
import {
  AGENTS_SHOWN,
  type DailyView,
  type Figure,
  type FlagView,
  formatCount,
  leftAfter,
  pluralize,
  type RankedList,
  type ReportView,
  type SeverityView,
  type TrendView,
} from './view';

/** The window's Audit Trail link, unless it is too long for the email. */
export function windowLink(view: ReportView): string {
  return boundedUrl(view.links.auditTrail.url, '', EMAIL_LIMITS.link);
}

export function partialBanner({ notice }: ReportView): string {
  if (!notice) return '';
  const warnings = notice.reasons.slice(0, EMAIL_LIMITS.warnings);
  const more = notice.reasons.length - warnings.length;
  const items = warnings.map((w) => `<li style="margin:2px 0;${WRAP}">${value(w, EMAIL_LIMITS.warning)}</li>`).join('');
  const list = items
    ? `<ul style="margin:6px 0 0;padding:0 0 0 18px;">${items}${more > 0 ? `<li style="margin:2px 0;">and ${formatCount(more)} more</li>` : ''}</ul>`
    : '';
  const title = `<strong>${escapeHtml(notice.title)}.</strong>`;
  if (notice.level === 'partial') {
    return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#fff4e5;border-left:4px solid #f59e0b;padding:12px 20px;color:#7a4a00;font-size:14px;line-height:20px;${WRAP}">${title} ${escapeHtml(notice.text)}${list}</td></tr></table>`;
  }
  return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#f4f6fa;border-left:4px solid #9aa7c2;padding:10px 20px;color:#374151;font-size:13px;line-height:19px;${WRAP}">${title}${list}</td></tr></table>`;
}

export function dailyChart(daily: DailyView): string {
  const days = daily.days.slice(-EMAIL_LIMITS.days);
  if (days.length === 0) return `<p style="margin:0;color:${COLORS.muted};">${escapeHtml(daily.empty)}</p>`;
  const max = Math.max(0, ...days.map((d) => d.calls));
  const rows = days
    .map((d) => {
      const peak = max > 0 && d.calls === max;
      return `<tr><td width="84" style="width:84px;padding:3px 8px 3px 0;color:${COLORS.muted};font-size:13px;white-space:nowrap;">${escapeHtml(d.label)}</td><td style="padding:3px 0;vertical-align:middle;">${bar(max > 0 ? d.calls / max : 0, peak ? COLORS.barPeak : COLORS.bar, 14)}</td><td width="64" align="right" style="width:64px;padding:3px 0 3px 8px;font-size:13px;font-weight:${peak ? 700 : 400};white-space:nowrap;">${d.formatted}</td></tr>`;
    })
    .join('');
  return `<table ${TABLE} style="${TABLE_STYLE}">${rows}</table>`;
}

/**
 * The weekly trend as a compact column chart of table cells (no images, so every client draws it):
 * one column per week, oldest first, this week darker, a partial week in amber, a week without an
 * archived report as an empty slot with a dotted baseline. Empty when there is no trend.
 */
export function trendChart(trend: TrendView | undefined): string {
  if (!trend) return '';
  const weeks = trend.weeks;
  const max = Math.max(1, ...weeks.map((w) => w.calls ?? 0));
  const height = 44;
  const cells = weeks
    .map((w, i) => {
      const last = i === weeks.length - 1;
      if (w.calls === null) {
        return `<td style="padding:0 2px;vertical-align:bottom;"><div style="height:0;border-bottom:2px dotted #c4c9d2;font-size:0;line-height:0;">&nbsp;</div></td>`;
      }
      const h = Math.max(2, Math.round((w.calls / max) * height));
      const color = w.complete === false ? '#f0a830' : last ? COLORS.barPeak : COLORS.bar;
      return `<td style="padding:0 2px;vertical-align:bottom;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td height="${h}" bgcolor="${color}" style="height:${h}px;font-size:0;line-height:0;border-radius:2px 2px 0 0;">&nbsp;</td></tr></table></td>`;
    })
    .join('');
  const label = (i: number): string => escapeHtml(weeks[i]?.label ?? '');
  return `<p style="margin:16px 0 6px;font-size:13px;color:${COLORS.muted};"><strong style="color:${COLORS.text};">Weekly calls</strong> · ${escapeHtml(trend.caption)}</p><table ${TABLE} style="${TABLE_STYLE}"><tr style="height:${height}px;">${cells}</tr></table><table ${TABLE} style="${TABLE_STYLE}"><tr><td style="font-size:12px;color:${COLORS.muted};padding-top:2px;">week to ${label(0)}</td><td align="right" style="font-size:12px;color:${COLORS.muted};padding-top:2px;">week to ${label(weeks.length - 1)}</td></tr></table>`;
}

/** Rows of name, count, share and a thin share bar, then what the cut left out. */
export function rankedList(list: RankedList, limit: number): string {
  if (list.items.length === 0) return `<p style="margin:0;color:${COLORS.muted};">None this week.</p>`;
  const shown = list.items.slice(0, limit);
  const max = Math.max(1, ...shown.map((i) => i.count));
  const rows = shown
    .map((item) => {
      const share = item.share
        ? ` <span style="color:${COLORS.muted};font-weight:400;">${escapeHtml(item.share)}</span>`
        : '';
      return `<tr><td style="padding:6px 8px 2px 0;font-size:14px;${WRAP}">${value(item.name)}</td><td width="92" align="right" style="width:92px;padding:6px 0 2px;font-size:14px;font-weight:600;white-space:nowrap;">${item.formatted}${share}</td></tr><tr><td colspan="2" style="padding:0 0 4px;">${bar(item.count / max, COLORS.bar, 4)}</td></tr>`;
    })
    .join('');
  const rest = leftAfter(list.items, limit);
  const { one, many } = list.noun;
  const more =
    rest.count > 0
      ? `<tr><td colspan="2" style="padding:6px 0 0;color:${COLORS.muted};font-size:13px;">and ${pluralize(rest.count, `more ${one}`, `more ${many}`)} (${formatCount(rest.calls)} calls)</td></tr>`
      : '';
  return `<table ${TABLE} style="${TABLE_STYLE}">${rows}${more}</table>`;
}

function severityPill(severity: SeverityView): string {
  const s = SEVERITY_STYLE[severity.colour];
  return `<span style="display:inline-block;background-color:${s.bg};color:${s.fg};border:1px solid ${s.border};border-radius:10px;padding:1px 9px;font-size:12px;line-height:18px;font-weight:700;">${escapeHtml(severity.label)} · ${severity.formatted}</span>`;
}

function anomalyItem(flag: FlagView, severity: SeverityView, fallbackLink: string): string {
  const s = SEVERITY_STYLE[severity.colour];
  const what = flag.subject.map((v) => value(v));
  const detail = flag.detail ? `${value(flag.detail, EMAIL_LIMITS.detail)} · ` : '';
  const when = [flag.time, flag.calls]
    .filter((p) => p !== '')
    .map((p) => ` · ${escapeHtml(p)}`)
    .join('');
  const url = boundedUrl(flag.link.url, fallbackLink, EMAIL_LIMITS.link);
  // One cell per flag (no nested table): a busy week lists 25 of them within the size budget.
  return `<tr><td style="border-left:3px solid ${s.border};background-color:#fafbfc;padding:7px 12px;font-size:13px;line-height:19px;${WRAP}"><b style="font-size:14px;">${escapeHtml(flag.label)}</b><span style="color:${COLORS.muted};">${when}</span><br>${what.join(' · ')}<br><span style="color:${COLORS.muted};">${detail}</span>${link(url, 'View in Datadog →')}</td></tr><tr><td height="8" style="height:8px;font-size:0;line-height:0;">&nbsp;</td></tr>`;
}

export function anomaliesSection(view: ReportView): string {
  const { anomalies } = view;
  const flagged = anomalies.kinds.filter((k) => (k.count ?? 0) > 0);
  const unevaluated = anomalies.kinds.filter((k) => k.count === null);
  const clear = anomalies.kinds.filter((k) => k.count === 0);
  const kindRows = [
    ...flagged.map(
      (k) =>
        `<tr><td style="padding:2px 0;font-size:13px;">${escapeHtml(k.label)}</td><td align="right" style="padding:2px 0;font-size:13px;font-weight:700;">${k.formatted}</td></tr>`,
    ),
    ...unevaluated.map(
      (k) =>
        `<tr><td style="padding:2px 0;font-size:13px;color:${COLORS.muted};">${escapeHtml(k.label)}</td><td align="right" style="padding:2px 0;font-size:13px;color:${COLORS.muted};">not evaluated (${escapeHtml(k.notEvaluated ?? '')})</td></tr>`,
    ),
  ].join('');
  const clearLine =
    clear.length > 0
      ? `<tr><td colspan="2" style="padding:2px 0;font-size:13px;color:${COLORS.muted};">None flagged: ${escapeHtml(clear.map((k) => k.label.toLowerCase()).join(', '))}</td></tr>`
      : '';
  const kindTable = `<table ${TABLE} style="${TABLE_STYLE}margin:0 0 12px;">${kindRows}${clearLine}</table>`;
  if (anomalies.total === 0) {
    const none = `<p style="margin:0 0 8px;color:#067647;font-weight:600;">✓ ${escapeHtml(anomalies.empty)}</p>`;
    return unevaluated.length > 0 ? `${none}${kindTable}` : none;
  }
  const fallback = windowLink(view);
  const shown = anomalies.flags.slice(0, EMAIL_LIMITS.anomalies);
  const groups = anomalies.severities
    .map((severity) => {
      const items = shown.filter((f) => f.severity === severity.severity);
      if (items.length === 0) return '';
      return `<table ${TABLE} style="${TABLE_STYLE}margin:4px 0 0;"><tr><td style="padding:4px 0 8px;">${severityPill(severity)}</td></tr>${items.map((f) => anomalyItem(f, severity, fallback)).join('')}</table>`;
    })
    .join('');
  const rest = anomalies.total - shown.length;
  if (rest <= 0) return `${kindTable}${groups}`;
  const restBySeverity = anomalies.severities
    .map((s) => [s.severity, s.count - shown.filter((f) => f.severity === s.severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${formatCount(n)} ${s}`)
    .join(', ');
  const more = `<p style="margin:4px 0 0;font-size:14px;">and ${pluralize(rest, 'more anomaly', 'more anomalies')}${restBySeverity ? ` (${restBySeverity})` : ''} · ${link(fallback, 'Open all in Datadog →')}</p>`;
  return `${kindTable}${groups}${more}`;
}

/**
 * The MCP tools (the top ones, with calls, share and change) and the AI clients (calls, people),
 * from the usage metric; or why they are not shown. One fragment with its own headings, rows
 * without bars and short styles: it costs a few KB even under 5000 anomalies.
 */
export function usageSection(view: ReportView): string {
  const { usage } = view;
  const metricLink = boundedUrl(view.links.toolsMetric.url, '', EMAIL_LIMITS.link);
  const note = (text: string): string => `<p style="margin:0;color:${COLORS.muted};${WRAP}">${text}</p>`;
  if (usage.unavailable !== undefined) {
    return `${heading('Tools and AI clients')}${note(value(usage.unavailable, EMAIL_LIMITS.warning))}`;
  }
  const more = (html: string): string => `<p style="margin:8px 0 0;font-size:13px;color:${COLORS.muted};">${html}</p>`;
  // Long names wrap by the table's inherited word-break, set once rather than on every cell.
  const row = (name: string, figures: string, small: string): string =>
    `<tr><td style="padding:4px 8px 4px 0;">${value(name, EMAIL_LIMITS.anomalyValue)}</td><td width="120" align="right" style="padding:4px 0;white-space:nowrap;">${figures}<span style="color:${COLORS.muted};font-size:12px;">${small}</span></td></tr>`;
  const table = (rows: string): string =>
    `<table ${TABLE} style="${TABLE_STYLE}${WRAP}font-size:14px;">${rows}</table>`;

  const toolRows = usage.tools
    .map((t) => {
      const delta = t.delta ? arrowed(t.delta.change) : '';
      return row(t.name, `<b>${t.formatted}</b>`, ` ${escapeHtml(t.share)}${delta ? `<br>${delta}` : ''}`);
    })
    .join('');
  const tools =
    usage.tools.length === 0
      ? note('No MCP tool calls in the metric this week.')
      : `${table(toolRows)}${more(
          usage.moreTools > 0
            ? `and ${pluralize(usage.moreTools, 'more tool', 'more tools')} (${pluralize(usage.moreToolCalls, 'call')}) · ${link(metricLink, 'See all in Datadog →')}`
            : `Counted by the ${escapeHtml(usage.metric)} metric · ${link(metricLink, 'Open in Datadog →')}`,
        )}`;
  const clientRows = usage.clients.map((c) => row(c.name, `<b>${c.callsLabel}</b>`, `<br>${c.peopleLabel}`)).join('');
  const clients =
    usage.clients.length === 0
      ? note('No MCP clients in the metric this week.')
      : `${table(clientRows)}${
          usage.moreClients > 0
            ? more(
                `and ${pluralize(usage.moreClients, 'more client', 'more clients')} (${pluralize(usage.moreClientCalls, 'call')})`,
              )
            : ''
        }`;
  return `${heading('Tools')}${tools}${heading('AI clients', 18)}${clients}`;
}

/** `▲ +9% (+50) vs previous week` under a figure of the AI section, or nothing. */
function aiDelta({ delta }: Figure): string {
  return delta
    ? ` <span style="color:${COLORS.muted};font-size:13px;white-space:nowrap;">${arrowed(delta.text)}</span>`
    : '';
}

/**
 * The "AI activity" section (`activity: all`; empty otherwise, so a report of the seed's MCP tool
 * calls alone is the email it always was): the headline, each kind with what it counts and its
 * query, the agents with their interactive/autonomous split and people, or that there were none,
 * and the attribution share. Placed after the anomalies, with a rule of its own above it.
 */
export function aiActivitySection(view: ReportView): string {
  const { ai } = view;
  if (!ai) return '';
  const muted = `color:${COLORS.muted};`;
  const rule = `<table ${TABLE} style="${TABLE_STYLE}margin:18px 0 14px;"><tr><td height="1" bgcolor="#e5e7eb" style="height:1px;font-size:0;line-height:0;">&nbsp;</td></tr></table>`;
  const headline = `<p style="margin:0 0 8px;font-size:14px;"><b>${ai.total.formatted}</b> AI actions${aiDelta(ai.total)}, <b>${ai.autonomous.formatted}</b> autonomous${aiDelta(ai.autonomous)} <span style="${muted}">(an AI agent acting with no user present)</span>; ${ai.interactive.formatted} interactive <span style="${muted}">(a user present and approving)</span>.</p>`;
  const kindRows = ai.kinds
    .map(
      (k) =>
        `<tr><td style="padding:3px 8px 3px 0;font-size:13px;line-height:18px;${WRAP}">${escapeHtml(k.label)}<br><span style="${muted}font-size:12px;">${escapeHtml(k.what)} · <code>${escapeHtml(k.query)}</code></span></td><td width="72" align="right" style="width:72px;padding:3px 0;font-size:14px;font-weight:600;white-space:nowrap;">${k.formatted}</td></tr>`,
    )
    .join('');
  const kinds = `<table ${TABLE} style="${TABLE_STYLE}">${kindRows}</table><p style="margin:4px 0 10px;font-size:12px;${muted}">${escapeHtml(ai.counting)}${ai.previousUnknown ? ` ${escapeHtml(ai.previousUnknown)}` : ''}</p>`;
  let agents: string;
  if (ai.noAgents !== undefined) {
    agents = `<p style="margin:0 0 6px;font-size:13px;${muted}">${escapeHtml(ai.noAgents)}</p>`;
  } else {
    const shown = ai.agents.slice(0, AGENTS_SHOWN);
    const rows = shown
      .map(
        (a) =>
          `<tr><td style="padding:3px 8px 3px 0;font-size:13px;line-height:18px;${WRAP}">${value(a.name, EMAIL_LIMITS.anomalyValue)}<br><span style="${muted}font-size:12px;">${escapeHtml(a.split)}, ${escapeHtml(a.peopleLabel)}</span></td><td width="72" align="right" style="width:72px;padding:3px 0;font-size:14px;font-weight:600;white-space:nowrap;">${a.formatted}</td></tr>`,
      )
      .join('');
    const rest = leftAfter(
      ai.agents.map((a) => ({ count: a.events })),
      AGENTS_SHOWN,
    );
    const more =
      rest.count > 0
        ? `<tr><td colspan="2" style="padding:4px 0 0;font-size:13px;${muted}">and ${pluralize(rest.count, 'more agent', 'more agents')} (${pluralize(rest.calls, 'action')})</td></tr>`
        : '';
    agents = `<table ${TABLE} style="${TABLE_STYLE}">${rows}${more}</table>`;
  }
  const attribution = ai.attribution
    ? `<p style="margin:6px 0 0;font-size:13px;">${escapeHtml(ai.attribution)}</p>`
    : '';
  const open = `<p style="margin:8px 0 0;font-size:14px;">${link(boundedUrl(ai.link.url, windowLink(view), EMAIL_LIMITS.link), `${ai.link.text} →`)}</p>`;
  return `${rule}${heading(escapeHtml(ai.title))}${headline}${kinds}${heading('Datadog AI agents', 4).replace('font-size:16px', 'font-size:14px')}${agents}${attribution}${open}`;
}

export function changesSection(view: ReportView): string {
  const { total, items, empty } = view.changes;
  if (total === 0) return `<p style="margin:0;color:${COLORS.muted};">${escapeHtml(empty)}</p>`;
  const shown = items.slice(0, EMAIL_LIMITS.changes);
  const rows = shown
    .map((c) => {
      const name = c.name ? ` “${value(c.name)}”` : '';
      const via = c.via ? ` · ${value(c.via)}` : '';
      return `<tr><td style="padding:5px 0;border-bottom:1px solid ${COLORS.rule};font-size:13px;line-height:19px;${WRAP}"><strong>${value(c.action)}</strong> ${value(c.resourceType)}${name} <span style="color:${COLORS.muted};">${value(c.resourceId)}</span><br><span style="color:${COLORS.muted};">${value(c.user)}${via} · ${escapeHtml(c.time)}</span></td></tr>`;
    })
    .join('');
  const rest = total - shown.length;
  const more =
    rest > 0
      ? `<p style="margin:8px 0 0;font-size:14px;">and ${formatCount(rest)} more · ${link(windowLink(view), 'See all in Datadog →')}</p>`
      : '';
  const what = view.ai ? pluralize(total, 'AI action') : pluralize(total, 'call', 'calls');
  return `<p style="margin:0 0 6px;">${what} created, modified or deleted a resource this week. Newest first:</p><table ${TABLE} style="${TABLE_STYLE}">${rows}</table>${more}`;
}

export function footer(view: ReportView): string {
  const { from, to, zone } = view.window;
  return [
    `Window ${escapeHtml(from)} to ${escapeHtml(to)} (end exclusive), timezone ${escapeHtml(zone)}.`,
    ...view.caveats.map(escapeHtml),
    `Sent by ${escapeHtml(view.title)} from Datadog Audit Trail.`,
  ].join('<br>');
}
