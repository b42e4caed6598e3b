/**
 * The weekly Slack post: `chat.postMessage` arguments with a notification `text` and Block Kit
 * `blocks`, from the report's view (render/view/). Every audit-derived string is escaped for
 * mrkdwn (`&`, `<`, `>`) and kept from formatting the post, every text object is `verbatim` (no
 * auto-linking of names or mentions), and every list is cut to fit Slack's limits with "and N
 * more" linking to the calls it left out in Datadog, so the post never fails for being too big:
 * not per block (slack-sections.ts), not in total (`fitSlackBlocks` here).
 */
import type { KnownBlock } from '@slack/types';
import { excludeTerms } from '../core/links';
import type { SlackMessage } from '../ports';
import { escapeSlack, escapeWithin, singleLine, slackLink } from './escape';
import { context, linkable, mrkdwn, restLink, SLACK_LIMITS, section, value, windowLink } from './slack-mrkdwn';
import {
  aiBlock,
  anomalyBlocks,
  anomalyLine,
  changesBlock,
  dailyBlock,
  listField,
  noticeBlock,
  type Room,
  totalsBlock,
  usageBlock,
} from './slack-sections';
import type { FlagView, ReportView, SeverityView } from './view';

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

type LineOf = (flag: FlagView, severity: SeverityView) => string;

/** Every block of the post, the lists given `room` (or left out, with a link to them, when `room` is undefined). */
function reportBlocks(view: ReportView, room: Room | undefined, lineOf: LineOf): KnownBlock[] {
  const { window, links } = view;
  const auditTrail = slackLink(windowLink(view), links.auditTrail.text);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: escapeWithin(`${view.title} — ${singleLine(view.subtitle)}`, SLACK_LIMITS.headerText, escapeSlack),
        emoji: false,
      },
    },
    context(`*${window.days}* · ${escapeSlack(window.zone)} · ${auditTrail}`),
  ];
  const notice = noticeBlock(view, room ?? MIN_ROOM);
  if (notice) blocks.push(notice);
  blocks.push(totalsBlock(view), dailyBlock(view));
  if (!room) {
    blocks.push(
      context(
        `The lists did not fit in one Slack message · ${slackLink(windowLink(view), 'Open this week in Datadog Audit Trail')}`,
      ),
    );
    return blocks;
  }
  blocks.push({ type: 'divider' }, ...anomalyBlocks(view, room, lineOf), { type: 'divider' });
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
 * The blocks within `cap` (JSON characters): with full room when they fit, else with every list
 * given less room step by step (each still ends in "and N more" with its link), and as a last
 * resort without the lists.
 */
export function fitSlackBlocks(view: ReportView, cap: number = SLACK_LIMITS.blocksTotal): KnownBlock[] {
  // An anomaly's line does not depend on the room: each is built once, however many tries it takes.
  const fallback = windowLink(view);
  const lines = new Map<FlagView, string>();
  const lineOf: LineOf = (flag, severity) => {
    let line = lines.get(flag);
    if (line === undefined) {
      line = anomalyLine(flag, severity, fallback);
      lines.set(flag, line);
    }
    return line;
  };
  let room: Room = FULL_ROOM;
  for (;;) {
    const blocks = reportBlocks(view, room, lineOf);
    if (blocksLength(blocks) <= cap) return blocks;
    if (room.section <= MIN_ROOM.section && room.field <= MIN_ROOM.field) break;
    room = {
      section: Math.max(MIN_ROOM.section, Math.floor(room.section * 0.8)),
      field: Math.max(MIN_ROOM.field, Math.floor(room.field * 0.8)),
    };
  }
  return reportBlocks(view, undefined, lineOf);
}

/** Builds the `chat.postMessage` arguments (without the token) for `channel`. */
export function buildSlackMessage(view: ReportView, channel: string): SlackMessage {
  return {
    channel,
    text: slackFallbackText(view),
    blocks: fitSlackBlocks(view),
    unfurl_links: false,
    unfurl_media: false,
  };
}
