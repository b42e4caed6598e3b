/**
 * The weekly Slack post: `chat.postMessage` arguments with a notification `text` and Block Kit
 * `blocks`. Every audit-derived string is escaped for mrkdwn (`&`, `<`, `>`) and kept from
 * formatting the post, every text object is `verbatim` (no auto-linking of names or mentions),
 * and every list is cut to fit Slack's limits with "and N more" linking to the calls it left out
 * in Datadog, so the post never fails for being too big: not per block, not in total.
 */
import type { ContextBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { anyOfTerm, excludeTerms, narrowAuditLink } from '../core/links';
import type { AnomalyFlag, Severity, Summary } from '../core/types';
import type { SlackMessage } from '../ports';
import { boundedUrl, clipLine, escapeSlack, escapeWithin, inertMrkdwn, singleLine, slackLink } from './escape';
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
  sparkline,
  sparklineWithGaps,
  trendCaption,
  weeklyTrend,
  zoneOf,
} from './format';
import { reportTitle } from './text-report';
import { usageView } from './usage-view';

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
  /** Longest link behind an "and N more"; a longer one falls back to the window's link. */
  restLink: 600,
  /**
   * Our cap on the whole `blocks` array, as JSON. Slack refuses a message whose blocks add up to
   * about 13,200 characters (`msg_blocks_too_long`, slackapi/bolt-js#2509) although each block is
   * within its own limit. How Slack counts is not documented; the JSON is never shorter than the
   * text in it, so 12,000 of JSON leaves a margin however it counts.
   */
  blocksTotal: 12_000,
} as const;

/** How much room the lists get; shrunk step by step until the whole message fits `blocksTotal`. */
interface Room {
  /** Longest section text of a list (anomalies, top users, changes, warnings). */
  readonly section: number;
  /** Longest field text (actions, resource types). */
  readonly field: number;
}

const FULL_ROOM: Room = { section: SLACK_LIMITS.sectionText, field: SLACK_LIMITS.fieldText };
/** Below this a list shows little more than its "and N more"; the last step drops the lists. */
const MIN_ROOM: Room = { section: 400, field: 300 };

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
  return escapeWithin(inertMrkdwn(clipLine(raw, max)), max * 2, escapeSlack);
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
 * `extra` items were never offered), ends with `more(n)` for the n not shown; the count of lines
 * is chosen so that the whole text, that line included, fits.
 */
export function fitLines(
  title: string,
  lines: readonly string[],
  max: number,
  more: (left: number) => string,
  extra = 0,
): { text: string; shown: number } {
  const join = (parts: readonly string[]): string => parts.filter((p) => p !== '').join('\n');
  const build = (shown: number): string => {
    const left = lines.length - shown + extra;
    return join([title, ...lines.slice(0, shown), left > 0 ? more(left) : '']);
  };
  // The most lines whose text alone fits; then fewer while the "and N more" line does not fit too.
  let shown = 0;
  let length = title.length;
  while (shown < lines.length && length + 1 + (lines[shown]?.length ?? 0) <= max) {
    length += 1 + (lines[shown]?.length ?? 0);
    shown += 1;
  }
  let text = build(shown);
  while (shown > 0 && text.length > max) {
    shown -= 1;
    text = build(shown);
  }
  return { text: text.slice(0, max) || ' ', shown };
}

function windowLink(summary: Summary): string {
  return boundedUrl(summary.link, '', SLACK_LIMITS.link);
}

/** The window's Audit Trail link narrowed by `terms`, or the window's own link when that gets too long. */
function restLink(summary: Summary, terms: readonly string[]): string {
  const window = windowLink(summary);
  // Terms that cannot fit are not worth encoding (values can be 5000 characters long).
  if (terms.reduce((sum, t) => sum + t.length, window.length) > SLACK_LIMITS.restLink) return window;
  return boundedUrl(narrowAuditLink(window, terms), window, SLACK_LIMITS.restLink);
}

/** Values too long for any link are left out of one before they are quoted. */
function linkable(values: readonly string[]): string[] | undefined {
  return values.every((v) => v.length <= SLACK_LIMITS.restLink) ? [...values] : undefined;
}

