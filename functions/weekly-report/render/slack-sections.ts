/**
 * The Slack post's sections as Block Kit blocks, each read from the report's view (render/view/):
 * the notice, the totals, the groups of flags (a few on the channel post, all of them in its
 * thread), the daily and weekly tables (monospace code blocks, legible in Slack's light and dark
 * themes alike, where inline code turned red and a sparkline of similar weeks a solid block), the
 * tools and clients, the changes, and the ranked lists' fields. Every list is cut to the room it
 * is given, ending in "and N more" with a link to what it left out in Datadog.
 */
import type { KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { AGENT_QUERY, anyOfTerm, narrowAuditLink } from '../core/links';
import { boundedUrl, escapeSlack, safeUrl, slackLink } from './escape';
import {
  context,
  fitLines,
  moreLink,
  mrkdwn,
  restLink,
  SLACK_LIMITS,
  section,
  value,
  windowLink,
} from './slack-mrkdwn';
import {
  type Colour,
  type DeltaView,
  type Figure,
  formatCount,
  type GroupView,
  pluralize,
  type RankedList,
  type ReportView,
  type TrendView,
} from './view';

/** How much room the lists get; shrunk step by step until the whole message fits `blocksTotal`. */
export interface Room {
  /** Longest section text of a list (anomalies, top users, changes, warnings). */
  readonly section: number;
  /** Longest field text (actions, resource types). */
  readonly field: number;
}

const SEVERITY_EMOJI: Readonly<Record<Colour, string>> = {
  red: ':red_circle:',
  orange: ':large_orange_circle:',
  blue: ':large_blue_circle:',
};

function deltaText({ delta }: Figure): string {
  return delta ? `  _${delta.short}_` : '';
}

export function totalsBlock({ figures, anomalies, ai, triage }: ReportView): SectionBlock {
  const title = (f: Figure): string => `*${escapeSlack(f.label)}*`;
  const breakdown = anomalies.severities
    .filter((s) => s.count > 0)
    .map((s) => `${s.formatted} ${s.severity}`)
    .join(', ');
  // Rules not evaluated, by why: `3 rules not evaluated (no baseline)`, `1 rule not evaluated (no usage metric)`.
  const groups = triage.summary ? `\n_${escapeSlack(triage.summary.replace(/: .*$/, ''))}_` : '';
  const unevaluated = anomalies.unevaluated
    .map((u) => `\n_${pluralize(u.rules, 'rule')} not evaluated (${escapeSlack(u.reason)})_`)
    .join('');
  const fields = [
    `${title(figures.calls)}\n${figures.calls.formatted}${deltaText(figures.calls)}`,
    `${title(figures.people)}\n${figures.people.formatted}${deltaText(figures.people)}`,
    `${title(figures.anomalies)}\n${figures.anomalies.formatted}${breakdown ? ` (${breakdown})` : ''}${groups}${unevaluated}`,
    `${title(figures.changes)}\n${figures.changes.formatted} create/modify/delete ${ai ? 'AI actions' : 'calls'}`,
    // A report of every kind of AI activity: how many AI actions, how many autonomous.
    ...(ai
      ? [`${title(ai.total)}\n${ai.total.formatted} (${ai.autonomous.formatted} autonomous)${deltaText(ai.total)}`]
      : []),
  ];
  return {
    type: 'section',
    fields: fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwn(f.slice(0, SLACK_LIMITS.fieldText))),
  };
}

/** Right-aligns `text` in `width` columns. */
function pad(text: string, width: number): string {
  return text.length >= width ? text : `${' '.repeat(width - text.length)}${text}`;
}

/** A bar of up to `width` full blocks and one eighth-step block, for a monospace table. */
function textBar(fraction: number, width: number): string {
  const eighths = Math.max(0, Math.round(fraction * width * 8));
  const part = ' ▏▎▍▌▋▊▉'[eighths % 8] ?? '';
  return `${'█'.repeat(Math.floor(eighths / 8))}${part.trim()}`;
}

/** Days a Slack table lists (the last ones); a longer window says it is cut. */
const TABLE_DAYS = 14;

/**
 * Calls per day as a monospace table in a code block, one row per day with its count and a bar:
 * legible in Slack's light and dark themes alike (a code block keeps the theme's text colour).
 */
export function dailyBlock({ daily }: ReportView): SectionBlock {
  const days = daily.days.slice(-TABLE_DAYS);
  if (days.length === 0 || !daily.peak) return section(`*Daily calls*\n${escapeSlack(daily.empty)}`);
  const max = Math.max(1, ...days.map((d) => d.calls));
  const width = Math.max(...days.map((d) => d.formatted.length));
  const rows = days.map((d) => `${d.label.padEnd(10)} ${pad(d.formatted, width)} ${textBar(d.calls / max, 16)}`);
  const cut = daily.days.length > days.length ? ` (the last ${days.length} of ${daily.days.length} days)` : '';
  return section(
    `*Daily calls*${cut} · peak ${daily.peak.formatted} on ${escapeSlack(daily.peak.label)}\n\`\`\`${rows.join('\n')}\`\`\``,
  );
}

