/**
 * The weekly Slack post: `chat.postMessage` arguments with a notification `text` and Block Kit
 * `blocks`. Every audit-derived string is escaped for mrkdwn (`&`, `<`, `>`), every text object
 * is `verbatim` (no auto-linking of names or mentions), and every list is cut to fit Slack's
 * limits with "and N more" plus a Datadog link, so the post never fails for being too big.
 */
import type { ContextBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { AnomalyFlag, Severity, Summary } from '../core/types';
import type { SlackMessage } from '../ports';
import { boundedUrl, escapeSlack, escapeWithin, inertMrkdwn, singleLine, slackLink, truncate } from './escape';
import {
  anomalyTotal,
  computeDelta,
  flagSubject,
  formatCount,
  formatDateTime,
  formatDayLabel,
  formatShortTime,
  headline,
  KIND_LABELS,
  pluralize,
  reportDays,
  SEVERITIES,
  severityCounts,
  sparkline,
  zoneOf,
} from './format';

/** Slack's documented limits (Block Kit reference) and our own caps below them. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Our caps: how much of each list a channel post shows. */
  anomalies: 15,
  topUsers: 5,
  breakdown: 6,
  changes: 5,
  warnings: 5,
  value: 60,
  detail: 160,
  link: 1200,
} as const;

const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':large_blue_circle:',
};

/** Our Slack-facing message type, with blocks typed for `tsc`. */
export interface ReportSlackMessage extends SlackMessage {
  readonly blocks: KnownBlock[];
}

/**
 * An audit value for mrkdwn: one line, truncated, escaped; formatting characters are swapped for
 * look-alikes, so a value can neither open a code span that swallows the rest of the section nor
 * make itself bold, italic or struck through.
 */
function value(raw: string, max: number = SLACK_LIMITS.value): string {
  return escapeWithin(inertMrkdwn(truncate(singleLine(raw), max)), max * 2, escapeSlack);
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [mrkdwn(text)] };
}

/**
 * Joins `title` and as many `lines` as fit in `max` characters. When some are left out (or
 * `extra` items were never offered), ends with `more(n)` for the n not shown; room for that
 * line is reserved up front, so the result always fits.
 */
export function fitLines(
  title: string,
  lines: readonly string[],
  max: number,
  more: (left: number) => string,
  extra = 0,
): { text: string; shown: number } {
  const reserve = more(lines.length + extra).length + 1;
  let text = title;
  let shown = 0;
  for (const line of lines) {
    const leftAfter = lines.length - shown - 1 + extra;
    const next = text === '' ? line : `${text}\n${line}`;
    if (next.length > (leftAfter > 0 ? max - reserve : max)) break;
    text = next;
    shown += 1;
  }
  const left = lines.length - shown + extra;
  if (left > 0) text = text === '' ? more(left) : `${text}\n${more(left)}`;
  return { text: text.slice(0, max) || ' ', shown };
}

function windowLink(summary: Summary): string {
  return boundedUrl(summary.link, '', SLACK_LIMITS.link);
}

function deltaText(current: number, previous: number | undefined): string {
  if (previous === undefined) return '';
  return `  _${computeDelta(current, previous).short}_`;
}

function totalsBlock(summary: Summary): SectionBlock {
  const total = anomalyTotal(summary);
  const sev = severityCounts(summary);
  const breakdown = SEVERITIES.filter((s) => sev[s] > 0)
    .map((s) => `${formatCount(sev[s])} ${s}`)
    .join(', ');
  const unevaluated = Object.values(summary.anomaly_counts).filter((c) => c === null).length;
  const anomalies = [
    `*Anomalies*\n${formatCount(total)}${breakdown ? ` (${breakdown})` : ''}`,
    unevaluated > 0 ? `\n_${pluralize(unevaluated, 'rule')} not evaluated (no baseline)_` : '',
  ].join('');
  const fields = [
    `*Tool calls*\n${formatCount(summary.total_tool_calls)}${deltaText(summary.total_tool_calls, summary.previous_window?.total_tool_calls)}`,
    `*People*\n${formatCount(summary.unique_users)}${deltaText(summary.unique_users, summary.previous_window?.unique_users)}`,
    anomalies,
    `*Resources changed*\n${formatCount(summary.changes.total)} create/modify/delete calls`,
  ];
  return {
    type: 'section',
    fields: fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwn(f.slice(0, SLACK_LIMITS.fieldText))),
  };
}

