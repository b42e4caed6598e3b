/**
 * The weekly email: subject, HTML and text, from the report's view (render/view/). The HTML is
 * the template compiled at build time (generated/weekly-report-template.ts) with each
 * {{placeholder}} filled once with an HTML fragment (email-sections.ts); the text part is the text
 * report (text-report.ts).
 */

import { arrowed, COLORS, EMAIL_LIMITS, SEVERITY_STYLE, value } from './email-markup';
import {
  aiActivitySection,
  anomaliesSection,
  changesSection,
  dailyChart,
  footer,
  partialBanner,
  rankedList,
  trendChart,
  usageSection,
  windowLink,
} from './email-sections';
import { escapeHtml, safeUrl, singleLine, truncate } from './escape';
import { type WEEKLY_REPORT_PLACEHOLDERS, WEEKLY_REPORT_TEMPLATE } from './generated/weekly-report-template';
import { renderText } from './text-report';
import { type Figure, pluralize, type ReportView } from './view';

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/**
 * The week-over-week line under a headline figure: the change, then what it is measured against,
 * one phrase over two short lines. The arrow stays with its number; the line may wrap between the
 * percentage and the count, so a narrow column never overflows into its neighbour.
 */
function deltaHtml({ delta }: Figure): string {
  if (!delta) return '&nbsp;';
  return `${arrowed(delta.change)}<br>${escapeHtml(delta.against)}`;
}

/**
 * A headline figure, its type scaled down when it has many digits: three columns share a 375 px
 * phone screen, and `9,999,999` at full size would not fit its column (em, so the desktop and
 * phone sizes of the template both scale).
 */
function kpiNumber({ formatted }: Figure, color?: string): string {
  const scale = formatted.length <= 7 ? 1 : formatted.length <= 9 ? 0.78 : formatted.length <= 11 ? 0.64 : 0.52;
  const style = [scale < 1 ? `font-size:${scale}em;` : '', color ? `color:${color};` : ''].join('');
  return style ? `<span style="${style}">${formatted}</span>` : formatted;
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
export function emailSubject(view: ReportView): string {
  const total = view.anomalies.total;
  const anomalies = total > 0 ? ` — ${pluralize(total, 'anomaly', 'anomalies')}` : '';
  const org = truncate(singleLine(view.subtitle).trim(), 140);
  return `${view.title} — ${org} — ${view.window.days}${view.partialMark}${anomalies}`;
}

/** Renders the email: subject, HTML (from the precompiled template) and the text part. */
export function renderEmail(view: ReportView): RenderedEmail {
  return { subject: emailSubject(view), html: renderEmailHtml(view), text: renderText(view) };
}

/** The email's HTML alone: the precompiled template with every placeholder filled. */
export function renderEmailHtml(view: ReportView): string {
  const { figures, anomalies } = view;
  const breakdown =
    anomalies.total === 0
      ? 'none flagged'
      : anomalies.severities
          .filter((s) => s.count > 0)
          .map(
            (s) =>
              `<span style="color:${SEVERITY_STYLE[s.colour].fg};white-space:nowrap;">${s.formatted} ${s.severity}</span>`,
          )
          .join('<br>');
  // The figure takes the colour of the highest severity only when something is high.
  const high = anomalies.severities.find((s) => s.severity === 'high');
  const anomalyColor = high && high.count > 0 ? SEVERITY_STYLE[high.colour].fg : COLORS.text;
  const partial = view.notice?.level === 'partial' ? `${view.notice.title}: ` : '';

  const values: Record<(typeof WEEKLY_REPORT_PLACEHOLDERS)[number], string> = {
    title: escapeHtml(emailSubject(view)),
    preview: escapeHtml(`${partial}${view.gist}`),
    org: value(view.subtitle, 140),
    date_range: escapeHtml(view.window.days),
    // Under the dates, a report of every kind of AI activity says how many AI actions, how many autonomous.
    ai_headline: view.ai
      ? `<br><span style="font-size:14px;">${view.ai.total.formatted} AI actions · ${view.ai.autonomous.formatted} autonomous</span>`
      : '',
    partial_banner: partialBanner(view),
    total_calls: kpiNumber(figures.calls),
    total_calls_delta: deltaHtml(figures.calls),
    unique_users: kpiNumber(figures.people),
    unique_users_delta: deltaHtml(figures.people),
    anomalies_total: kpiNumber(figures.anomalies, anomalyColor),
    anomalies_breakdown: breakdown,
    daily_chart: dailyChart(view.daily),
    trend_chart: trendChart(view.trend),
    top_users: rankedList(view.topUsers, EMAIL_LIMITS.topUsers),
    actions: rankedList(view.actions, EMAIL_LIMITS.breakdown),
    resource_types: rankedList(view.resourceTypes, EMAIL_LIMITS.breakdown),
    anomalies: anomaliesSection(view),
    ai_activity: aiActivitySection(view),
    usage: usageSection(view),
    changes: changesSection(view),
    datadog_link: escapeHtml(safeUrl(windowLink(view))),
    footer: footer(view),
  };
  return fillTemplate(WEEKLY_REPORT_TEMPLATE, values);
}