/**
 * The weekly trend as a monospace table, every week on a row labelled by its last day: its calls,
 * and (when the report reads every kind of AI activity) its AI actions and the autonomous ones; a
 * week without an archived report says so, never a number. Undefined without a trend.
 */
export function trendBlock(trend: TrendView | undefined): SectionBlock | undefined {
  if (!trend) return undefined;
  const rows = trend.weeks.map((w) => {
    const calls = w.calls === null ? 'no report' : formatCount(w.calls);
    const partial = w.complete === false ? ' (partial)' : '';
    if (!trend.hasAi) return `${w.label.padEnd(10)} ${pad(calls, 9)}${partial}`;
    const ai = w.aiTotal === null ? '–' : formatCount(w.aiTotal);
    const auto = w.autonomous === null ? '–' : formatCount(w.autonomous);
    return `${w.label.padEnd(10)} ${pad(calls, 9)} ${pad(ai, 10)} ${pad(auto, 10)}${partial}`;
  });
  const head = trend.hasAi
    ? `${'Week to'.padEnd(10)} ${pad('Tool calls', 9)} ${pad('AI actions', 10)} ${pad('autonomous', 10)}`
    : `${'Week to'.padEnd(10)} ${pad('Tool calls', 9)}`;
  return section(`*Weekly* · ${escapeSlack(trend.caption)}\n\`\`\`${[head, ...rows].join('\n')}\`\`\``);
}

/**
 * A ranked list cut to fit `max`; its "and N more" links to `restUrl(shownNames)`, the calls of
 * the items it did not show.
 */
export function listField(
  title: string,
  list: RankedList,
  limit: number,
  max: number,
  restUrl: (shownNames: readonly string[]) => string,
): string {
  const { items } = list;
  if (items.length === 0) return `${title}\nNone`;
  const offered = items.slice(0, limit);
  return fitLines(
    title,
    offered.map((item, i) => `${i + 1}. ${value(item.name)} — ${item.formatted}`),
    max,
    (left) => moreLink(left, restUrl(items.slice(0, items.length - left).map((i) => i.name))),
    items.length - offered.length,
  ).text;
}

/** `12 deletions (monitor ×8, notebook ×4) on security_rule`: what a group covers, escaped, for a link label. */
function groupWhat(group: GroupView): string {
  const types = group.breakdown.map((t) => `${value(t.name, 30)} ×${formatCount(t.count)}`);
  if (group.moreTypes > 0) types.push(`${formatCount(group.moreTypes)} more types`);
  const q = group.qualifier ? ` ${group.qualifier.word} ${value(group.qualifier.value, 40)}` : '';
  return `${group.countLabel}${types.length > 0 ? ` (${types.join(', ')})` : ''}${q}`;
}

/**
 * A Slack link whose label is already mrkdwn-escaped (the group's names passed `value`): the
 * label cannot close the link, since `value` escaped its `>` and `|` stays text after the first.
 */
function escapedLink(url: string, label: string): string {
  return `<${safeUrl(url)}|${label.replace(/\|/g, '¦')}>`;
}

/** `new`, `recurring · 3 weeks`. */
function statusText(group: GroupView): string {
  return group.status === 'new' ? 'new' : `recurring · ${pluralize(group.weeks, 'week')}`;
}

/**
 * One group on one line: severity, rule, person, what it covers (a link to exactly its events,
 * in words that say what it opens) and its status; in the thread also when (in the report's
 * zone, which it names) and, quoted below, why it has its severity.
 */
export function groupLine(group: GroupView, fallback: string, full: boolean): string {
  const url = boundedUrl(group.link.url, fallback, SLACK_LIMITS.link);
  const head = `${SEVERITY_EMOJI[group.colour]} *${escapeSlack(group.label)}* · ${value(group.person)} · ${escapedLink(url, groupWhat(group))} · _${statusText(group)}_`;
  if (!full) return head;
  const expired = group.exceptionExpired ? ` · *${value(group.exceptionExpired, 160)}*` : '';
  const detail = group.detail ? `\n>${value(group.detail, SLACK_LIMITS.detail)}` : '';
  return `${head}\n>${escapeSlack(group.when)} · ${escapeSlack(group.severityReason)}${expired}${detail}`;
}

/**
 * The channel post's triage: the new and recurring high and medium groups (at most `SLACK_LIMITS.
 * postGroups`), then how many more there are (in the thread), what exceptions accept and what
 * was resolved: a few lines, readable without "Show more".
 */
