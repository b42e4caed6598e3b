/**
 * The email's sections as HTML fragments, one for each {{placeholder}} of the template that holds
 * more than a word: the partial-data banner, the triage (one card per group of flags, what
 * exceptions accept, what was resolved), the daily and weekly tables, the ranked lists, the AI
 * activity, the tools and clients, the changes and the footer. Each reads the report's view
 * (render/view/) and the limits it is given (email-markup.ts): every audit value passes `value`
 * (escaped, cut by characters and bytes) and every list shows its top entries, then "and N more"
 * with a link, so the email is short on a phone and stays under its byte budget.
 */

import {
  arrowed,
  bar,
  COLORS,
  type EmailLimits,
  heading,
  link,
  SEVERITY_STYLE,
  TABLE,
  TABLE_STYLE,
  value,
  WRAP,
} from './email-markup';
import { boundedUrl, escapeHtml, safeUrl } from './escape';
import {
  type DailyView,
  type Figure,
  formatCount,
  type GroupView,
  leftAfter,
  pluralize,
  type RankedList,
  type ReportView,
  type TrendView,
} from './view';

/** The window's Audit Trail link, unless it is too long for the email. */
export function windowLink(view: ReportView, limits: EmailLimits): string {
  return boundedUrl(view.links.auditTrail.url, '', limits.link);
}

const muted = `color:${COLORS.muted};`;

/** A muted note paragraph. */
function note(html: string, top = 6): string {
  return `<p style="margin:${top}px 0 0;font-size:12px;line-height:17px;${muted}${WRAP}">${html}</p>`;
}

export function partialBanner({ notice }: ReportView, limits: EmailLimits): string {
  if (!notice) return '';
  const warnings = notice.reasons.slice(0, limits.warnings);
  const more = notice.reasons.length - warnings.length;
  const items = warnings.map((w) => `<li style="margin:2px 0;${WRAP}">${value(w, limits.warning)}</li>`).join('');
  const list = items
    ? `<ul style="margin:6px 0 0;padding:0 0 0 18px;">${items}${more > 0 ? `<li style="margin:2px 0;">and ${formatCount(more)} more</li>` : ''}</ul>`
    : '';
  const title = `<strong>${escapeHtml(notice.title)}.</strong>`;
  if (notice.level === 'partial') {
    return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#fff4e5;border-left:4px solid #f59e0b;padding:12px 20px;color:#7a4a00;font-size:14px;line-height:20px;${WRAP}">${title} ${escapeHtml(notice.text)}${list}</td></tr></table>`;
  }
  return `<table ${TABLE} style="${TABLE_STYLE}"><tr><td style="background-color:#f4f6fa;border-left:4px solid #9aa7c2;padding:10px 20px;color:#374151;font-size:13px;line-height:19px;${WRAP}">${title}${list}</td></tr></table>`;
}

/**
 * Calls per day: a column per day with its count and its day (a week fits a phone's width in one
 * short row of columns); a window of more than 14 days gets a row per day instead.
 */
export function dailyChart(daily: DailyView, limits: EmailLimits): string {
  const days = daily.days.slice(-limits.days);
  if (days.length === 0) return `<p style="margin:0;${muted}">${escapeHtml(daily.empty)}</p>`;
  const max = Math.max(0, ...days.map((d) => d.calls));
  if (days.length > 14) {
    const rows = days
      .map((d) => {
        const peak = max > 0 && d.calls === max;
        return `<tr><td width="84" style="width:84px;padding:1px 8px 1px 0;${muted}font-size:12px;line-height:16px;white-space:nowrap;">${escapeHtml(d.label)}</td><td style="padding:1px 0;vertical-align:middle;">${bar(max > 0 ? d.calls / max : 0, peak ? COLORS.barPeak : COLORS.bar, 10)}</td><td width="64" align="right" style="width:64px;padding:1px 0 1px 8px;font-size:12px;line-height:16px;font-weight:${peak ? 700 : 400};white-space:nowrap;">${d.formatted}</td></tr>`;
      })
      .join('');
    return `<table ${TABLE} style="${TABLE_STYLE}">${rows}</table>`;
  }
  const height = 40;
  const cell = (html: string, style = ''): string =>
    `<td align="center" style="padding:0 2px;font-size:11px;line-height:14px;white-space:nowrap;${style}">${html}</td>`;
  const bars = days
    .map((d) => {
      const peak = max > 0 && d.calls === max;
      const h = max > 0 ? Math.max(2, Math.round((d.calls / max) * height)) : 2;
      return `<td style="padding:0 3px;vertical-align:bottom;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td height="${h}" bgcolor="${peak ? COLORS.barPeak : COLORS.bar}" style="height:${h}px;font-size:0;line-height:0;">&nbsp;</td></tr></table></td>`;
    })
    .join('');
  const counts = days.map((d) => cell(d.formatted, max > 0 && d.calls === max ? 'font-weight:700;' : '')).join('');
  // `Mon 23 Nov` → `Mon 23`: the month is in the dates above.
  const labels = days.map((d) => cell(escapeHtml(d.label.replace(/ \S+$/, '')), muted)).join('');
  return `<table ${TABLE} style="${TABLE_STYLE}"><tr style="height:${height}px;">${bars}</tr><tr>${counts}</tr><tr>${labels}</tr></table>`;
}