/** `and 4 more in Datadog`, the whole phrase a link to the calls left out. */
function moreLink(left: number, url: string, what = ''): string {
  return slackLink(url, `and ${formatCount(left)} more${what ? ` ${what}` : ''} in Datadog`);
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
  // Rules not evaluated, by why: `3 rules not evaluated (no baseline)`, `1 rule not evaluated (no usage metric)`.
  const why = new Map<string, number>();
  for (const kind of Object.keys(KIND_LABELS) as Array<keyof typeof KIND_LABELS>) {
    if (summary.anomaly_counts[kind] !== null) continue;
    const reason = notEvaluatedWhy(summary, kind);
    why.set(reason, (why.get(reason) ?? 0) + 1);
  }
  const unevaluated = [...why].map(([reason, n]) => `\n_${pluralize(n, 'rule')} not evaluated (${reason})_`).join('');
  const anomalies = `*Anomalies*\n${formatCount(total)}${breakdown ? ` (${breakdown})` : ''}${unevaluated}`;
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
  const weeks = weeklyTrend(summary);
  // The weekly trend, one sparkline line (a week without an archived report is a dot).
  const trend =
    weeks.length > 0
      ? `\n*Weekly calls*  \`${sparklineWithGaps(weeks.map((w) => w.calls))}\`  ${escapeSlack(trendCaption(weeks))}`
      : '';
  return section(
    `*Daily calls*  \`${spark}\`\n${escapeSlack(formatDayLabel(first.date))} → ${escapeSlack(formatDayLabel(last.date))} · peak ${formatCount(peak.calls)} on ${escapeSlack(formatDayLabel(peak.date))}${trend}`,
  );
}

function rankedLines(items: ReadonlyArray<{ readonly name: string; readonly count: number }>): string[] {
  return items.map((item, i) => `${i + 1}. ${value(item.name)} — ${formatCount(item.count)}`);
}

/**
 * A ranked list cut to fit `max`; its "and N more" links to `restUrl(shownNames)`, the calls of
 * the items it did not show.
 */
function listField(
  title: string,
  items: ReadonlyArray<{ readonly name: string; readonly count: number }>,
  limit: number,
  max: number,
  restUrl: (shownNames: readonly string[]) => string,
): string {
  if (items.length === 0) return `${title}\nNone`;
  const offered = items.slice(0, limit);
  return fitLines(
    title,
    rankedLines(offered),
    max,
    (left) => moreLink(left, restUrl(items.slice(0, items.length - left).map((i) => i.name))),
    items.length - offered.length,
  ).text;
}

function anomalyLine(flag: AnomalyFlag, zone: string, fallback: string): string {
  const label = KIND_LABELS[flag.kind] ?? flag.kind;
  const what = flagSubject(flag).map((v) => value(v));
  const count = flag.count > 1 ? ` · ${formatCount(flag.count)} calls` : '';
  // The detail is a quote of its own: Slack indents a quote as a whole, wrapped lines included.
  const detail = flag.detail ? `\n>${value(flag.detail, SLACK_LIMITS.detail)}` : '';
  const link = slackLink(boundedUrl(flag.link, fallback, SLACK_LIMITS.link), 'view');
  const time = flagTime(flag, zone);
  return `${SEVERITY_EMOJI[flag.severity] ?? ''} *${escapeSlack(label)}* · ${what.join(' · ')}${time ? ` · ${escapeSlack(time)}` : ''}${count} · ${link}${detail}`;
}

/** Query terms that find the calls behind flags of these kinds, or undefined when some kind has none. */
function kindTerms(flags: readonly AnomalyFlag[]): string[] | undefined {
  const deletions = new Set<string>();
  let support = false;
  for (const flag of flags) {
    if (flag.kind === 'destructive_action') deletions.add(flag.action);
    else if (flag.kind === 'support_user') support = true;
    else return undefined;
  }
  const terms = [...deletions].sort().map((action) => anyOfTerm('action', [action]));
  if (support) terms.push(anyOfTerm('evt.actor.type', ['SUPPORT_USER']));
  if (terms.length <= 1) return terms;
  return [`(${terms.join(' OR ')})`];
}

