/**
 * Microsoft Teams as a channel of its own, through the deployed handler on the stand-ins (the real
 * Teams sender with the global fetch against the workflow webhook stand-in; SES, Slack, DynamoDB,
 * Secrets Manager as in the other handler tests): one card per report and window across duplicate
 * invocations; a 429 waited out; a deleted workflow, a plain-http URL or a channel missing from
 * the secret fails the Teams channel alone while email and Slack are delivered, and the
 * invocation fails naming it (the error alarm and the TeamsFailed metric see it); a post whose
 * answer was lost is refused by every retry until an invocation asks for it (`resend`); the
 * webhook's URL is never in a log line, the error or the result.
 */
import { DeliveryError } from '../../functions/weekly-report/errors';
import { createHandler, type HandlerResult } from '../../functions/weekly-report/handler';
import { cardOf, cardProblems } from '../support/adaptive-card-check';
import {
  EVENT,
  logLines,
  SCHEDULED,
  TEAMS_CHANNEL,
  TEAMS_GONE,
  TEAMS_INSECURE,
  useHandlerHarness,
} from '../support/handler-harness';

const harness = useHandlerHarness();

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

/** What of a webhook URL must never be shown: the URL, its path and query, its signature. */
function secretParts(url: string): string[] {
  const u = new URL(url);
  return [url, u.pathname, u.search, u.searchParams.get('sig') ?? ''].filter((p) => p.length >= 8);
}

/** Fails the test when any of the secret's webhook URLs shows in `text`. */
function expectNoWebhookUrl(text: string): void {
  for (const url of Object.values(harness().teamsUrls)) {
    for (const part of secretParts(url)) expect(text).not.toContain(part);
  }
}

function rejection(result: PromiseSettledResult<unknown>): DeliveryError {
  expect(result.status).toBe('rejected');
  return (result as PromiseRejectedResult).reason as DeliveryError;
}

