/**
 * The weekly Slack post and its thread: `chat.postMessage` arguments with a notification `text`
 * and Block Kit `blocks`, from the report's view (render/view/). The channel post is short (at
 * most SLACK_LIMITS.postBlocks blocks, readable without Slack's "Show more"): the title, the
 * headline figures, the new and recurring high and medium groups (a few, then "and N more"), and
 * one link. Everything else (every group, the daily and weekly tables, top users, actions, resource
 * types, AI activity, tools, clients, changes, notes) is one reply in the post's thread.
 * Every audit-derived string is escaped for mrkdwn (`&`, `<`, `>`) and kept from formatting the
 * post, every text object is `verbatim` (no auto-linking of names or mentions), and every list is
 * cut to fit Slack's limits with "and N more" linking to what it left out in Datadog, so neither
 * message fails for being too big: not per block (slack-sections.ts), not in total
 * (`fitThreadBlocks` here).
 */
import type { KnownBlock } from '@slack/types';
import { excludeTerms } from '../core/links';
import type { SlackMessage, SlackReport } from '../ports';
import { escapeSlack, escapeWithin, singleLine, slackLink } from './escape';
import { context, linkable, mrkdwn, restLink, SLACK_LIMITS, section, value, windowLink } from './slack-mrkdwn';
import {
  aiBlock,
  changesBlock,
  dailyBlock,
  listField,
  noticeBlock,
  postTriageBlock,
  type Room,
  threadTriageBlocks,
  totalsBlock,
  trendBlock,
  usageBlock,
} from './slack-sections';
import type { ReportView } from './view';

const FULL_ROOM: Room = { section: SLACK_LIMITS.sectionText, field: SLACK_LIMITS.fieldText };
/** Below this a list shows little more than its "and N more"; the last step drops the lists. */
const MIN_ROOM: Room = { section: 400, field: 300 };

/**
 * The notification line: `AI Activity Audit — Acme — 2026-11-16 to 2026-11-22: 2,000 calls by 67 people,
 * 3 anomalies (1 high)`, with ` [partial]` after the dates when the data is incomplete.
 */
export function slackFallbackText(view: ReportView): string {
  return `${view.title} — ${value(view.subtitle, 140)} — ${view.window.days}${view.partialMark}: ${view.gist}`;
}

/** Length of `blocks` as Slack receives them (JSON), the measure of `SLACK_LIMITS.blocksTotal`. */
export function blocksLength(blocks: readonly KnownBlock[]): number {
  return JSON.stringify(blocks).length;
}

/** The title block of both messages: the report and whose it is. */
function headerBlock(view: ReportView): KnownBlock {
  return {
    type: 'header',
    text: {
      type: 'plain_text',
      text: escapeWithin(`${view.title} — ${singleLine(view.subtitle)}`, SLACK_LIMITS.headerText, escapeSlack),
      emoji: false,
    },
  };
}

/**
 * The channel post: title, dates, a one-line partial-data warning when the data is partial, the
 * headline figures, the groups that need a look, and where the rest is. At most 6 blocks.
 */
export function postBlocks(view: ReportView): KnownBlock[] {
  const { window, links } = view;
  const blocks: KnownBlock[] = [
    headerBlock(view),
    context(`*${window.days}* · ${escapeSlack(window.zone)}${escapeSlack(view.partialMark)}`),
  ];
  if (view.notice?.level === 'partial') {
    blocks.push(
      section(
        `:warning: *${escapeSlack(view.notice.title)}* — some audit events could not be read, so the figures are lower bounds; why is in the thread.`,
      ),
    );
  }
  blocks.push(totalsBlock(view), postTriageBlock(view));
  blocks.push(
    context(
      `Every group, the daily and weekly figures, top users, actions, tools and changes are in the thread · ${slackLink(windowLink(view), links.auditTrail.text)}`,
    ),
  );
  return blocks.slice(0, SLACK_LIMITS.postBlocks);
}