export function postTriageBlock(view: ReportView): SectionBlock {
  const { triage, anomalies } = view;
  const fallback = windowLink(view);
  if (anomalies.total === 0) {
    return section(`*Anomalies*\n:white_check_mark: ${escapeSlack(anomalies.empty)}`);
  }
  const major = triage.groups.filter((g) => g.severity !== 'low');
  const shown = major.slice(0, SLACK_LIMITS.postGroups);
  const title =
    major.length > 0
      ? `*Needs a look* — ${pluralize(major.length, 'high or medium group', 'high and medium groups')}`
      : `*Anomalies* — ${escapeSlack(triage.summary)}`;
  const tail = [
    ...triage.accepted.map((a) => `${value(a.text, 160)}`),
    triage.resolved.length > 0 ? `${formatCount(triage.resolved.length)} resolved since last week` : '',
  ].filter((t) => t !== '');
  const tailLine = tail.length > 0 ? `\n_${tail.join(' · ')}_` : '';
  // Whole lines only: a cut never splits a link. The groups left out are counted, and are in the thread.
  const { text } = fitLines(
    title,
    shown.map((g) => groupLine(g, fallback, false)),
    SLACK_LIMITS.sectionText - tailLine.length,
    (left) => `_and ${pluralize(left, 'more group', 'more groups')} in the thread_`,
    triage.groups.length - shown.length,
  );
  return section(`${text}${tailLine}`);
}

/**
 * The thread's triage: every group by severity (each section cut to `room`, "and N more" linking
 * to the window in Datadog), then what exceptions accept, what was resolved, what was compared
 * with, and the rules that could not be evaluated.
 */
export function threadTriageBlocks(view: ReportView, room: Room): KnownBlock[] {
  const { triage, anomalies } = view;
  const fallback = windowLink(view);
  const unevaluated = anomalies.unevaluated.map(
    ({ reason }) =>
      `Not evaluated (${escapeSlack(reason)}): ${escapeSlack(
        anomalies.kinds
          .filter((k) => k.notEvaluated === reason)
          .map((k) => k.label.toLowerCase())
          .join(', '),
      )}`,
  );
  if (anomalies.total === 0) {
    const blocks: KnownBlock[] = [section(`*Anomalies*\n:white_check_mark: ${escapeSlack(anomalies.empty)}`)];
    const notes = [...unevaluated, ...(triage.comparison ? [escapeSlack(triage.comparison)] : [])];
    if (notes.length > 0) blocks.push(context(notes.join(' · ').slice(0, SLACK_LIMITS.sectionText)));
    return blocks;
  }
  const blocks: KnownBlock[] = [section(`*Anomaly groups* — ${escapeSlack(triage.summary)}`)];
  for (const severity of ['high', 'medium', 'low'] as const) {
    const groups = triage.groups.filter((g) => g.severity === severity);
    if (groups.length === 0) continue;
    const label = `${severity.charAt(0).toUpperCase()}${severity.slice(1)}`;
    const { text } = fitLines(
      `*${label} · ${formatCount(groups.length)}*`,
      groups.map((g) => groupLine(g, fallback, true)),
      room.section,
      (left) => moreLink(left, fallback, `${severity} groups`),
    );
    blocks.push(section(text));
  }
  const notes = [
    ...triage.accepted.map((a) => `:heavy_check_mark: ${value(a.text, 200)}: ${value(a.reason, 200)}`),
    ...(triage.resolved.length > 0
      ? [
          `*Resolved since last week:* ${triage.resolved
            .slice(0, 10)
            .map((r) => `${escapeSlack(r.label)} · ${value(r.person)} (${escapeSlack(r.weeksLabel)})`)
            .join('; ')}${triage.resolved.length > 10 ? `; and ${formatCount(triage.resolved.length - 10)} more` : ''}`,
        ]
      : []),
    ...(triage.comparison ? [escapeSlack(triage.comparison)] : []),
    ...unevaluated,
  ];
  if (notes.length > 0) blocks.push(context(notes.join('\n').slice(0, SLACK_LIMITS.sectionText)));
  return blocks;
}

/**
 * The "AI activity" section (`activity: all`; none otherwise): the kinds with their counts, the
 * autonomous and interactive split, the agents with theirs (cut to `room`, "and N more" linking to
 * the agents' events in Datadog), or that there were none, and the attribution share.
 */