/**
 * The weekly trend, every week on a row of its own and labelled by its last day: a bar of its
 * calls with the number, and (when the report reads every kind of AI activity) its AI actions and
 * the autonomous ones. A week without an archived report says so, never a number; a partial week
 * is drawn in amber. Empty when there is no trend.
 */
export function trendChart(trend: TrendView | undefined): string {
  if (!trend) return '';
  const weeks = trend.weeks;
  const max = Math.max(1, ...weeks.map((w) => w.calls ?? 0));
  const small = `font-size:12px;${muted}`;
  const aiHead = trend.hasAi
    ? `<td width="92" align="right" style="width:92px;padding:0 0 4px 8px;${small}">AI actions (auto)</td>`
    : '';
  const head = `<tr><td width="84" style="width:84px;padding:0 8px 4px 0;${small}">Week to</td><td style="padding:0 0 4px;${small}">Tool calls</td><td width="56" style="width:56px;"></td>${aiHead}</tr>`;
  const rows = weeks
    .map((w, i) => {
      const last = i === weeks.length - 1;
      const color = w.complete === false ? '#f0a830' : last ? COLORS.barPeak : COLORS.bar;
      const calls =
        w.calls === null
          ? `<td style="padding:1px 0;${small}">no archived report</td><td width="56" style="width:56px;"></td>`
          : `<td style="padding:1px 0;vertical-align:middle;">${bar(w.calls / max, color, 10)}</td><td width="56" align="right" style="width:56px;padding:1px 0 1px 8px;font-size:12px;line-height:16px;white-space:nowrap;${last ? 'font-weight:700;' : ''}">${formatCount(w.calls)}</td>`;
      const ai = trend.hasAi
        ? `<td width="92" align="right" style="width:92px;padding:1px 0 1px 8px;font-size:12px;line-height:16px;white-space:nowrap;">${
            w.aiTotal === null
              ? `<span style="${small}">–</span>`
              : `${formatCount(w.aiTotal)} <span style="${small}">(${formatCount(w.autonomous ?? 0)})</span>`
          }</td>`
        : '';
      return `<tr><td width="84" style="width:84px;padding:1px 8px 1px 0;font-size:12px;line-height:16px;white-space:nowrap;${last ? 'font-weight:700;' : muted}">${escapeHtml(w.label)}</td>${calls}${ai}</tr>`;
    })
    .join('');
  const unread = trend.hasAi && weeks.some((w) => w.calls !== null && w.aiTotal === null);
  const caption = `<p style="margin:12px 0 4px;font-size:13px;${muted}"><strong style="color:${COLORS.text};">Weekly</strong> · ${escapeHtml(trend.caption)}${unread ? ' · –: AI actions not read that week' : ''}</p>`;
  return `${caption}<table ${TABLE} style="${TABLE_STYLE}">${head}${rows}</table>`;
}

