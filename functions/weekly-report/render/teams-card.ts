/**
 * The Teams channel post: an Adaptive Card (version 1.4) in the message a Teams workflow webhook
 * takes, `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
 * "content":{…}}]}`, read from the report's view (render/view/) like the email and the Slack post.
 * It holds what the Slack channel post holds: the title, the window, the headline figures, the top
 * anomaly groups (most severe first, "and N more" linking to the window in Datadog), and buttons
 * to the window in Datadog Audit Trail and to the archive's copy of the report where there is one.
 *
 * Every value from audit data passes through adaptive-text.ts (no link, mention or formatting can
 * come from it); the only links and buttons are our own URLs. The whole message stays within
 * TEAMS_LIMITS.messageBytes: a week with more anomalies than fit lists fewer of them, never fails.
 */

import type {
  AdaptiveCard,
  CardElement,
  Container,
  Fact,
  OpenUrlAction,
  TeamsMessage,
  TextBlock,
  TextColor,
} from './adaptive-card';
import { ADAPTIVE_CARD_CONTENT_TYPE, ADAPTIVE_CARD_VERSION } from './adaptive-card';
import { cardLink, cardUrl, cardValue, inertCardText } from './adaptive-text';
import { boundedUrl } from './escape';
import {
  type Colour,
  type Figure,
  formatCount,
  type Link,
  pluralize,
  type ReportView,
  type SeverityView,
} from './view';

/** Teams' limits and ours. */
export const TEAMS_LIMITS = {
  /**
   * Our cap on the posted message, JSON in UTF-8 bytes. Teams documents "about 28 KB" for a message
   * a workflow posts, counted on its own representation of the message (which is larger than the
   * JSON that carries it), and fails a larger one with "request entity too large"; users report
   * failures from about 21 KB of card JSON. 20,000 bytes keeps a margin below both.
   */
  messageBytes: 20_000,
  /** Anomaly groups the card lists at most, as the Slack post (a channel post is a digest; the email lists every group). */
  anomalies: 5,
  /** Partial-data reasons shown. */
  reasons: 5,
  /** Longest audit value in a line, a detail, a title, in code points. */
  value: 60,
  detail: 160,
  title: 150,
  reason: 300,
  /** Longest URL behind a link or a button; a longer one falls back to the window's Audit Trail link. */
  link: 1200,
} as const;

const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** The Audit Trail page of the US1 app: the last fallback of a link (our URLs are built by core/links.ts). */
const AUDIT_TRAIL = 'https://app.datadoghq.com/audit-trail';

const COLOURS: Readonly<Record<Colour, TextColor>> = { red: 'attention', orange: 'warning', blue: 'accent' };

export interface TeamsCardOptions {
  /** The archive's copy of this report (a console link to the archived email), when the report is archived. */
  readonly archive?: Link;
  /** The message's cap in bytes. @default TEAMS_LIMITS.messageBytes */
  readonly maxBytes?: number;
}

/**
 * One line of the card's anomaly list, in no medium: one anomaly group (render/view/groups.ts) —
 * what it is (our label), about whom (raw), how many events and whether it is new, when, why
 * (raw), and where to see exactly its events in Datadog.
 */
export interface ListedAnomaly {
  /** The group's severity; `count` is the groups of that severity in the list. */
  readonly severity: SeverityView;
  /** `Destructive action`. */
  readonly label: string;
  /** Raw: the person, and what the rule keys the group on besides (`from Brazil`). */
  readonly subject: readonly string[];
  /** `Tue 17 Nov 14:12 – Thu 19 Nov 09:30 UTC`, or empty. */
  readonly when: string;
  /** `12 deletions (monitor ×8, notebook ×4) · New`, from numbers and type names. */
  readonly count: string;
  /** Raw: an expired exception, or a group of one flag's own detail. */
  readonly detail: string;
  readonly link: Link;
}

/**
 * THE list's one source: the anomaly groups the card lists (those no exception accepts, in the
 * view's order: severity, then time), at most TEAMS_LIMITS.anomalies, and how many there are in
 * all (what "and N more" counts). The card's layout reads only ListedAnomaly.
 */
