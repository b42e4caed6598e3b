/**
 * The Slack post's text pieces: Slack's limits and ours, the one way an audit value enters mrkdwn
 * (one line, cut, escaped, kept from formatting the post), `verbatim` text objects, lines fitted
 * to a length with "and N more", and the Datadog links behind an "and N more".
 */
import type { ContextBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { narrowAuditLink } from '../core/links';
import { boundedUrl, clipLine, escapeSlack, escapeWithin, inertMrkdwn, slackLink } from './escape';
import { formatCount, type ReportView } from './view';

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
  /** Groups the channel post lists (the thread has them all). */
  postGroups: 5,
  /** Blocks of the channel post: short enough to read without "Show more". */
  postBlocks: 6,
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

/**
 * An audit value for mrkdwn: one line, truncated, escaped; formatting characters are swapped for
 * look-alikes, so a value can neither open a code span that swallows the rest of the section nor
 * make itself bold, italic or struck through.
 */
export function value(raw: string, max: number = SLACK_LIMITS.value): string {
  return escapeWithin(inertMrkdwn(clipLine(raw, max)), max * 2, escapeSlack);
}

export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

export function context(text: string): ContextBlock {
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

/** The window's Audit Trail link, unless it is too long for the post. */
export function windowLink(view: ReportView): string {
  return boundedUrl(view.links.auditTrail.url, '', SLACK_LIMITS.link);
}

/** The window's Audit Trail link narrowed by `terms`, or the window's own link when that gets too long. */
export function restLink(view: ReportView, terms: readonly string[]): string {
  const window = windowLink(view);
  // Terms that cannot fit are not worth encoding (values can be 5000 characters long).
  if (terms.reduce((sum, t) => sum + t.length, window.length) > SLACK_LIMITS.restLink) return window;
  return boundedUrl(narrowAuditLink(window, terms), window, SLACK_LIMITS.restLink);
}

/** Values too long for any link are left out of one before they are quoted. */
export function linkable(values: readonly string[]): string[] | undefined {
  return values.every((v) => v.length <= SLACK_LIMITS.restLink) ? [...values] : undefined;
}

/** `and 4 more in Datadog`, the whole phrase a link to the calls left out. */
export function moreLink(left: number, url: string, what = ''): string {
  return slackLink(url, `and ${formatCount(left)} more${what ? ` ${what}` : ''} in Datadog`);
}
