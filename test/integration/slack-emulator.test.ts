/**
 * The Slack emulator behaves as Slack does where the job depends on it: it refuses a message whose
 * blocks are each within their limits but add up to more than Slack takes in total
 * (`msg_blocks_too_long`); it keeps each post's message metadata and serves it back through
 * `conversations.history` (newest first, cursor pages, `oldest`, `include_all_metadata`); and it
 * can lose an answer after taking the post, or without taking it. Driven by the real WebClient.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { type SlackEmulator, startSlackEmulator } from '../support/slack-emulator';

const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0123456789';

describe('Slack emulator, total size of the blocks', () => {
  let slack: SlackEmulator;
  let client: WebClient;

  beforeAll(async () => {
    slack = await startSlackEmulator({ token: TOKEN, channels: [CHANNEL] });
    client = new WebClient(TOKEN, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack?.close();
  });

  const section = (length: number) => ({ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(length) } });

  it('answers msg_blocks_too_long for five sections of 2,640 characters, and posts four', async () => {
    // Act
    const tooLong = await client.chat
      .postMessage({ channel: CHANNEL, text: 'fallback', blocks: Array(5).fill(section(2640)) })
      .catch((error: unknown) => error);
    const fits = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'fallback',
      blocks: Array(4).fill(section(2640)),
    });

    // Assess
    expect(tooLong).toMatchObject({ data: { ok: false, error: 'msg_blocks_too_long' } });
    expect(fits.ok).toBe(true);
    expect(slack.messages).toHaveLength(1);
  });
});

describe('Slack emulator, conversations.history and lost answers', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  const metadata = (week: string) => ({
    event_type: 'ai_activity_audit_report_posted',
    event_payload: { report: 'Acme', window_to: week },
  });

  beforeAll(async () => {
    slack = await startSlackEmulator({ token: TOKEN, channels: [CHANNEL], historyPageCap: 15 });
    // Quiet: the dropped connections below are meant.
    client = new WebClient(TOKEN, { slackApiUrl: slack.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  });
  beforeEach(() => slack.reset());
  afterAll(async () => {
    await slack?.close();
  });

  it('keeps each post’s metadata and answers history newest first, in pages, with metadata only when asked', async () => {
    // Prepare: 40 posts, the first one carrying metadata.
    const started = Date.now() / 1000 - 1;
    await client.chat.postMessage({ channel: CHANNEL, text: 'report', metadata: metadata('2026-11-23') });
    for (let i = 0; i < 39; i++) await client.chat.postMessage({ channel: CHANNEL, text: `chatter ${i}` });

    // Act
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await client.conversations.history({
        channel: CHANNEL,
        oldest: started.toFixed(6),
        include_all_metadata: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page);
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    const plain = await client.conversations.history({ channel: CHANNEL, limit: 200 });

    // Assess: 200 asked, 15 a page given (the cap of a non-Marketplace app).
    expect(pages.map((p) => p.messages?.length)).toEqual([15, 15, 10]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    const all = pages.flatMap((p) => p.messages ?? []);
    expect(all[0]?.text).toBe('chatter 38');
    expect(all.at(-1)).toMatchObject({ text: 'report', metadata: metadata('2026-11-23') });
    expect(all.filter((m) => m.metadata)).toHaveLength(1);
    expect(plain.messages?.some((m) => m.metadata)).toBe(false);
    expect(slack.historyRequests).toBe(4);
  });

  it('leaves out messages at or before oldest', async () => {
    // Prepare
    await client.chat.postMessage({ channel: CHANNEL, text: 'old' });
    const oldest = Number(slack.messages[0]?.ts);

    // Act
    const page = await client.conversations.history({ channel: CHANNEL, oldest: String(oldest) });
    const inclusive = await client.conversations.history({ channel: CHANNEL, oldest: String(oldest), inclusive: true });

    // Assess
    expect(page.messages).toEqual([]);
    expect(inclusive.messages?.map((m) => m.text)).toEqual(['old']);
  });

  it('takes a post and drops the connection without an answer (drop_after_post), or drops it untaken (drop)', async () => {
    // Prepare
    slack.failNext({ kind: 'drop_after_post' });
    slack.failNext({ kind: 'drop' });

    // Act
    const lost = await client.chat
      .postMessage({ channel: CHANNEL, text: 'taken', metadata: metadata('2026-11-23') })
      .catch((e: unknown) => e);
    const dropped = await client.chat.postMessage({ channel: CHANNEL, text: 'not taken' }).catch((e: unknown) => e);

    // Assess
    expect(lost).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(dropped).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(slack.messages.map((m) => m.text)).toEqual(['taken']);
    expect(slack.messages[0]?.metadata).toEqual(metadata('2026-11-23'));
    expect(slack.requests).toBe(2);
  });

  it('refuses metadata that is not {event_type, event_payload}', async () => {
    // Act
    const refused = await client
      .apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', metadata: '{"a":1}' })
      .catch((e: unknown) => e);

    // Assess
    expect(refused).toMatchObject({ data: { ok: false, error: 'invalid_metadata_format' } });
    expect(slack.messages).toHaveLength(0);
  });
});