/** Rows of name, count and share, then what the cut left out (with a link to all of it in Datadog when given). */
export function rankedList(list: RankedList, limit: number, limits: EmailLimits, more?: string): string {
  if (list.items.length === 0) return `<p style="margin:0;${muted}">None this week.</p>`;
  const shown = list.items.slice(0, limit);
  const rows = shown
    .map((item) => {
      const share = item.share
        ? ` <span style="${muted}font-weight:400;font-size:12px;">${escapeHtml(item.share)}</span>`
        : '';
      return `<tr><td style="padding:3px 8px 3px 0;font-size:13px;line-height:18px;border-bottom:1px solid ${COLORS.rule};${WRAP}">${value(item.name, limits.value)}</td><td width="70" align="right" style="width:70px;padding:3px 0;font-size:13px;font-weight:600;white-space:nowrap;border-bottom:1px solid ${COLORS.rule};">${item.formatted}${share}</td></tr>`;
    })
    .join('');
  const rest = leftAfter(list.items, limit);
  const { one, many } = list.noun;
  const moreRow =
    rest.count > 0
      ? `<tr><td colspan="2" style="padding:5px 0 0;${muted}font-size:12px;">and ${pluralize(rest.count, `more ${one}`, `more ${many}`)} (${formatCount(rest.calls)} calls)${more ? ` · ${link(more, 'See all in Datadog →')}` : ''}</td></tr>`
      : '';
  return `<table ${TABLE} style="${TABLE_STYLE}">${rows}${moreRow}</table>`;
}

/** `12 deletions (monitor ×8, notebook ×4) on security_rule`: what a group's link opens, escaped. */
function groupWhat(group: GroupView, limits: EmailLimits): string {
  const types = group.breakdown.map((t) => `${value(t.name, limits.anomalyValue)} ×${formatCount(t.count)}`);
  if (group.moreTypes > 0) types.push(`${formatCount(group.moreTypes)} more types`);
  const q = group.qualifier
    ? ` ${escapeHtml(group.qualifier.word)} ${value(group.qualifier.value, limits.anomalyValue)}`
    : '';
  return `${escapeHtml(group.countLabel)}${types.length > 0 ? ` (${types.join(', ')})` : ''}${q}`;
}

/** A link whose text is already escaped HTML (the group's count, names escaped by `value`). */
function htmlLink(url: string, html: string): string {
  return `<a href="${escapeHtml(safeUrl(url))}" style="color:${COLORS.link};text-decoration:none;font-weight:600;">${html}</a>`;
}

function statusHtml(group: GroupView): string {
  const color = group.status === 'new' ? COLORS.text : '#b54708';
  return `<span style="font-size:12px;font-weight:700;color:${color};white-space:nowrap;">${escapeHtml(group.statusLabel)}</span>`;
}

/**
 * One card per group: the rule and its severity and status; the person; what it covers (the
 * link to exactly its events, in words that say what it opens) and when, in the report's zone,
 * which it names; and why it has its severity (an expired exception said after it).
 */
function groupCard(group: GroupView, limits: EmailLimits, fallback: string): string {
  const s = SEVERITY_STYLE[group.colour];
  const url = boundedUrl(group.link.url, fallback, limits.link);
  const expired = group.exceptionExpired ? ` · <b>${value(group.exceptionExpired, 120)}</b>` : '';
  const agent = group.agent && group.agent !== group.person ? ` · ${value(group.agent, limits.anomalyValue)}` : '';
  return `<tr><td style="border-left:3px solid ${s.border};background-color:#fafbfc;padding:5px 10px;font-size:13px;line-height:18px;${WRAP}"><b>${escapeHtml(group.label)}</b> <span style="font-size:12px;font-weight:700;color:${s.fg};">${escapeHtml(group.severityLabel)}</span> · ${statusHtml(group)}<br>${value(group.person, limits.anomalyValue)}${agent}<br>${htmlLink(url, groupWhat(group, limits))} <span style="${muted}">· ${escapeHtml(group.when)}</span><br><span style="font-size:12px;${muted}">${escapeHtml(group.severityReason)}${expired}</span></td></tr><tr><td height="5" style="height:5px;font-size:0;line-height:0;">&nbsp;</td></tr>`;
}