export function aiBlock(view: ReportView, room: Room): SectionBlock | undefined {
  const { ai } = view;
  if (!ai) return undefined;
  const kinds = ai.kinds
    .map((k) => `• ${escapeSlack(k.label)} — ${k.formatted}  \`${escapeSlack(k.query)}\``)
    .join('\n');
  const autonomous = `*${ai.autonomous.formatted} autonomous* (no user present)${deltaText(ai.autonomous)} · ${ai.interactive.formatted} interactive`;
  const title = [
    `*${escapeSlack(ai.title)}* — ${ai.total.formatted} AI actions${deltaText(ai.total)} · ${slackLink(boundedUrl(ai.link.url, windowLink(view), SLACK_LIMITS.link), 'open in Datadog')}`,
    kinds,
    `_${escapeSlack(ai.counting)}_`,
    autonomous,
    ai.attribution ? escapeSlack(ai.attribution) : '',
    '*Datadog AI agents*',
  ]
    .filter((line) => line !== '')
    .join('\n');
  if (ai.noAgents !== undefined)
    return section(`${title}\n${escapeSlack(ai.noAgents)}`.slice(0, SLACK_LIMITS.sectionText));
  const lines = ai.agents.map(
    (a) => `• ${value(a.name)} — ${a.formatted} (${escapeSlack(a.split)}), ${escapeSlack(a.peopleLabel)}`,
  );
  const url = boundedUrl(narrowAuditLink(ai.link.url, [AGENT_QUERY]), windowLink(view), SLACK_LIMITS.restLink);
  return section(fitLines(title, lines, room.section, (left) => moreLink(left, url, 'agents')).text);
}

export function changesBlock(view: ReportView, room: Room): SectionBlock {
  const { total, items, empty } = view.changes;
  const title = `*${escapeSlack(view.figures.changes.label)}*`;
  if (total === 0) return section(`${title}\n${escapeSlack(empty)}`);
  const shown = items.slice(0, SLACK_LIMITS.changes);
  const lines = shown.map((c) => {
    const name = c.name ? ` “${value(c.name)}”` : '';
    const via = c.via ? ` via ${value(c.via)}` : '';
    return `• *${value(c.action)}* ${value(c.resourceType)}${name} \`${value(c.resourceId)}\` by ${value(c.user)}${via} · ${escapeSlack(c.time)}`;
  });
  const url = restLink(view, [anyOfTerm('action', ['created', 'modified', 'deleted'])]);
  const more = (left: number): string => moreLink(left, url);
  const heading = `${title} — ${pluralize(total, view.ai ? 'create/modify/delete AI action' : 'create/modify/delete call')}, newest first`;
  return section(fitLines(heading, lines, room.section, more, total - shown.length).text);
}

/** `, −9%`, `, +1`, `, new`: the change from the previous window in a few characters; empty when unknown or none. */
function compactChange(current: number, delta: DeltaView | undefined): string {
  if (!delta) return '';
  if (delta.previous === 0) return current > 0 ? ', new' : '';
  return delta.direction === 'flat' ? '' : `, ${delta.short.replace(/ vs previous week$/, '')}`;
}

/**
 * "Tools" and "AI clients" side by side (the MCP usage metric), each cut to `room.field` with
 * "and N more" linking to the metric in Datadog; or one line saying why they are not shown.
 */
export function usageBlock(view: ReportView, room: Room): KnownBlock {
  const { usage, links } = view;
  if (usage.unavailable !== undefined) {
    return context(
      `*Tools and AI clients:* ${value(usage.unavailable, 300)} · ${slackLink(boundedUrl(links.toolsMetric.url, '', SLACK_LIMITS.restLink), links.toolsMetric.text)}`,
    );
  }
  const tools = usage.tools.map(
    (t, i) => `${i + 1}. ${value(t.name)} — ${t.formatted} (${escapeSlack(t.share)}${compactChange(t.calls, t.delta)})`,
  );
  const clients = usage.clients.map((c) => `• ${value(c.name)} — ${c.callsLabel}, ${c.peopleLabel}`);
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
      field('*Tools*', tools, usage.moreTools, links.toolsMetric.url, 'None this week'),
      field('*AI clients*', clients, usage.moreClients, links.clientsMetric.url, 'None this week'),
    ],
  };
}

/** The partial-data banner (a section) or the notes on complete data (a context); nothing without either. */
export function noticeBlock({ notice }: ReportView, room: Room): KnownBlock | undefined {
  if (!notice) return undefined;
  const shown = notice.reasons.slice(0, SLACK_LIMITS.warnings).map((w) => `• ${value(w, 300)}`);
  const extra = notice.reasons.length - shown.length;
  // Notes are ours, not Datadog's: no Datadog view holds them, so this "and N more" has no link.
  const more = (left: number): string => `_and ${formatCount(left)} more notes_`;
  if (notice.level === 'partial') {
    // The view's sentence continues the title after a dash, so it starts in lower case.
    const text = `${notice.text.charAt(0).toLowerCase()}${notice.text.slice(1)}`;
    const title = `:warning: *${escapeSlack(notice.title)}* — ${escapeSlack(text)}`;
    return section(fitLines(title, shown, room.section, more, extra).text);
  }
  return context(
    fitLines(`:information_source: *${escapeSlack(notice.title)}*`, shown, room.section, more, extra).text,
  );
}