function anomalyBlocks(summary: Summary, room: Room, lineOf: (flag: AnomalyFlag) => string): KnownBlock[] {
  const total = anomalyTotal(summary);
  const counts = summary.anomaly_counts;
  const kinds = Object.keys(KIND_LABELS) as Array<keyof typeof KIND_LABELS>;
  const parts = [
    ...kinds.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${KIND_LABELS[k]} ${formatCount(counts[k] ?? 0)}`),
    ...kinds
      .filter((k) => counts[k] === null)
      .map((k) => `${KIND_LABELS[k]} _not evaluated (${notEvaluatedWhy(summary, k)})_`),
  ];
  const title =
    total === 0
      ? '*Anomalies*\n:white_check_mark: No anomalies flagged this week.'
      : `*Anomalies* (${formatCount(total)})`;
  const blocks: KnownBlock[] = [
    section(`${title}${parts.length > 0 ? `\n${parts.join(' · ')}` : ''}`.slice(0, SLACK_LIMITS.sectionText)),
  ];
  if (total === 0) return blocks;
  const fallback = windowLink(summary);
  const bySeverity = severityCounts(summary);
  let budget: number = SLACK_LIMITS.anomalies;
  let shownTotal = 0;
  for (const severity of SEVERITIES) {
    const all = summary.anomalies.filter((f) => f.severity === severity);
    if (all.length === 0) continue;
    const candidates = all.slice(0, Math.max(0, budget));
    const heading = `*${severity[0]?.toUpperCase()}${severity.slice(1)} · ${formatCount(bySeverity[severity])}*`;
    // The rest of this severity in Datadog: narrowed to its kinds where a query can say them.
    const rest = (left: number): string => restLink(summary, kindTerms(all.slice(all.length - left)) ?? []);
    const { text, shown } = fitLines(
      heading,
      candidates.map(lineOf),
      room.section,
      (left) => moreLink(left, rest(left), severity),
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

function changesBlock(summary: Summary, room: Room): SectionBlock {
  const { total, items } = summary.changes;
  if (total === 0) return section('*Resources changed*\nNo resources were created, modified or deleted.');
  const zone = zoneOf(summary);
  const shown = items.slice(0, SLACK_LIMITS.changes);
  const lines = shown.map((c) => {
    const name = c.resource_name && c.resource_name !== c.resource_id ? ` “${value(c.resource_name)}”` : '';
    return `• *${value(c.action)}* ${value(c.resource_type)}${name} \`${value(c.resource_id)}\` by ${value(c.user)} · ${escapeSlack(formatShortTime(c.timestamp, zone))}`;
  });
  const title = `*Resources changed* — ${pluralize(total, 'create/modify/delete call')}, newest first`;
  const url = restLink(summary, [anyOfTerm('action', ['created', 'modified', 'deleted'])]);
  const more = (left: number): string => moreLink(left, url);
  return section(fitLines(title, lines, room.section, more, total - shown.length).text);
}

/** `, −9%`, `, +1`, `, new`: the change from the previous window in a few characters; empty when unknown or none. */
function compactChange(current: number, previous: number | null): string {
  if (previous === null) return '';
  if (previous === 0) return current > 0 ? ', new' : '';
  const delta = computeDelta(current, previous);
  return delta.direction === 'flat' ? '' : `, ${delta.short.replace(/ vs previous week$/, '')}`;
}

/**
 * "Tools" and "AI clients" side by side (the MCP usage metric), each cut to `room.field` with
 * "and N more" linking to the metric in Datadog; or one line saying why they are not shown.
 */
function usageBlock(summary: Summary, room: Room): KnownBlock {
  const view = usageView(summary);
  if (view.unavailable !== undefined) {
    return context(
      `*Tools and AI clients:* ${value(view.unavailable, 300)} · ${slackLink(boundedUrl(view.link, '', SLACK_LIMITS.restLink), 'Open the metric in Datadog')}`,
    );
  }
  const tools = view.tools.map(
    (t, i) =>
      `${i + 1}. ${value(t.name)} — ${formatCount(t.calls)} (${escapeSlack(t.share)}${compactChange(t.calls, t.previous)})`,
  );
  const clients = view.clients.map(
    (c) => `• ${value(c.name)} — ${pluralize(c.calls, 'call')}, ${pluralize(c.people, 'person', 'people')}`,
  );
  const field = (title: string, lines: string[], extra: number, url: string, none: string): MrkdwnElement =>
    mrkdwn(
      lines.length === 0
        ? `${title}\n${none}`
        : fitLines(
            title,
            lines,
            room.field,
            (left) => moreLink(left, boundedUrl(url, '', SLACK_LIMITS.restLink)),
            extra,
          ).text,
    );
  return {
    type: 'section',
    fields: [
      field('*Tools*', tools, view.moreTools, view.link, 'None this week'),
      field('*AI clients*', clients, view.moreClients, view.clientsLink, 'None this week'),
    ],
  };
}

function warningBlock(summary: Summary, room: Room): KnownBlock | undefined {
  const shown = summary.warnings.slice(0, SLACK_LIMITS.warnings).map((w) => `• ${value(w, 300)}`);
  const extra = summary.warnings.length - shown.length;
  // Notes are ours, not Datadog's: no Datadog view holds them, so this "and N more" has no link.
  const more = (left: number): string => `_and ${formatCount(left)} more notes_`;
  if (!summary.complete) {
    const title =
      ':warning: *Partial data* — some audit events could not be read, so the numbers below are a lower bound.';
    return section(fitLines(title, shown, room.section, more, extra).text);
  }
  if (shown.length === 0) return undefined;
  return context(fitLines(':information_source: *Note*', shown, room.section, more, extra).text);
}

/**
 * The notification line: `AI Activity Audit — Acme — 2026-11-16 to 2026-11-22: 2,000 calls by 67 people,
 * 3 anomalies (1 high)`, with ` [partial]` after the dates when the data is incomplete.
 */