function dailyBlock(summary: Summary): SectionBlock {
  const days = summary.daily_calls;
  if (days.length === 0) return section('*Daily calls*\nNo calls in this window.');
  const peak = days.reduce((best, d) => (d.calls > best.calls ? d : best), days[0]!);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  // One bar per day; a long window is cut to its last 60 days to stay on a line or two.
  const spark = sparkline(days.slice(-60).map((d) => d.calls));
  return section(
    `*Daily calls*  \`${spark}\`\n${escapeSlack(formatDayLabel(first.date))} → ${escapeSlack(formatDayLabel(last.date))} · peak ${formatCount(peak.calls)} on ${escapeSlack(formatDayLabel(peak.date))}`,
  );
}

function rankedLines(items: ReadonlyArray<{ readonly name: string; readonly count: number }>): string[] {
  return items.map((item, i) => `${i + 1}. ${value(item.name)} — ${formatCount(item.count)}`);
}

function listField(
  title: string,
  items: ReadonlyArray<{ readonly name: string; readonly count: number }>,
  limit: number,
  max: number,
): string {
  if (items.length === 0) return `${title}\nNone`;
  const shown = items.slice(0, limit);
  return fitLines(
    title,
    rankedLines(shown),
    max,
    (left) => `_and ${formatCount(left)} more_`,
    items.length - shown.length,
  ).text;
}

function anomalyLine(flag: AnomalyFlag, zone: string, fallback: string): string {
  const label = KIND_LABELS[flag.kind] ?? flag.kind;
  const what = flagSubject(flag).map((v) => value(v));
  const count = flag.count > 1 ? ` · ${formatCount(flag.count)} calls` : '';
  const detail = flag.detail ? `\n      ${value(flag.detail, SLACK_LIMITS.detail)}` : '';
  const link = slackLink(boundedUrl(flag.link, fallback, SLACK_LIMITS.link), 'view');
  return `${SEVERITY_EMOJI[flag.severity] ?? ''} *${escapeSlack(label)}* · ${what.join(' · ')} · ${escapeSlack(formatShortTime(flag.timestamp, zone))}${count} · ${link}${detail}`;
}

function anomalyBlocks(summary: Summary): KnownBlock[] {
  const total = anomalyTotal(summary);
  const counts = summary.anomaly_counts;
  const kinds = Object.keys(KIND_LABELS) as Array<keyof typeof KIND_LABELS>;
  const parts = [
    ...kinds.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${KIND_LABELS[k]} ${formatCount(counts[k] ?? 0)}`),
    ...kinds.filter((k) => counts[k] === null).map((k) => `${KIND_LABELS[k]} _not evaluated (no baseline)_`),
  ];
  const title =
    total === 0
      ? '*Anomalies*\n:white_check_mark: No anomalies flagged this week.'
      : `*Anomalies* (${formatCount(total)})`;
  const blocks: KnownBlock[] = [
    section(`${title}${parts.length > 0 ? `\n${parts.join(' · ')}` : ''}`.slice(0, SLACK_LIMITS.sectionText)),
  ];
  if (total === 0) return blocks;
  const zone = zoneOf(summary);
  const fallback = windowLink(summary);
  const bySeverity = severityCounts(summary);
  let budget: number = SLACK_LIMITS.anomalies;
  let shownTotal = 0;
  for (const severity of SEVERITIES) {
    const all = summary.anomalies.filter((f) => f.severity === severity);
    if (all.length === 0) continue;
    const candidates = all.slice(0, Math.max(0, budget));
    const heading = `*${severity[0]?.toUpperCase()}${severity.slice(1)} · ${formatCount(bySeverity[severity])}*`;
    const { text, shown } = fitLines(
      heading,
      candidates.map((f) => anomalyLine(f, zone, fallback)),
      SLACK_LIMITS.sectionText,
      (left) => `_and ${formatCount(left)} more ${severity}_`,
      all.length - candidates.length,
    );
    budget -= shown;
    shownTotal += shown;
    blocks.push(section(text));
  }
  if (total > shownTotal) {
    blocks.push(
      context(
        `${formatCount(shownTotal)} of ${formatCount(total)} listed · ${slackLink(fallback, `Open all ${formatCount(total)} in Datadog`)}`,
      ),
    );
  }
  return blocks;
}

function changesBlock(summary: Summary): SectionBlock {
  const { total, items } = summary.changes;
  if (total === 0) return section('*Resources changed*\nNo resources were created, modified or deleted.');
  const zone = zoneOf(summary);
  const shown = items.slice(0, SLACK_LIMITS.changes);
  const lines = shown.map((c) => {
    const name = c.resource_name && c.resource_name !== c.resource_id ? ` “${value(c.resource_name)}”` : '';
    return `• *${value(c.action)}* ${value(c.resource_type)}${name} \`${value(c.resource_id)}\` by ${value(c.user)} · ${escapeSlack(formatShortTime(c.timestamp, zone))}`;
  });
  const title = `*Resources changed* — ${pluralize(total, 'create/modify/delete call')}, newest first`;
  const link = slackLink(windowLink(summary), 'See all in Datadog');
  const more = (left: number): string => `_and ${formatCount(left)} more_ · ${link}`;
  return section(fitLines(title, lines, SLACK_LIMITS.sectionText, more, total - shown.length).text);
}

