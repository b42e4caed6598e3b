/**
 * The Slack post's sections as Block Kit blocks, each read from the report's view (render/view/):
 * the notice, the totals, the daily and weekly sparklines, the anomalies by severity, the tools
 * and clients, the changes, and the ranked lists' fields. Every list is cut to the room it is
 * given, ending in "and N more" with a link to what it left out in Datadog.
 */
import type { KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { AGENT_QUERY, anyOfTerm, narrowAuditLink } from '../core/links';
import { boundedUrl, escapeSlack, slackLink } from './escape';
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
  type FlagView,
  formatCount,
  pluralize,
  type RankedList,
  type ReportView,
  type SeverityView,
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

export function totalsBlock({ figures, anomalies, ai }: ReportView): SectionBlock {
  const title = (f: Figure): string => `*${escapeSlack(f.label)}*`;
  const breakdown = anomalies.severities
    .filter((s) => s.count > 0)
    .map((s) => `${s.formatted} ${s.severity}`)
    .join(', ');
  // Rules not evaluated, by why: `3 rules not evaluated (no baseline)`, `1 rule not evaluated (no usage metric)`.
  const unevaluated = anomalies.unevaluated
    .map((u) => `\n_${pluralize(u.rules, 'rule')} not evaluated (${escapeSlack(u.reason)})_`)
    .join('');
  const fields = [
    `${title(figures.calls)}\n${figures.calls.formatted}${deltaText(figures.calls)}`,
    `${title(figures.people)}\n${figures.people.formatted}${deltaText(figures.people)}`,
    `${title(figures.anomalies)}\n${figures.anomalies.formatted}${breakdown ? ` (${breakdown})` : ''}${unevaluated}`,
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

export function dailyBlock({ daily, trend }: ReportView): SectionBlock {
  const first = daily.days[0];
  const last = daily.days[daily.days.length - 1];
  if (!first || !last || !daily.peak) return section(`*Daily calls*\n${escapeSlack(daily.empty)}`);
  // The weekly trend, one sparkline line (a week without an archived report is a dot).
  const weekly = trend ? `\n*Weekly calls*  \`${trend.sparkline}\`  ${escapeSlack(trend.caption)}` : '';
  const { peak } = daily;
  return section(
    `*Daily calls*  \`${daily.sparkline}\`\n${escapeSlack(first.label)} → ${escapeSlack(last.label)} · peak ${peak.formatted} on ${escapeSlack(peak.label)}${weekly}`,
  );
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

/** One flag on one line (its detail quoted below), for the section of its severity. */
export function anomalyLine(flag: FlagView, severity: SeverityView, fallback: string): string {
  const what = flag.subject.map((v) => value(v));
  const count = flag.calls ? ` · ${flag.calls}` : '';
  // The detail is a quote of its own: Slack indents a quote as a whole, wrapped lines included.
  const detail = flag.detail ? `\n>${value(flag.detail, SLACK_LIMITS.detail)}` : '';
  const link = slackLink(boundedUrl(flag.link.url, fallback, SLACK_LIMITS.link), 'view');
  const time = flag.time ? ` · ${escapeSlack(flag.time)}` : '';
  return `${SEVERITY_EMOJI[severity.colour]} *${escapeSlack(flag.label)}* · ${what.join(' · ')}${time}${count} · ${link}${detail}`;
}

/** Query terms that find the calls behind flags of these kinds, or undefined when some kind has none. */
function kindTerms(flags: readonly FlagView[]): string[] | undefined {
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

export function anomalyBlocks(
  view: ReportView,
  room: Room,
  lineOf: (flag: FlagView, severity: SeverityView) => string,
): KnownBlock[] {
  const { anomalies } = view;
  const parts = [
    ...anomalies.kinds.filter((k) => (k.count ?? 0) > 0).map((k) => `${k.label} ${k.formatted}`),
    ...anomalies.kinds.filter((k) => k.count === null).map((k) => `${k.label} _not evaluated (${k.notEvaluated})_`),
  ];
  const title =
    anomalies.total === 0
      ? `*Anomalies*\n:white_check_mark: ${escapeSlack(anomalies.empty)}`
      : `*Anomalies* (${anomalies.formatted})`;
  const blocks: KnownBlock[] = [
    section(`${title}${parts.length > 0 ? `\n${parts.join(' · ')}` : ''}`.slice(0, SLACK_LIMITS.sectionText)),
  ];
  if (anomalies.total === 0) return blocks;
  let budget: number = SLACK_LIMITS.anomalies;
  let shownTotal = 0;
  for (const severity of anomalies.severities) {
    const all = anomalies.flags.filter((f) => f.severity === severity.severity);
    if (all.length === 0) continue;
    const candidates = all.slice(0, Math.max(0, budget));
    const heading = `*${severity.label} · ${severity.formatted}*`;
    // The rest of this severity in Datadog: narrowed to its kinds where a query can say them.
    const rest = (left: number): string => restLink(view, kindTerms(all.slice(all.length - left)) ?? []);
    const { text, shown } = fitLines(
      heading,
      candidates.map((f) => lineOf(f, severity)),
      room.section,
      (left) => moreLink(left, rest(left), severity.severity),
      all.length - candidates.length,
    );
    budget -= shown;
    shownTotal += shown;
    blocks.push(section(text));
  }
  if (anomalies.total > shownTotal) {
    blocks.push(
      context(
        `${formatCount(shownTotal)} of ${anomalies.formatted} listed · ${slackLink(windowLink(view), `Open all ${anomalies.formatted} in Datadog`)}`,
      ),
    );
  }
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