/** Every block of the thread reply, the lists given `room` (or left out, with a link to them, when `room` is undefined). */
function threadBlocks(view: ReportView, room: Room | undefined): KnownBlock[] {
  const { window } = view;
  const auditTrail = slackLink(windowLink(view), view.links.auditTrail.text);
  const blocks: KnownBlock[] = [context(`*${window.days}* · ${escapeSlack(window.zone)} · ${auditTrail}`)];
  const notice = noticeBlock(view, room ?? { section: 400, field: 300 });
  if (notice) blocks.push(notice);
  blocks.push(...threadTriageBlocks(view, room ?? { section: 400, field: 300 }), { type: 'divider' });
  if (!room) {
    blocks.push(
      context(
        `The other lists did not fit in one Slack message · ${slackLink(windowLink(view), 'Open this week in Datadog Audit Trail')}`,
      ),
    );
    return blocks.slice(0, SLACK_LIMITS.blocks);
  }
  blocks.push(dailyBlock(view));
  const trend = trendBlock(view.trend);
  if (trend) blocks.push(trend);
  blocks.push({ type: 'divider' });
  const ai = aiBlock(view, room);
  if (ai) blocks.push(ai, { type: 'divider' });
  blocks.push(
    // People are shown by email, name or id, so no query can leave exactly them out: all calls.
    section(listField('*Top users*', view.topUsers, SLACK_LIMITS.topUsers, room.section, () => windowLink(view))),
    {
      type: 'section',
      fields: [
        mrkdwn(
          listField('*Actions*', view.actions, SLACK_LIMITS.breakdown, room.field, (shown) =>
            restLink(view, excludeTerms('action', linkable(shown) ?? [])),
          ),
        ),
        mrkdwn(
          listField('*Resource types*', view.resourceTypes, SLACK_LIMITS.breakdown, room.field, (shown) =>
            restLink(view, excludeTerms('asset.type', linkable(shown) ?? [])),
          ),
        ),
      ],
    },
    usageBlock(view, room),
    changesBlock(view, room),
    context(
      `Window ${escapeSlack(window.from)} to ${escapeSlack(window.to)} (end exclusive), ${escapeSlack(window.zone)} · ${auditTrail}`,
    ),
  );
  return blocks.slice(0, SLACK_LIMITS.blocks);
}

/**
 * The thread's blocks within `cap` (JSON characters): with full room when they fit, else with
 * every list given less room step by step (each still ends in "and N more" with its link), and as
 * a last resort the groups alone, with a link to the rest.
 */
export function fitThreadBlocks(view: ReportView, cap: number = SLACK_LIMITS.blocksTotal): KnownBlock[] {
  let room: Room = FULL_ROOM;
  for (;;) {
    const blocks = threadBlocks(view, room);
    if (blocksLength(blocks) <= cap) return blocks;
    if (room.section <= MIN_ROOM.section && room.field <= MIN_ROOM.field) break;
    room = {
      section: Math.max(MIN_ROOM.section, Math.floor(room.section * 0.8)),
      field: Math.max(MIN_ROOM.field, Math.floor(room.field * 0.8)),
    };
  }
  return threadBlocks(view, undefined);
}

/** The notification line of the thread reply. */
export function threadFallbackText(view: ReportView): string {
  return `Details: ${view.title} — ${value(view.subtitle, 140)} — ${view.window.days}${view.partialMark}`;
}

/** Builds the channel post and its one thread reply (`chat.postMessage` arguments, without the token) for `channel`. */
export function buildSlackReport(view: ReportView, channel: string): SlackReport {
  const post: SlackMessage = {
    channel,
    text: slackFallbackText(view),
    blocks: postBlocks(view),
    unfurl_links: false,
    unfurl_media: false,
  };
  const reply: SlackMessage = {
    channel,
    text: threadFallbackText(view),
    blocks: fitThreadBlocks(view),
    unfurl_links: false,
    unfurl_media: false,
  };
  return { post, thread: [reply] };
}