export function slackFallbackText(summary: Summary): string {
  const { from, to } = reportDays(summary);
  return `AI Activity Audit — ${value(reportTitle(summary), 140)} — ${from} to ${to}${partialMark(summary)}: ${headline(summary)}`;
}

/** Length of `blocks` as Slack receives them (JSON), the measure of `SLACK_LIMITS.blocksTotal`. */
export function blocksLength(blocks: readonly KnownBlock[]): number {
  return JSON.stringify(blocks).length;
}

/** Every block of the post, the lists given `room` (or left out, with a link to them, when `room` is undefined). */
function reportBlocks(summary: Summary, room: Room | undefined, lineOf: (flag: AnomalyFlag) => string): KnownBlock[] {
  const { from, to } = reportDays(summary);
  const zone = zoneOf(summary);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: escapeWithin(
          `AI Activity Audit — ${singleLine(reportTitle(summary))}`,
          SLACK_LIMITS.headerText,
          escapeSlack,
        ),
        emoji: false,
      },
    },
    context(
      `*${from} to ${to}* · ${escapeSlack(zone)} · ${slackLink(windowLink(summary), 'Open in Datadog Audit Trail')}`,
    ),
  ];
  const warning = warningBlock(summary, room ?? MIN_ROOM);
  if (warning) blocks.push(warning);
  blocks.push(totalsBlock(summary), dailyBlock(summary));
  if (!room) {
    blocks.push(
      context(
        `The lists did not fit in one Slack message · ${slackLink(windowLink(summary), 'Open this week in Datadog Audit Trail')}`,
      ),
    );
    return blocks;
  }
  blocks.push({ type: 'divider' }, ...anomalyBlocks(summary, room, lineOf), { type: 'divider' });
  blocks.push(
    section(
      listField(
        '*Top users*',
        summary.top_users.map((u) => ({ name: u.user, count: u.calls })),
        SLACK_LIMITS.topUsers,
        room.section,
        // People are shown by email, name or id, so no query can leave exactly them out: all calls.
        () => windowLink(summary),
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
            room.field,
            (shown) => restLink(summary, excludeTerms('action', linkable(shown) ?? [])),
          ),
        ),
        mrkdwn(
          listField(
            '*Resource types*',
            summary.resource_types.map((r) => ({ name: r.type, count: r.count })),
            SLACK_LIMITS.breakdown,
            room.field,
            (shown) => restLink(summary, excludeTerms('asset.type', linkable(shown) ?? [])),
          ),
        ),
      ],
    },
    usageBlock(summary, room),
    changesBlock(summary, room),
    context(
      `Window ${escapeSlack(formatDateTime(Date.parse(summary.window.from), zone))} to ${escapeSlack(formatDateTime(Date.parse(summary.window.to), zone))} (end exclusive), ${escapeSlack(zone)} · ${slackLink(windowLink(summary), 'Open in Datadog Audit Trail')}`,
    ),
  );
  return blocks.slice(0, SLACK_LIMITS.blocks);
}

/**
 * The blocks within `cap` (JSON characters): with full room when they fit, else with every list
 * given less room step by step (each still ends in "and N more" with its link), and as a last
 * resort without the lists.
 */
export function fitSlackBlocks(summary: Summary, cap: number = SLACK_LIMITS.blocksTotal): KnownBlock[] {
  // An anomaly's line does not depend on the room: each is built once, however many tries it takes.
  const zone = zoneOf(summary);
  const fallback = windowLink(summary);
  const lines = new Map<AnomalyFlag, string>();
  const lineOf = (flag: AnomalyFlag): string => {
    let line = lines.get(flag);
    if (line === undefined) {
      line = anomalyLine(flag, zone, fallback);
      lines.set(flag, line);
    }
    return line;
  };
  let room: Room = FULL_ROOM;
  for (;;) {
    const blocks = reportBlocks(summary, room, lineOf);
    if (blocksLength(blocks) <= cap) return blocks;
    if (room.section <= MIN_ROOM.section && room.field <= MIN_ROOM.field) break;
    room = {
      section: Math.max(MIN_ROOM.section, Math.floor(room.section * 0.8)),
      field: Math.max(MIN_ROOM.field, Math.floor(room.field * 0.8)),
    };
  }
  return reportBlocks(summary, undefined, lineOf);
}

/** Builds the `chat.postMessage` arguments (without the token) for `channel`. */
export function buildSlackMessage(summary: Summary, channel: string): ReportSlackMessage {
  return {
    channel,
    text: slackFallbackText(summary),
    blocks: fitSlackBlocks(summary),
    unfurl_links: false,
    unfurl_media: false,
  };
}
