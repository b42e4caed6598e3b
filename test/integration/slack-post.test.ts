/**
 * The Slack sender (adapters/slack-post.ts) through the real WebClient against the Slack
 * emulator: a post is never repeated by the client once it may have reached Slack (a dropped
 * connection, a 5xx: one request at the stand-in, `answerLost`), while a connection that was
 * never made is retried; every post carries the report's metadata; `find` pages through the
 * channel's history for it, retrying reads, waiting out 429s and naming a missing scope.
 */
import { createServer } from 'node:net';
import {
  createSlackSender,
  createSlackWebClient,
  POST_EVENT_TYPE,
} from '../../functions/weekly-report/adapters/slack-post';
import { SlackDeliveryError } from '../../functions/weekly-report/errors';
import type { SlackMessage, SlackPostTag } from '../../functions/weekly-report/ports';
import { type SlackEmulator, startSlackEmulator } from '../support/slack-emulator';

const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0123456789';
const TAG: SlackPostTag = {
  report: 'Acme',
  windowFrom: '2026-11-16T00:00:00.000Z',
  windowTo: '2026-11-23T00:00:00.000Z',
};
const MESSAGE: SlackMessage = {
  channel: CHANNEL,
  text: 'AI Activity Audit — Acme',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'report' } }],
  unfurl_links: false,
};

/** A port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/api/`;
}

describe('Slack sender', () => {
  let slack: SlackEmulator;
  const sender = (url = slack.url, fetchCount?: { n: number }) =>
    createSlackSender({
      client: createSlackWebClient(TOKEN, {
        slackApiUrl: url,
        ...(fetchCount
          ? {
              fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
                fetchCount.n++;
                return fetch(input, init);
              },
            }
          : {}),
      }),
    });

  beforeAll(async () => {
    slack = await startSlackEmulator({ token: TOKEN, channels: [CHANNEL], historyPageCap: 15 });
  });
  beforeEach(() => slack.reset());
  afterAll(async () => {
    await slack?.close();
  });

  it('posts with the report’s metadata', async () => {
    // Act
    const { ts } = await sender().post(MESSAGE, { tag: TAG });

    // Assess
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.ts).toBe(ts);
    expect(slack.messages[0]?.metadata).toEqual({
      event_type: POST_EVENT_TYPE,
      event_payload: { report: 'Acme', window_from: TAG.windowFrom, window_to: TAG.windowTo },
    });
  });

  it.each([
    ['the connection drops after Slack took the post', { kind: 'drop_after_post' } as const, 1],
    ['the connection drops before Slack took it', { kind: 'drop' } as const, 0],
    ['Slack answers HTTP 500', { kind: 'http', status: 500 } as const, 0],
    ['Slack answers HTTP 503', { kind: 'http', status: 503 } as const, 0],
  ])('does not repeat a post when %s, and says its answer was lost', async (_what, fault, posted) => {
    // Prepare
    slack.failNext(fault, 3);

    // Act
    const error = await sender()
      .post(MESSAGE, { tag: TAG })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect((error as SlackDeliveryError).answerLost).toBe(true);
    expect((error as Error).message).toMatch(/the post may have gone out, so it is not posted again blindly/);
    expect(slack.requests).toBe(1);
    expect(slack.messages).toHaveLength(posted);
  });

  it('retries a post whose connection was refused (nothing was sent), and says it failed for sure', async () => {
    // Prepare
    const attempts = { n: 0 };

    // Act
    const error = await sender(await closedPortUrl(), attempts)
      .post(MESSAGE, { tag: TAG })
      .catch((e: unknown) => e);

    // Assess
    expect(attempts.n).toBe(3);
    expect((error as SlackDeliveryError).answerLost).toBe(false);
    expect((error as Error).message).toMatch(/^Could not reach Slack for chat.postMessage \(after retries\)/);
  });

  it('counts a refusal (ok: false) as a sure failure', async () => {
    // Prepare
    slack.failNext({ kind: 'error', error: 'channel_not_found' });

    // Act
    const error = (await sender()
      .post(MESSAGE)
      .catch((e: unknown) => e)) as SlackDeliveryError;

    // Assess
    expect(error.answerLost).toBe(false);
    expect(error.code).toBe('channel_not_found');
  });

  it('finds the post of a report and window across history pages, among other posts and other weeks', async () => {
    // Prepare: last week's report, this week's, then 40 messages of chatter (pages of 15).
    const web = createSlackWebClient(TOKEN, { slackApiUrl: slack.url });
    const oldest = Date.now() - 60_000;
    await sender().post(MESSAGE, { tag: { ...TAG, windowTo: '2026-11-16T00:00:00.000Z' } });
    const { ts } = await sender().post(MESSAGE, { tag: TAG });
    await sender().post(MESSAGE, { tag: { ...TAG, report: 'Other' } });
    for (let i = 0; i < 40; i++) await web.chat.postMessage({ channel: CHANNEL, text: `chatter ${i}` });

    // Act
    const found = await sender().find(CHANNEL, TAG, oldest);
    const missing = await sender().find(CHANNEL, { ...TAG, windowTo: '2026-11-30T00:00:00.000Z' }, oldest);

    // Assess
    expect(found).toEqual({ ts, pages: 3, messages: 42 });
    expect(missing).toEqual({ pages: 3, messages: 43 });
  });

  it('retries a history read after a 5xx and waits out a 429', async () => {
    // Prepare
    const { ts } = await sender().post(MESSAGE, { tag: TAG });
    slack.failNext({ kind: 'http', status: 503 }, 1, 'conversations.history');
    slack.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, 1, 'conversations.history');
    const started = Date.now();

    // Act
    const found = await sender().find(CHANNEL, TAG, Date.now() - 60_000, { deadline: Date.now() + 20_000 });

    // Assess
    expect(found.ts).toBe(ts);
    expect(slack.historyRequests).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('names the missing history scope', async () => {
    // Prepare
    slack.failNext({ kind: 'error', error: 'missing_scope' }, 1, 'conversations.history');

    // Act
    const error = await sender()
      .find(CHANNEL, TAG, Date.now())
      .catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toMatch(
      /conversations.history failed: missing_scope — the bot token lacks channels:history \(public channels\) or groups:history/,
    );
  });
});