export function listedAnomalies(view: ReportView): {
  readonly items: readonly ListedAnomaly[];
  readonly total: number;
} {
  const { groups } = view.triage;
  const severities = new Map(
    view.anomalies.severities.map((s): [string, SeverityView] => {
      const count = groups.filter((g) => g.severity === s.severity).length;
      return [s.severity, { ...s, count, formatted: formatCount(count) }];
    }),
  );
  const items = groups.slice(0, TEAMS_LIMITS.anomalies).flatMap((g): ListedAnomaly[] => {
    const severity = severities.get(g.severity);
    if (!severity) return [];
    const types = g.breakdown.map((t) => `${t.name} ×${formatCount(t.count)}`);
    if (g.moreTypes > 0) types.push(`${formatCount(g.moreTypes)} more`);
    return [
      {
        severity,
        label: g.label,
        subject: [g.person, ...(g.qualifier ? [`${g.qualifier.word} ${g.qualifier.value}`] : [])],
        when: g.when,
        count: `${g.countLabel}${types.length > 0 ? ` (${types.join(', ')})` : ''} · ${g.statusLabel}`,
        detail: g.exceptionExpired || g.detail,
        link: { url: g.link.url, text: 'view in Datadog' },
      },
    ];
  });
  return { items, total: groups.length };
}

/** The window's Audit Trail link (or the Audit Trail page when it is too long for a link). */
function windowUrl(view: ReportView): string {
  return cardUrl(boundedUrl(view.links.auditTrail.url, AUDIT_TRAIL, TEAMS_LIMITS.link), AUDIT_TRAIL);
}

function text(value: string, extra: Omit<TextBlock, 'type' | 'text' | 'wrap'> = {}): TextBlock {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}

/** The title, the window and the gist. */
function headerElements(view: ReportView): CardElement[] {
  const partial = view.complete ? '' : ' · **partial data**';
  return [
    text(`${view.title} — ${cardValue(view.subtitle, TEAMS_LIMITS.title)}`, { size: 'large', weight: 'bolder' }),
    text(`${view.window.days} · ${inertCardText(view.window.zone)}${partial}`, { isSubtle: true, spacing: 'none' }),
    text(inertCardText(view.gist), { spacing: 'small' }),
  ];
}

/** The partial-data banner or the notes on complete data, with up to `reasons` reasons; nothing without either. */
function noticeElements(view: ReportView, reasons: number): CardElement[] {
  const { notice } = view;
  if (!notice) return [];
  const shown = notice.reasons.slice(0, reasons).map((r) => `- ${cardValue(r, TEAMS_LIMITS.reason)}`);
  const left = notice.reasons.length - shown.length;
  if (left > 0) shown.push(`- and ${pluralize(left, 'more note')}`);
  const partial = notice.level === 'partial';
  const items: CardElement[] = [
    text(`**${inertCardText(notice.title)}**${partial ? ` — ${inertCardText(notice.text)}` : ''}`, {
      ...(partial ? { color: 'attention' as const } : {}),
    }),
  ];
  // A Markdown list: one TextBlock, items separated by \r as the card format's lists are.
  if (shown.length > 0) items.push(text(shown.join('\r'), { spacing: 'small', size: 'small' }));
  const container: Container = { type: 'Container', style: partial ? 'warning' : 'emphasis', items };
  return [container];
}

function figureValue(f: Figure): string {
  return `${f.formatted}${f.delta ? ` (${inertCardText(f.delta.short)})` : ''}`;
}

