/**
 * The Slack emulator refuses what Slack refuses: here, a message whose blocks are each within
 * their limits but add up to more than Slack takes in total (`msg_blocks_too_long`).
 */
import { WebClient } from '@slack/web-api';
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