describe('the Teams channel', () => {
  it('posts one card per report and window across duplicate invocations, a valid card with the report', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ TEAMS_CHANNEL });
    const org = env.ORG_NAME as string;

    // Act: two invocations at once (a duplicate delivery of the schedule's event), then a retry
    const both = await h.captureOutput(() =>
      Promise.all([createHandler(env)(EVENT, h.lambdaContext()), createHandler(env)(EVENT, h.lambdaContext())]),
    );
    const again = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess
    expect(both.result.status).toBe('fulfilled');
    const results = (both.result as PromiseFulfilledResult<HandlerResult[]>).value;
    const outcomes = results.map((r) => r.channels?.find((c) => c.channel === 'teams')?.outcome).sort();
    expect(outcomes).toEqual(['delivered', 'skipped_already_delivered']);
    expect(again.result.status).toBe('fulfilled');
    expect((again.result as PromiseFulfilledResult<HandlerResult>).value.channels).toContainEqual({
      channel: 'teams',
      outcome: 'skipped_already_delivered',
    });
    const posts = h.teamsPostsOf(org);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.problems).toEqual([]);
    const card = JSON.stringify(cardOf(posts[0]?.message));
    expect(card).toContain(`AI Activity Audit — ${org}`);
    expect(card).toContain('2026-11-16 to 2026-11-22');
    expect(h.postsOf(org)).toHaveLength(1);
    expect(await h.emailsOf(org)).toHaveLength(1);
    expect(metricsOf(both.output)).toMatchObject({ TeamsDelivered: 1, TeamsSkipped: 1 });
    expectNoWebhookUrl(both.output + again.output);
  });

  it('waits out a 429 for its Retry-After and posts once', async () => {
    // Prepare
    const h = harness();
    const env = h.appEnv({ TEAMS_CHANNEL, EMAIL_TO: '', SLACK_CHANNEL: '' });
    const org = env.ORG_NAME as string;
    h.msTeams.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 });
    const answers = h.msTeams.answers.length;

    // Act
    const started = Date.now();
    const run = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess
    expect(run.result.status).toBe('fulfilled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(h.msTeams.answers.slice(answers)).toEqual(['429', '202']);
    expect(h.teamsPostsOf(org)).toHaveLength(1);
    expect(logLines(run.output).find((l) => l.message === 'teams_rate_limited')).toEqual(
      expect.objectContaining({ channel: TEAMS_CHANNEL, retryAfterSeconds: 1, attempt: 1 }),
    );
    expectNoWebhookUrl(run.output);
  });

  it.each([
    [
      TEAMS_GONE,
      /teams: the Teams workflow webhook of channel gone \(teamsWebhooks\.gone, at 127\.0\.0\.1:\d+\) was not found \(HTTP 404 WorkflowNotFound\): the workflow was deleted or turned off/,
    ],
    [TEAMS_INSECURE, /teams: Teams channel insecure: teamsWebhooks\.insecure must be https:/],
    [
      'nowhere',
      /teams: Teams channel nowhere: the credentials secret's teamsWebhooks has no entry "nowhere": add "nowhere": "https:\/\/…"/,
    ],
  ])(
    'fails the Teams channel alone for channel %s: email and Slack go out, the invocation fails naming it',
    async (channel, message) => {
      // Prepare
      const h = harness();
      const env = h.appEnv({ TEAMS_CHANNEL: channel });
      const org = env.ORG_NAME as string;

      // Act
      const run = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

      // Assess: the invocation fails (the errors alarm and the DLQ see it), naming Teams and the fix
      const error = rejection(run.result);
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error.failedChannels).toEqual(['teams']);
      expect(error.message).toMatch(message);
      expect(await h.emailsOf(org)).toHaveLength(1);
      expect(h.postsOf(org)).toHaveLength(1);
      expect(h.teamsPostsOf(org)).toHaveLength(0);
      expect(metricsOf(run.output)).toMatchObject({ EmailDelivered: 1, SlackDelivered: 1, TeamsFailed: 1 });
      const outcome = logLines(run.output).find((l) => l.message === 'channel_outcome' && l.channel === 'teams');
      expect(outcome).toEqual(
        expect.objectContaining({ outcome: 'failed', key: `${org}:2026-11-23T00:00:00.000Z:teams` }),
      );
      expectNoWebhookUrl(`${run.output}\n${error.message}\n${error.stack}\n${String(error.cause)}`);
    },
  );

  it('posts on the retry after a failure that certainly posted nothing', async () => {
    // Prepare: the first request answers 404, as a workflow turned off for a moment
    const h = harness();
    const env = h.appEnv({ TEAMS_CHANNEL, EMAIL_TO: '', SLACK_CHANNEL: '' });
    const org = env.ORG_NAME as string;
    h.msTeams.failNext({ kind: 'http', status: 404, code: 'WorkflowNotFound' });

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const retry = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));

    // Assess
    expect(rejection(first.result).failedChannels).toEqual(['teams']);
    expect(retry.result.status).toBe('fulfilled');
    expect((retry.result as PromiseFulfilledResult<HandlerResult>).value.channels).toEqual([
      { channel: 'teams', outcome: 'delivered' },
    ]);
    expect(h.teamsPostsOf(org)).toHaveLength(1);
  });

  it('never posts blindly again after a lost answer: every run fails naming it until "resend": ["teams"]', async () => {
    // Prepare: the workflow takes the post and the connection drops before its answer
    const h = harness();
    const env = h.appEnv({ TEAMS_CHANNEL, EMAIL_TO: '', SLACK_CHANNEL: '' });
    const org = env.ORG_NAME as string;
    h.msTeams.failNext({ kind: 'drop_after_post' });

    // Act
    const first = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const retry = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext()));
    const afterRetry = h.teamsPostsOf(org).length;
    const resent = await h.captureOutput(() =>
      createHandler(env)({ scheduledTime: SCHEDULED, resend: ['teams'] }, h.lambdaContext()),
    );

    // Assess: the first run may have posted (it did, once) and says so
    const lost = rejection(first.result);
    expect(lost.failedChannels).toEqual(['teams']);
    expect(lost.message).toMatch(/did not answer .*: the card may have been posted, so it is not posted again blindly/);
    expect(metricsOf(first.output)).toMatchObject({ TeamsUnknown: 1, DeliveryUnknown: 1 });
    // The retry sends nothing and names what to do
    const refused = rejection(retry.result);
    expect(refused.message).toMatch(
      /the Teams card to channel security may have been sent at .*; its answer was lost .* invoke the function with this run's event plus "resend": \["teams"\]/,
    );
    expect(afterRetry).toBe(1);
    // The operator's resend posts it again, on purpose
    expect(resent.result.status).toBe('fulfilled');
    expect((resent.result as PromiseFulfilledResult<HandlerResult>).value.channels).toEqual([
      { channel: 'teams', outcome: 'delivered' },
    ]);
    expect(h.teamsPostsOf(org)).toHaveLength(2);
    expect(logLines(resent.output).find((l) => l.message === 'channel_sending_again')).toEqual(
      expect.objectContaining({ channel: 'teams', why: 'resend' }),
    );
    expectNoWebhookUrl(first.output + retry.output + resent.output + lost.message + refused.message);
  });

  it('posted only cards that parse in adaptivecards without a warning', () => {
    // Assess
    const { posts } = harness().msTeams;
    expect(posts.length).toBeGreaterThan(3);
    for (const post of posts) expect(cardProblems(cardOf(post.message))).toEqual([]);
  });
});
