/**
 * The archived rendering read back (`email.html`, `email.txt`, `slack.json`): what a retried run
 * sends to a channel still due, so it must be what the first run sent and nothing else.
 * - The email parts are UTF-8 text; the HTML is an HTML document.
 * - `slack.json` is Slack's own format, the `chat.postMessage` arguments the job sent (no version
 *   of ours: each message stays one can post as it is): `{"post": args, "thread": [args, …]}`, the
 *   channel post and its thread replies; a week archived before threads holds the post's arguments
 *   alone, read as a post without a thread. Each message is checked against what the renderer
 *   makes and Slack's limits (50 blocks, each an object with a `type`; the fallback text;
 *   unfurling off); the blocks' insides are Slack's, escaped when they were rendered, and are
 *   passed on as archived.
 */
import type { SlackMessage, SlackReport } from '../ports';
import { type Check, Invalid, isPlainObject, list, object, oneOf, text, utf8 } from './checks';

/** Slack's limit on blocks in one message. */
export const SLACK_MAX_BLOCKS = 50;
/** Slack truncates a message's `text` past 40,000 characters; ours is far shorter. */
const SLACK_MAX_TEXT = 40_000;

/** An object, passed on as it is (Slack's format inside). */
const slackObject: Check<Record<string, unknown>> = (value, at) => {
  if (!isPlainObject(value)) throw new Invalid(at, 'is not an object');
  return value;
};

const block: Check<unknown> = (value, at) => {
  const b = slackObject(value, at);
  text(100)(b.type, `${at}.type`);
  return b;
};

const slackCheck = object(
  {
    channel: text(100),
    text: text(SLACK_MAX_TEXT),
    blocks: list(block, SLACK_MAX_BLOCKS),
    unfurl_links: oneOf([false] as const),
  },
  {
    unfurl_media: oneOf([false] as const),
    // Message metadata naming the report and its window (what a later run looks the post up by).
    metadata: object({ event_type: text(100), event_payload: slackObject }),
  },
);

/** Replies in a post's thread: the renderer makes one. */
const SLACK_MAX_REPLIES = 10;

const reportCheck = object({ post: slackCheck, thread: list(slackCheck, SLACK_MAX_REPLIES) });

/** The `chat.postMessage` arguments of one message, checked; throws Invalid. */
export function checkSlackMessage(value: unknown): SlackMessage {
  return slackCheck(value, '') as SlackMessage;
}

/** The channel post and its thread in a parsed `slack.json` (or, archived before threads, the post alone), checked; throws Invalid. */
export function checkSlackReport(value: unknown): SlackReport {
  if (isPlainObject(value) && !Object.hasOwn(value, 'post') && Object.hasOwn(value, 'blocks')) {
    return { post: checkSlackMessage(value), thread: [] };
  }
  return reportCheck(value, '') as SlackReport;
}

/** The text of an archived `email.txt`: UTF-8, not empty; throws Invalid. */
export function checkEmailText(bytes: Uint8Array): string {
  const body = utf8(bytes);
  if (body.trim() === '') throw new Invalid('', 'is empty');
  return body;
}

/** The HTML of an archived `email.html`: UTF-8, an HTML document; throws Invalid. */
export function checkEmailHtml(bytes: Uint8Array): string {
  const body = utf8(bytes);
  if (!/^\s*(<!doctype html|<html)/i.test(body) || !/<\/html>\s*$/i.test(body)) {
    throw new Invalid('', 'is not an HTML document');
  }
  return body;
}
