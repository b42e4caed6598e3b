/**
 * The weekly email: subject, HTML and text, from the report's view (render/view/). The HTML is
 * the template compiled at build time (generated/weekly-report-template.ts) with each
 * {{placeholder}} filled once with an HTML fragment (email-sections.ts); the text part is the text
 * report (text-report.ts). The HTML has a byte budget (Gmail clips past ~102 KB): it is drawn with
 * the normal limits, and with ever tighter ones while it is over, whatever the script of its text.
 */

import { arrowed, COLORS, EMAIL_LIMIT_STEPS, EMAIL_LIMITS, type EmailLimits, value } from './email-markup';
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

/** The most bytes of HTML an email may have: under Gmail's ~102 KB clipping point with room to spare. */
export const EMAIL_HTML_BUDGET = 98_000;

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

/** Renders the email: subject, HTML (from the precompiled template, within its byte budget) and the text part. */
export function renderEmail(view: ReportView): RenderedEmail {
  return { subject: emailSubject(view), html: fitEmailHtml(view), text: renderText(view) };
}

/** The HTML with the first limits (EMAIL_LIMIT_STEPS) under which it fits EMAIL_HTML_BUDGET bytes; the tightest else. */
export function fitEmailHtml(view: ReportView, budget = EMAIL_HTML_BUDGET): string {
  let html = '';
  for (const limits of EMAIL_LIMIT_STEPS) {
    html = renderEmailHtml(view, limits);
    if (Buffer.byteLength(html, 'utf8') <= budget) return html;
  }
  return html;
}

/**
 * The third headline figure: the AI actions of every kind with the autonomous ones (`activity:
 * all`), else the resources changed. The anomalies are the triage above the figures, not repeated.
 */
function thirdFigure(view: ReportView): { label: string; value: string; note: string } {
  const { ai, figures } = view;
  if (ai) {
    const color = ai.autonomous.value > 0 ? '#b54708' : COLORS.muted;
    return {
      label: escapeHtml(ai.total.label),
      value: kpiNumber(ai.total),
      note: `<span style="color:${color};font-weight:600;white-space:nowrap;">${ai.autonomous.formatted} autonomous</span><br>${ai.total.delta ? escapeHtml(ai.total.delta.short) : '&nbsp;'}`,
    };
  }
  return {
    label: escapeHtml(figures.changes.label),
    value: kpiNumber(figures.changes),
    note: 'create, modify, delete',
  };
}

/** The email's HTML alone, drawn with `limits`: the precompiled template with every placeholder filled. */
export function renderEmailHtml(view: ReportView, limits: EmailLimits = EMAIL_LIMITS): string {
  const { figures } = view;
  const partial = view.notice?.level === 'partial' ? `${view.notice.title}: ` : '';
  const third = thirdFigure(view);
  const windowUrl = windowLink(view, limits);

  const values: Record<(typeof WEEKLY_REPORT_PLACEHOLDERS)[number], string> = {
    title: escapeHtml(emailSubject(view)),
    preview: escapeHtml(`${partial}${view.gist}`),
    org: value(view.subtitle, 140),
    date_range: escapeHtml(view.window.days),
    partial_banner: partialBanner(view, limits),
    anomalies: anomaliesSection(view, limits),
    total_calls: kpiNumber(figures.calls),
    total_calls_delta: deltaHtml(figures.calls),
    unique_users: kpiNumber(figures.people),
    unique_users_delta: deltaHtml(figures.people),
    third_label: third.label,
    third_value: third.value,
    third_note: third.note,
    daily_chart: dailyChart(view.daily, limits),
    trend_chart: trendChart(view.trend),
    top_users: rankedList(view.topUsers, limits.topUsers, limits, windowUrl),
    actions: rankedList(view.actions, limits.breakdown, limits),
    resource_types: rankedList(view.resourceTypes, limits.breakdown, limits),
    ai_activity: aiActivitySection(view, limits),
    usage: usageSection(view, limits),
    changes: changesSection(view, limits),
    datadog_link: escapeHtml(safeUrl(windowUrl)),
    footer: footer(view),
  };
  return fillTemplate(WEEKLY_REPORT_TEMPLATE, values);
}