/** A low group on one line: severity, rule, person, what (linked) and when. */
function groupLine(group: GroupView, limits: EmailLimits, fallback: string): string {
  const s = SEVERITY_STYLE[group.colour];
  const url = boundedUrl(group.link.url, fallback, limits.link);
  const expired = group.exceptionExpired ? ` · <b>${value(group.exceptionExpired, 120)}</b>` : '';
  return `<p style="margin:4px 0 0;font-size:13px;line-height:18px;${WRAP}"><b style="color:${s.fg};">${escapeHtml(group.severityLabel)}</b> · ${escapeHtml(group.label)} · ${value(group.person, limits.anomalyValue)} · ${htmlLink(url, groupWhat(group, limits))} <span style="${muted}">· ${escapeHtml(group.when)} · ${escapeHtml(group.statusLabel)}</span>${expired}</p>`;
}

/**
 * The triage, first in the email: a line saying how many groups from how many flags and how they
 * stand against last week; one card per high or medium group (the first `cards`), one line per low
 * group, the rest counted with a link; the groups exceptions accept, one line per exception; last
 * week's groups that are gone; the rules that could not be evaluated; or that nothing was flagged.
 */
export function anomaliesSection(view: ReportView, limits: EmailLimits): string {
  const { triage, anomalies } = view;
  const fallback = windowLink(view, limits);
  const unevaluated = anomalies.unevaluated
    .map(
      ({ reason }) =>
        `Not evaluated (${escapeHtml(reason)}): ${escapeHtml(
          anomalies.kinds
            .filter((k) => k.notEvaluated === reason)
            .map((k) => k.label.toLowerCase())
            .join(', '),
        )}.`,
    )
    .join(' ');
  const parts: string[] = [];
  if (triage.summary) parts.push(`<p style="margin:0 0 8px;font-size:13px;">${escapeHtml(triage.summary)}</p>`);
  else parts.push(`<p style="margin:0 0 4px;color:#067647;font-weight:600;">✓ ${escapeHtml(anomalies.empty)}</p>`);
  const major = triage.groups.filter((g) => g.severity !== 'low');
  const minor = triage.groups.filter((g) => g.severity === 'low');
  const cards = major.slice(0, limits.cards);
  if (cards.length > 0)
    parts.push(
      `<table ${TABLE} style="${TABLE_STYLE}">${cards.map((g) => groupCard(g, limits, fallback)).join('')}</table>`,
    );
  const lines = minor.slice(0, limits.lowGroups);
  parts.push(...lines.map((g) => groupLine(g, limits, fallback)));
  const rest = triage.groups.length - cards.length - lines.length;
  if (rest > 0) {
    const bySeverity = (['high', 'medium', 'low'] as const)
      .map((sev) => {
        const n =
          triage.groups.filter((g) => g.severity === sev).length -
          [...cards, ...lines].filter((g) => g.severity === sev).length;
        return n > 0 ? `${formatCount(n)} ${sev}` : '';
      })
      .filter(Boolean)
      .join(', ');
    parts.push(
      `<p style="margin:6px 0 0;font-size:13px;">and ${pluralize(rest, 'more group', 'more groups')} (${bySeverity}) · ${link(fallback, `Open all ${anomalies.formatted} flags in Datadog →`)}</p>`,
    );
  }
  for (const a of triage.accepted) {
    parts.push(note(`✓ ${formatCount(a.groups)} accepted (${value(a.owner, 80)}, until ${escapeHtml(a.expires)})`));
  }
  if (triage.resolved.length > 0) {
    const shown = triage.resolved
      .slice(0, limits.resolved)
      .map((r) => `${escapeHtml(r.label)} · ${value(r.person, limits.anomalyValue)} (${escapeHtml(r.weeksLabel)})`);
    const more = triage.resolved.length - shown.length;
    parts.push(
      note(`<b>Resolved since last week:</b> ${shown.join('; ')}${more > 0 ? `; and ${formatCount(more)} more` : ''}`),
    );
  }
  if (triage.comparison) parts.push(note(value(triage.comparison, 300)));
  if (unevaluated) parts.push(note(unevaluated));
  return parts.join('');
}

/**
 * The MCP tools (the top ones, with calls, share and change) and the AI clients (calls, people),
 * from the usage metric; or why they are not shown. One fragment with its own headings and short
 * rows: it costs a few KB even in the busiest week.
 */