/** The headline figures as facts: calls, people, anomalies by severity, changes, AI actions, daily and weekly calls. */
function factsElement(view: ReportView): CardElement {
  const { figures, anomalies, ai, daily, trend } = view;
  const bySeverity = anomalies.severities
    .filter((s) => s.count > 0)
    .map((s) => `${s.formatted} ${s.severity}`)
    .join(', ');
  const facts: Fact[] = [
    { title: figures.calls.label, value: figureValue(figures.calls) },
    { title: figures.people.label, value: figureValue(figures.people) },
    { title: figures.anomalies.label, value: `${figures.anomalies.formatted}${bySeverity ? ` (${bySeverity})` : ''}` },
    {
      title: figures.changes.label,
      value: `${figures.changes.formatted} create/modify/delete ${ai ? 'AI actions' : 'calls'}`,
    },
  ];
  if (ai) {
    facts.push({
      title: inertCardText(ai.title),
      value: `${ai.total.formatted} (${ai.autonomous.formatted} autonomous)${ai.total.delta ? `, ${inertCardText(ai.total.delta.short)}` : ''}`,
    });
  }
  facts.push({
    title: 'Daily calls',
    value: daily.peak
      ? `${daily.sparkline} · peak ${daily.peak.formatted} on ${inertCardText(daily.peak.label)}`
      : inertCardText(daily.empty),
  });
  if (trend) facts.push({ title: 'Weekly calls', value: `${trend.sparkline} · ${inertCardText(trend.caption)}` });
  return { type: 'FactSet', facts, spacing: 'medium' };
}

/** One listed group: its line (label, subject, time, count and status, link) and its detail below it. */
function anomalyElement(item: ListedAnomaly, fallback: string): Container {
  const parts = [
    `**${inertCardText(item.label)}**`,
    ...item.subject.map((v) => cardValue(v, TEAMS_LIMITS.value)),
    ...(item.when ? [inertCardText(item.when)] : []),
    ...(item.count ? [cardValue(item.count, TEAMS_LIMITS.detail)] : []),
    cardLink(boundedUrl(item.link.url, fallback, TEAMS_LIMITS.link), item.link.text, fallback),
  ];
  const items: CardElement[] = [text(parts.join(' · '))];
  if (item.detail) {
    items.push(text(cardValue(item.detail, TEAMS_LIMITS.detail), { isSubtle: true, size: 'small', spacing: 'none' }));
  }
  return { type: 'Container', spacing: 'small', items };
}

/**
 * The anomaly section: its heading, the rules' counts and the groups in a line (new, recurring,
 * accepted), then the first `shown` groups under a heading per severity, then "and N more" linking
 * to the window in Datadog, the exceptions that accept groups and the groups resolved since last
 * week.
 */
function anomalyElements(
  view: ReportView,
  items: readonly ListedAnomaly[],
  total: number,
  shown: number,
): CardElement[] {
  const { anomalies, triage } = view;
  const fallback = windowUrl(view);
  const rules = [
    ...anomalies.kinds.filter((k) => (k.count ?? 0) > 0).map((k) => `${k.label} ${k.formatted}`),
    ...anomalies.kinds.filter((k) => k.count === null).map((k) => `${k.label} not evaluated (${k.notEvaluated})`),
  ];
  const elements: CardElement[] = [
    text(`**Anomalies** (${anomalies.formatted})`, { separator: true, spacing: 'medium', size: 'medium' }),
  ];
  if (rules.length > 0) elements.push(text(inertCardText(rules.join(' · ')), { isSubtle: true, spacing: 'none' }));
  const groupsLine = [triage.summary, triage.comparison].filter((t) => t !== '').join('. ');
  if (groupsLine) elements.push(text(inertCardText(groupsLine), { isSubtle: true, spacing: 'none' }));
  if (anomalies.total === 0) {
    elements.push(text(inertCardText(anomalies.empty), { color: 'good' }));
  }
  let severity: string | undefined;
  for (const item of items.slice(0, shown)) {
    if (item.severity.severity !== severity) {
      severity = item.severity.severity;
      elements.push(
        text(`**${inertCardText(item.severity.label)} · ${item.severity.formatted}**`, {
          color: COLOURS[item.severity.colour],
          spacing: 'medium',
        }),
      );
    }
    elements.push(anomalyElement(item, fallback));
  }
  const listed = Math.min(shown, items.length);
  if (total > listed) {
    const all = cardLink(fallback, 'open the week in Datadog', fallback);
    elements.push(
      text(
        `${listed === 0 ? 'None listed' : `and ${pluralize(total - listed, 'more group', 'more groups')}`} · ${all}`,
        {
          spacing: 'small',
        },
      ),
    );
  }
  // Configuration (owners) and our own words, shown as written but inert.
  for (const a of triage.accepted.slice(0, TEAMS_LIMITS.reasons)) {
    elements.push(text(cardValue(a.text, TEAMS_LIMITS.reason), { isSubtle: true, spacing: 'small' }));
  }
  if (triage.resolved.length > 0) {
    const names = triage.resolved.slice(0, 3).map((r) => `${r.label} · ${r.person}`);
    const more = triage.resolved.length - names.length;
    elements.push(
      text(
        `Resolved since last week: ${names.map((n) => cardValue(n, TEAMS_LIMITS.value)).join('; ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`,
        { isSubtle: true, spacing: 'small' },
      ),
    );
  }
  return elements;
}

