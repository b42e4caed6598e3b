/**
 * At most once per channel when an answer is lost, through the deployed handler on the stand-ins
 * (real SDK and Slack clients, DynamoDB on dynalite, no mocks): a Slack post whose answer never
 * came is made once in all, the retried run finding it by its metadata in the channel's history;
 * a post that truly did not happen is made by the retry; an email whose SES answer was lost fails
 * every run naming it, is never resent by a retry, and goes out again only on an invocation that
 * asks for it (`resend`).
 */
import { WebClient } from '@slack/web-api';
import { POST_EVENT_TYPE } from '../../functions/weekly-report/adapters/slack-post';
import { DeliveryError, ReportError } from '../../functions/weekly-report/errors';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import {
  CHANNEL,
  EVENT,
  logLines,
  ledgerItem as readLedgerItem,
  SCHEDULED,
  SLACK_TOKEN,
  useHandlerHarness,
} from '../support/handler-harness';

const harness = useHandlerHarness();
const WEEK = '2026-11-23T00:00:00.000Z';

const ledgerItem = (key: string) => readLedgerItem(harness(), key);

/** EMF metric values published in `output`, by metric name (summed over lines). */
function metricsOf(output: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of logLines(output)) {
    const aws = line._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined;
    for (const group of aws?.CloudWatchMetrics ?? []) {
      for (const { Name } of group.Metrics) values[Name] = (values[Name] ?? 0) + Number(line[Name]);
    }
  }
  return values;
}

/** The DeliveryError an invocation fails with (one that succeeds fails the test). */
async function failureOf(run: Promise<unknown>): Promise<DeliveryError> {
  try {
    await run;
  } catch (error) {
    return error as DeliveryError;
  }
  throw new Error('the invocation succeeded');
}

describe('a Slack post whose answer was lost', () => {
  it('is posted once in all: the retried run finds it by its metadata and does not post again', async () => {
    // Prepare: Slack takes the post and drops the connection without answering.
    const h = harness();
    const env = h.appEnv();
    const org = env.ORG_NAME as string;
    h.slack.failNext({ kind: 'drop_after_post' });
    const posts0 = h.slack.requests;
    const history0 = h.slack.historyRequests;

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const posts1 = h.slack.requests;
    const between = await ledgerItem(`${org}:${WEEK}:slack`);
    const retry = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess: the first run fails naming Slack, having posted once (the client did not retry).
    expect(first.result.status).toBe('rejected');
    const error = (first.result as PromiseRejectedResult).reason as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.failedChannels).toEqual(['slack']);
    expect(error.message).toMatch(/slack: Slack did not answer chat.postMessage .*the post may have gone out/);
    expect(posts1 - posts0).toBe(1);
    expect(between?.status?.S).toBe('UNKNOWN');
    expect(metricsOf(first.output)).toMatchObject({ EmailDelivered: 1, SlackUnknown: 1, DeliveryUnknown: 1 });

    // The retry looks, finds, records; one post in all.
    expect(retry.result.status).toBe('fulfilled');
    const value = (retry.result as PromiseFulfilledResult<HandlerResult>).value;
    expect(value.channels).toEqual([
      { channel: 'email', outcome: 'skipped_already_delivered' },
      { channel: 'slack', outcome: 'delivered', found: true },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    const posts = h.postsOf(org);
    expect(posts).toHaveLength(1);
    // The first run's reply waited for its post; the retry posts only the reply, under the found post.
    expect(h.repliesOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)[0]?.thread_ts).toBe(posts[0]?.ts);
    expect(h.slack.requests - posts1).toBe(1);
    expect(h.slack.historyRequests - history0).toBe(1);
    expect(posts[0]?.metadata).toEqual({
      event_type: POST_EVENT_TYPE,
      event_payload: { report: org, window_from: '2026-11-16T00:00:00.000Z', window_to: WEEK },
    });
    const stored = await ledgerItem(`${org}:${WEEK}:slack`);
    expect(stored?.status?.S).toBe('DELIVERED');
    expect(stored?.detail?.M).toEqual({ ts: { S: posts[0]?.ts }, found: { S: 'true' } });
    expect(logLines(retry.output).find((l) => l.message === 'slack_lookup')).toEqual(
      expect.objectContaining({ key: `${org}:${WEEK}:slack`, channel: CHANNEL, found: posts[0]?.ts, pages: 1 }),
    );
    expect(metricsOf(retry.output)).toMatchObject({
      SlackDelivered: 1,
      SlackThreadDelivered: 1,
      FoundAfterLostAnswer: 1,
      DeliveryUnknown: 0,
    });
    expect(await h.emailsOf(org)).toHaveLength(1);
  });

  it('is posted by the retry when it truly did not happen (no post with its metadata, only others)', async () => {
    // Prepare: the connection drops before Slack takes the post; the channel holds the same
    // report's post of another week and another report's post of this week.
    const h = harness();
    const env = h.appEnv({ EMAIL_TO: '' });
    const org = env.ORG_NAME as string;
    const web = new WebClient(SLACK_TOKEN, { slackApiUrl: h.slack.url });
    for (const payload of [
      { report: org, window_from: '2026-11-09T00:00:00.000Z', window_to: '2026-11-16T00:00:00.000Z' },
      { report: `${org} other`, window_from: '2026-11-16T00:00:00.000Z', window_to: WEEK },
    ]) {
      await web.chat.postMessage({
        channel: CHANNEL,
        text: 'an earlier report',
        metadata: { event_type: POST_EVENT_TYPE, event_payload: payload },
      });
    }
    h.slack.failNext({ kind: 'drop' });
    const posts0 = h.slack.requests;

    // Act
    const first = await failureOf(createHandler(env)(EVENT, h.lambdaContext()));
    const retry = await createHandler(env)(EVENT, h.lambdaContext());

    // Assess
    expect(first.failedChannels).toEqual(['slack']);
    // The reply waits for its post (not attempted, so not a failure of its own).
    expect(first.run?.channels.map((c) => `${c.channel}:${c.outcome}`)).toEqual([
      'slack:unknown',
      'slack_thread:failed',
    ]);
    expect(retry.channels).toEqual([
      { channel: 'slack', outcome: 'delivered' },
      { channel: 'slack_thread', outcome: 'delivered' },
    ]);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.postsOf(org)[0]?.metadata?.event_payload).toMatchObject({ report: org, window_to: WEEK });
    expect(h.repliesOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)[0]?.thread_ts).toBe(h.postsOf(org)[0]?.ts);
    // One post lost before Slack took it, then the retry's post and its reply.
    expect(h.slack.requests - posts0).toBe(3);
    expect((await ledgerItem(`${org}:${WEEK}:slack`))?.status?.S).toBe('DELIVERED');
  });
});