export function usageSection(view: ReportView, limits: EmailLimits): string {
  const { usage } = view;
  const metricLink = boundedUrl(view.links.toolsMetric.url, '', limits.link);
  const text = (html: string): string => `<p style="margin:0;${muted}${WRAP}">${html}</p>`;
  if (usage.unavailable !== undefined) {
    return `${heading('Tools and AI clients')}${text(value(usage.unavailable, limits.warning))}`;
  }
  const more = (html: string): string => `<p style="margin:5px 0 0;font-size:12px;${muted}">${html}</p>`;
  const row = (name: string, figures: string, small: string): string =>
    `<tr><td style="padding:3px 8px 3px 0;border-bottom:1px solid ${COLORS.rule};">${value(name, limits.anomalyValue)}</td><td width="132" align="right" style="padding:3px 0;white-space:nowrap;border-bottom:1px solid ${COLORS.rule};">${figures}<span style="${muted}font-size:12px;">${small}</span></td></tr>`;
  const table = (rows: string): string =>
    `<table ${TABLE} style="${TABLE_STYLE}${WRAP}font-size:13px;line-height:18px;">${rows}</table>`;

  const tools = usage.tools.slice(0, limits.tools);
  const moreTools = usage.tools.length - tools.length + usage.moreTools;
  const moreToolCalls =
    usage.tools.slice(limits.tools).reduce((sum, t) => sum + t.calls, 0) +
    (usage.moreTools > 0 ? usage.moreToolCalls : 0);
  const toolRows = tools
    .map((t) => {
      const delta =
        t.delta && t.delta.direction !== 'flat' ? ` ${arrowed(t.delta.change.replace(/ \(.*\)$/, ''))}` : '';
      return row(t.name, `<b>${t.formatted}</b>`, ` ${escapeHtml(t.share)}${delta}`);
    })
    .join('');
  const toolsHtml =
    tools.length === 0
      ? text('No MCP tool calls in the metric this week.')
      : `${table(toolRows)}${more(
          moreTools > 0
            ? `and ${pluralize(moreTools, 'more tool', 'more tools')} (${pluralize(moreToolCalls, 'call')}) · ${link(metricLink, 'See all tools in Datadog →')}`
            : `Counted by the ${escapeHtml(usage.metric)} metric · ${link(metricLink, 'Open the metric in Datadog →')}`,
        )}`;
  const clients = usage.clients.slice(0, limits.clients);
  const moreClients = usage.clients.length - clients.length + usage.moreClients;
  const clientRows = clients.map((c) => row(c.name, `<b>${c.callsLabel}</b>`, ` · ${c.peopleLabel}`)).join('');
  const clientsLink = boundedUrl(view.links.clientsMetric.url, '', limits.link);
  const clientsHtml =
    clients.length === 0
      ? text('No MCP clients in the metric this week.')
      : `${table(clientRows)}${
          moreClients > 0
            ? more(
                `and ${pluralize(moreClients, 'more client', 'more clients')} · ${link(clientsLink, 'See all clients in Datadog →')}`,
              )
            : ''
        }`;
  return `${heading('Tools')}${toolsHtml}${heading('AI clients', 14)}${clientsHtml}`;
}

/** `▲ +9% (+50) vs previous week` under a figure of the AI section, or nothing. */
function aiDelta({ delta }: Figure): string {
  return delta ? ` <span style="${muted}font-size:12px;white-space:nowrap;">${arrowed(delta.short)}</span>` : '';
}

/**
 * The "AI activity" section (`activity: all`; empty otherwise, so a report of the seed's MCP tool
 * calls alone has none): each kind with its count and query, the top agents with their
 * interactive/autonomous split and people (or that there were none), and the attribution share.
 * The totals are the headline figures above it, so they are not repeated here.
 */
