/**
 * The Slack thread reply, a ledger channel of its own (`slack_thread`), through the deployed
 * handler on the stand-ins (the real @slack/web-api client against the Slack emulator, DynamoDB on
 * dynalite, no mocks): the channel post goes first, its reply under the post's `ts`; a rerun after
 * a failed reply posts only the reply (under the `ts` the ledger recorded), never the post twice;
 * a reply whose answer was lost is found in the thread by its metadata (`conversations.replies`)
 * and not posted again, and one that truly did not happen is posted by the retry.
 */
import { POST_EVENT_TYPE, THREAD_EVENT_TYPE } from '../../functions/weekly-report/adapters/slack-post';
import type { DeliveryError } from '../../functions/weekly-report/errors';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import { EVENT, logLines, ledgerItem as readLedgerItem, useHandlerHarness } from '../support/handler-harness';

const harness = useHandlerHarness();
const WEEK = '2026-11-23T00:00:00.000Z';

const ledgerItem = (key: string) => readLedgerItem(harness(), key);

describe('the Slack thread reply', () => {
  it('is posted under the channel post, each with its own metadata; the post is at most 6 blocks', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;

    // Act
    const result = (await createHandler(env)(EVENT, h.lambdaContext())) as HandlerResult;

    // Assess
    expect(result.channels).toEqual([
      { channel: 'slack', outcome: 'delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    const [post] = h.postsOf(org);
    const [reply] = h.repliesOf(org);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)).toHaveLength(1);
    expect(post?.blocks.length).toBeLessThanOrEqual(6);
    expect(reply?.thread_ts).toBe(post?.ts);
    expect(post?.metadata?.event_type).toBe(POST_EVENT_TYPE);
    expect(reply?.metadata).toEqual({
      event_type: THREAD_EVENT_TYPE,
      event_payload: { report: org, window_from: '2026-11-16T00:00:00.000Z', window_to: WEEK },
    });
    const thread = await ledgerItem(`${org}:${WEEK}:slack_thread`);
    expect(thread?.status?.S).toBe('DELIVERED');
    expect(thread?.detail?.M).toEqual({ ts: { S: reply?.ts }, thread_ts: { S: post?.ts }, replies: { S: '1' } });
  });

  it('is posted alone by the rerun after it failed: the post once, the reply once, under the recorded ts', async () => {
    // Prepare: Slack refuses the reply (a failure for sure); the post went out.
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;
    h.slack.failNext({ kind: 'error', error: 'msg_too_long' }, 1, 'thread.reply');

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const threadBetween = await ledgerItem(`${org}:${WEEK}:slack_thread`);
    const recordedTs = (await ledgerItem(`${org}:${WEEK}:slack`))?.detail?.M?.ts?.S;
    const postsBetween = h.slack.requests;
    const retry = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess: the first run fails naming the reply alone; its claim released, the post recorded with its ts
    expect(first.result.status).toBe('rejected');
    const error = (first.result as PromiseRejectedResult).reason as DeliveryError;
    expect(error.failedChannels).toEqual(['slack_thread']);
    expect(error.message).toContain('msg_too_long');
    expect(threadBetween).toBeUndefined();
    expect(recordedTs).toMatch(/^\d+\.\d+$/);
    // The rerun skips the post and posts only the reply, under the post's recorded ts.
    expect(retry.result.status).toBe('fulfilled');
    expect((retry.result as PromiseFulfilledResult<HandlerResult>).value.channels).toEqual([
      { channel: 'slack', outcome: 'skipped_already_delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    expect(h.slack.requests - postsBetween).toBe(1);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)).toHaveLength(1);
    expect(h.postsOf(org)[0]?.ts).toBe(recordedTs);
    expect(h.repliesOf(org)[0]?.thread_ts).toBe(recordedTs);
    expect(
      logLines(retry.output)
        .filter((l) => l.message === 'channel_outcome')
        .map((l) => [l.channel, l.outcome]),
    ).toEqual([
      ['slack', 'skipped_already_delivered'],
      ['slack_thread', 'delivered'],
    ]);
  });

  it('waits for its post: when the post fails, the reply is not attempted, and the rerun posts both once', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;
    h.slack.failNext({ kind: 'error', error: 'channel_not_found' });

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const retry = (await createHandler(env)(EVENT, h.lambdaContext())) as HandlerResult;

    // Assess
    const error = (first.result as PromiseRejectedResult).reason as DeliveryError;
    expect(error.failedChannels).toEqual(['slack']);
    expect(error.run?.channels.map((c) => [c.channel, c.outcome])).toEqual([
      ['slack', 'failed'],
      ['slack_thread', 'failed'],
    ]);
    expect(retry.channels?.map((c) => c.outcome)).toEqual(['delivered', 'delivered']);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)).toHaveLength(1);
  });

  it('is found in the thread, not posted again, when its answer was lost', async () => {
    // Prepare: Slack takes the reply and drops the connection without answering.
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;
    h.slack.failNext({ kind: 'drop_after_post' }, 1, 'thread.reply');
    const replies0 = h.slack.repliesRequests;

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const between = await ledgerItem(`${org}:${WEEK}:slack_thread`);
    const postsBetween = h.slack.requests;
    const retry = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess
    expect(((first.result as PromiseRejectedResult).reason as DeliveryError).failedChannels).toEqual(['slack_thread']);
    expect(between?.status?.S).toBe('UNKNOWN');
    expect((retry.result as PromiseFulfilledResult<HandlerResult>).value.channels).toEqual([
      { channel: 'slack', outcome: 'skipped_already_delivered' },
      { channel: 'slack_thread', outcome: 'delivered', found: true },
    ]);
    expect(h.slack.requests - postsBetween).toBe(0);
    expect(h.slack.repliesRequests - replies0).toBe(1);
    expect(h.repliesOf(org)).toHaveLength(1);
    const lookup = logLines(retry.output).find((l) => l.message === 'slack_lookup');
    expect(lookup).toEqual(
      expect.objectContaining({
        key: `${org}:${WEEK}:slack_thread`,
        thread: h.postsOf(org)[0]?.ts,
        found: h.repliesOf(org)[0]?.ts,
      }),
    );
  });

  it('is posted by the retry when the lost reply truly did not happen, after looking', async () => {
    // Prepare: the connection drops before Slack takes the reply.
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;
    h.slack.failNext({ kind: 'drop' }, 1, 'thread.reply');
    const replies0 = h.slack.repliesRequests;

    // Act
    await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const retry = (await createHandler(env)(EVENT, h.lambdaContext())) as HandlerResult;

    // Assess
    expect(retry.channels).toEqual([
      { channel: 'slack', outcome: 'skipped_already_delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    expect(h.slack.repliesRequests - replies0).toBe(1);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)).toHaveLength(1);
  });
});