describe('an email whose SES answer was lost', () => {
  it('fails the run naming it, is not resent by the retry, and is resent by an invocation with resend: ["email"]', async () => {
    // Prepare: SES takes the message; its answer never reaches the function.
    const h = harness();
    const env = h.appEnv();
    const org = env.ORG_NAME as string;
    h.aws.ses.dropNextAnswers(1);
    const sends0 = h.aws.ses.sendRequests;

    // Act
    const first = await failureOf(createHandler(env)(EVENT, h.lambdaContext()));
    const sends1 = h.aws.ses.sendRequests;
    const retry = await failureOf(createHandler(env)(EVENT, h.lambdaContext()));
    const sends2 = h.aws.ses.sendRequests;
    const emailsBeforeResend = (await h.emailsOf(org)).length;
    const resent = await createHandler(env)({ scheduledTime: SCHEDULED, resend: ['email'] }, h.lambdaContext());
    const again = await createHandler(env)({ scheduledTime: SCHEDULED, resend: ['email'] }, h.lambdaContext());

    // Assess: one SendEmail (the SDK did not retry it), failed as unknown; Slack went out.
    expect(first.failedChannels).toEqual(['email']);
    expect(first.message).toMatch(
      /email: SES did not answer SendEmail .*may have been sent, so it is not sent again blindly/,
    );
    expect(first.run?.channels.map((c) => `${c.channel}:${c.outcome}`)).toEqual([
      'email:unknown',
      'slack:delivered',
      'slack_thread:delivered',
    ]);
    expect(sends1 - sends0).toBe(1);
    // The retry sends nothing and names the email and when it may have gone.
    expect(retry.failedChannels).toEqual(['email']);
    expect(retry.message).toMatch(
      /email to ana@example.com, bo@example.com may have been sent at 20\d\d-\d\d-\d\dT[\d:.]+Z; its answer was lost \(SES did not answer SendEmail/,
    );
    expect(retry.message).toContain('"resend": ["email"]');
    expect(sends2 - sends1).toBe(0);
    expect(emailsBeforeResend).toBe(1);
    // Sent again on purpose, once; Slack is not touched.
    expect(resent.channels).toEqual([
      { channel: 'email', outcome: 'delivered' },
      { channel: 'slack', outcome: 'skipped_already_delivered' },
      { channel: 'slack_thread', outcome: 'skipped_already_delivered' },
    ]);
    expect(again.channels?.map((c) => c.outcome)).toEqual([
      'skipped_already_delivered',
      'skipped_already_delivered',
      'skipped_already_delivered',
    ]);
    expect(await h.emailsOf(org)).toHaveLength(2);
    expect(h.postsOf(org)).toHaveLength(1);
    expect(h.repliesOf(org)).toHaveLength(1);
    expect((await ledgerItem(`${org}:${WEEK}:email`))?.status?.S).toBe('DELIVERED');
  });

  it('refuses a resend that names no channel it knows, or no scheduledTime, sending nothing', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv();
    const org = env.ORG_NAME as string;

    // Act
    const wrong = createHandler(env)({ scheduledTime: SCHEDULED, resend: ['fax'] }, h.lambdaContext());
    const timeless = createHandler(env)({ resend: ['email'] }, h.lambdaContext());

    // Assess
    await expect(wrong).rejects.toThrow(
      'event.resend must be a list of channels to send again although their outcome is unknown ("email", "slack", "slack_thread", "teams"); got "fax"',
    );
    await expect(timeless).rejects.toThrow(/^event.resend needs the scheduledTime of the run/);
    await expect(timeless).rejects.toBeInstanceOf(ReportError);
    expect(await h.emailsOf(org)).toHaveLength(0);
    expect(h.postsOf(org)).toHaveLength(0);
    expect(h.repliesOf(org)).toHaveLength(0);
  });
});