function warningBlock(summary: Summary): KnownBlock | undefined {
  const shown = summary.warnings.slice(0, SLACK_LIMITS.warnings).map((w) => `• ${value(w, 300)}`);
  const extra = summary.warnings.length - shown.length;
  const more = (left: number): string => `_and ${formatCount(left)} more_`;
  if (!summary.complete) {
    const title =
      ':warning: *Partial data* — some audit events could not be read, so the numbers below are a lower bound.';
    return section(fitLines(title, shown, SLACK_LIMITS.sectionText, more, extra).text);
  }
  if (shown.length === 0) return undefined;
  return context(fitLines(':information_source: *Note*', shown, SLACK_LIMITS.sectionText, more, extra).text);
}

/** The notification line: `AI Activity Audit — Acme — 2026-11-16 to 2026-11-22: 2,000 calls by 67 people, 3 anomalies (1 high)`. */
export function slackFallbackText(summary: Summary): string {
  const { from, to } = reportDays(summary);
  return `AI Activity Audit — ${value(summary.org, 100)} — ${from} to ${to}: ${headline(summary)}`;
}

/** Builds the `chat.postMessage` arguments (without the token) for `channel`. */
export function buildSlackMessage(summary: Summary, channel: string): ReportSlackMessage {
  const { from, to } = reportDays(summary);
  const zone = zoneOf(summary);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: escapeWithin(`AI Activity Audit — ${singleLine(summary.org)}`, SLACK_LIMITS.headerText, escapeSlack),
        emoji: false,
      },
    },
    context(
      `*${from} to ${to}* · ${escapeSlack(zone)} · ${slackLink(windowLink(summary), 'Open in Datadog Audit Trail')}`,
    ),
  ];
  const warning = warningBlock(summary);
  if (warning) blocks.push(warning);
  blocks.push(totalsBlock(summary), dailyBlock(summary), { type: 'divider' }, ...anomalyBlocks(summary), {
    type: 'divider',
  });
  blocks.push(
    section(
      listField(
        '*Top users*',
        summary.top_users.map((u) => ({ name: u.user, count: u.calls })),
        SLACK_LIMITS.topUsers,
        SLACK_LIMITS.sectionText,
      ),
    ),
    {
      type: 'section',
      fields: [
        mrkdwn(
          listField(
            '*Actions*',
            summary.actions_breakdown.map((a) => ({ name: a.action, count: a.count })),
            SLACK_LIMITS.breakdown,
            SLACK_LIMITS.fieldText,
          ),
        ),
        mrkdwn(
          listField(
            '*Resource types*',
            summary.resource_types.map((r) => ({ name: r.type, count: r.count })),
            SLACK_LIMITS.breakdown,
            SLACK_LIMITS.fieldText,
          ),
        ),
      ],
    },
    changesBlock(summary),
    context(
      `Window ${escapeSlack(formatDateTime(Date.parse(summary.window.from), zone))} to ${escapeSlack(formatDateTime(Date.parse(summary.window.to), zone))} (end exclusive), ${escapeSlack(zone)} · ${slackLink(windowLink(summary), 'Open in Datadog Audit Trail')}`,
    ),
  );
  return {
    channel,
    text: slackFallbackText(summary),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
    unfurl_links: false,
    unfurl_media: false,
  };
}