export function aiActivitySection(view: ReportView, limits: EmailLimits): string {
  const { ai } = view;
  if (!ai) return '';
  const kindRows = ai.kinds
    .map(
      (k) =>
        `<tr><td style="padding:1px 8px 1px 0;font-size:13px;line-height:18px;${WRAP}">${escapeHtml(k.label)}</td><td width="64" align="right" style="width:64px;padding:2px 0;font-size:13px;font-weight:600;white-space:nowrap;">${k.formatted}</td></tr>`,
    )
    .join('');
  const kinds = `<table ${TABLE} style="${TABLE_STYLE}">${kindRows}</table>${note(`${ai.interactive.formatted} interactive (a user present and approving), ${ai.autonomous.formatted} autonomous${aiDelta(ai.autonomous)}.${ai.previousUnknown ? ` ${escapeHtml(ai.previousUnknown)}` : ''}`, 2)}`;
  let agents: string;
  if (ai.noAgents !== undefined) {
    agents = `<p style="margin:8px 0 0;font-size:13px;${muted}">${escapeHtml(ai.noAgents)}</p>`;
  } else {
    const shown = ai.agents.slice(0, limits.agents);
    const rows = shown
      .map(
        (a) =>
          `<tr><td style="padding:1px 8px 1px 0;font-size:13px;line-height:17px;${WRAP}">${value(a.name, limits.anomalyValue)}<br><span style="${muted}font-size:11px;line-height:15px;">${escapeHtml(a.split)}, ${escapeHtml(a.peopleLabel)}</span></td><td width="56" align="right" style="width:56px;padding:1px 0;font-size:13px;font-weight:600;white-space:nowrap;vertical-align:top;">${a.formatted}</td></tr>`,
      )
      .join('');
    const rest = leftAfter(
      ai.agents.map((a) => ({ count: a.events })),
      limits.agents,
    );
    const more =
      rest.count > 0
        ? `<tr><td colspan="2" style="padding:3px 0 0;font-size:12px;${muted}">and ${pluralize(rest.count, 'more agent', 'more agents')} (${pluralize(rest.calls, 'action')})</td></tr>`
        : '';
    agents = `<p style="margin:8px 0 2px;font-size:13px;font-weight:700;">Datadog AI agents</p><table ${TABLE} style="${TABLE_STYLE}">${rows}${more}</table>`;
  }
  const open = link(
    boundedUrl(ai.link.url, windowLink(view, limits), limits.link),
    'Open all AI activity in Datadog →',
  );
  const attribution = ai.attribution ? note(escapeHtml(ai.attribution), 4) : '';
  const rule = `<table ${TABLE} style="${TABLE_STYLE}margin:12px 0 10px;"><tr><td height="1" bgcolor="#e5e7eb" style="height:1px;font-size:0;line-height:0;">&nbsp;</td></tr></table>`;
  const title = `<p style="margin:0 0 6px;font-size:16px;line-height:22px;font-weight:700;">${escapeHtml(ai.title)} <span style="font-size:12px;font-weight:400;">${open}</span></p>`;
  return `${title}${kinds}${agents}${attribution}${rule}`;
}

export function changesSection(view: ReportView, limits: EmailLimits): string {
  const { total, items, empty } = view.changes;
  if (total === 0) return `<p style="margin:0;${muted}">${escapeHtml(empty)}</p>`;
  const shown = items.slice(0, limits.changes);
  const rows = shown
    .map((c) => {
      const name = c.name ? ` “${value(c.name, limits.anomalyValue)}”` : '';
      const via = c.via ? ` · ${value(c.via, limits.anomalyValue)}` : '';
      return `<tr><td style="padding:3px 0;border-bottom:1px solid ${COLORS.rule};font-size:13px;line-height:17px;${WRAP}"><strong>${value(c.action, limits.anomalyValue)}</strong> ${value(c.resourceType, limits.anomalyValue)}${name}<br><span style="${muted}font-size:11px;line-height:15px;">${value(c.user, limits.anomalyValue)}${via} · ${escapeHtml(c.time)}</span></td></tr>`;
    })
    .join('');
  const rest = total - shown.length;
  const more =
    rest > 0
      ? `<p style="margin:5px 0 0;font-size:12px;${muted}">and ${formatCount(rest)} more · ${link(windowLink(view, limits), 'See all changes in Datadog →')}</p>`
      : '';
  const what = view.ai ? pluralize(total, 'AI action') : pluralize(total, 'call', 'calls');
  return `<p style="margin:0 0 4px;font-size:13px;">${what} changed a resource; the newest:</p><table ${TABLE} style="${TABLE_STYLE}">${rows}</table>${more}`;
}

export function footer(view: ReportView): string {
  const { from, to, zone } = view.window;
  return [
    `Window ${escapeHtml(from)} to ${escapeHtml(to)} ${escapeHtml(zone)} (end exclusive). ${view.caveats.map(escapeHtml).join(' ')}`,
    `Sent by ${escapeHtml(view.title)} from Datadog Audit Trail.`,
  ].join('<br>');
}