/** The buttons: the window in Datadog Audit Trail, and the archive's copy of the report when there is one. */
function actions(view: ReportView, archive: Link | undefined): OpenUrlAction[] {
  const buttons: OpenUrlAction[] = [
    { type: 'Action.OpenUrl', title: inertCardText(view.links.auditTrail.text), url: windowUrl(view) },
  ];
  if (archive) {
    const url = cardUrl(archive.url, '');
    if (url !== '' && url.length <= TEAMS_LIMITS.link) {
      buttons.push({ type: 'Action.OpenUrl', title: inertCardText(archive.text), url });
    }
  }
  return buttons;
}

/**
 * What a client that cannot draw the card shows: `AI Activity Audit — Acme — 2026-11-16 to
 * 2026-11-22: 2,000 calls…`, `(partial)` after the dates when the data is incomplete (no brackets:
 * `[partial]:` reads as a Markdown link definition to some parsers).
 */
function fallbackText(view: ReportView): string {
  const partial = view.complete ? '' : ' (partial)';
  return `${view.title} — ${cardValue(view.subtitle, TEAMS_LIMITS.title)} — ${view.window.days}${partial}: ${inertCardText(view.gist)}`;
}

function message(card: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

/** The message's size as posted: its JSON in UTF-8 bytes, the measure of TEAMS_LIMITS.messageBytes. */
export function teamsMessageBytes(value: TeamsMessage): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** The card with `shown` anomalies listed and `reasons` partial-data reasons. */
function cardWith(
  view: ReportView,
  list: ReturnType<typeof listedAnomalies>,
  shown: number,
  reasons: number,
  archive: Link | undefined,
): TeamsMessage {
  return message({
    type: 'AdaptiveCard',
    $schema: SCHEMA,
    version: ADAPTIVE_CARD_VERSION,
    fallbackText: fallbackText(view),
    body: [
      ...headerElements(view),
      ...noticeElements(view, reasons),
      factsElement(view),
      ...anomalyElements(view, list.items, list.total, shown),
    ],
    actions: actions(view, archive),
  });
}

/**
 * The Teams message of a report, within `maxBytes`: every anomaly the list takes when that fits,
 * else fewer (each step one fewer, "and N more" counting the rest), then fewer partial-data
 * reasons; never refused for its size.
 */
export function buildTeamsMessage(view: ReportView, options: TeamsCardOptions = {}): TeamsMessage {
  const cap = options.maxBytes ?? TEAMS_LIMITS.messageBytes;
  const list = listedAnomalies(view);
  let reasons: number = TEAMS_LIMITS.reasons;
  let shown = list.items.length;
  for (;;) {
    const candidate = cardWith(view, list, shown, reasons, options.archive);
    if (teamsMessageBytes(candidate) <= cap) return candidate;
    if (shown > 0) shown -= 1;
    else if (reasons > 0) reasons -= 1;
    // Nothing left to drop: every value in it is cut to its length, so this is a few kilobytes.
    else return candidate;
  }
}
