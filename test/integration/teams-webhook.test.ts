/**
 * The Teams sender (adapters/teams-webhook.ts) with the global fetch against the Teams workflow
 * webhook stand-in: a card is posted once; a 429 is waited out (Retry-After) and posted; a refused
 * connection is retried and a refusal is not; a 5xx, a dropped connection and a timeout are
 * "answer lost" and never posted twice; a deleted workflow, a wrong signature and an oversized card
 * fail naming the fix; a redirect is never followed; no message quotes the webhook's URL. An
 * oversized week's card is cut to fit and taken, where the same card uncut is refused.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { createTeamsSender, TeamsDeliveryError } from '../../functions/weekly-report/adapters/teams-webhook';
import type { TeamsMessage } from '../../functions/weekly-report/ports';
import { buildTeamsMessage, TEAMS_LIMITS, teamsMessageBytes } from '../../functions/weekly-report/render/teams-card';
import { buildReportView } from '../../functions/weekly-report/render/view';
import { cardOf, cardProblems } from '../support/adaptive-card-check';
import { makeHugeSummary, makeSummary } from '../support/summary-fixtures';
import {
  startTeamsWebhookEmulator,
  TEAMS_MESSAGE_LIMIT,
  type TeamsWebhookEmulator,
} from '../support/teams-webhook-emulator';

const MESSAGE: TeamsMessage = buildTeamsMessage(buildReportView(makeSummary()));

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What of the URL must never be shown: its path and its query (workflow id, signature). */
function secretParts(url: string): string[] {
  const u = new URL(url);
  return [url, u.pathname, u.search, u.searchParams.get('sig') ?? ''];
}

async function failure(promise: Promise<unknown>): Promise<TeamsDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TeamsDeliveryError);
  return error as TeamsDeliveryError;
}

describe('Teams sender', () => {
  let teams: TeamsWebhookEmulator;
  const slept: number[] = [];
  const sender = (url: string, options: { fetch?: typeof fetch } = {}) =>
    createTeamsSender({
      url,
      channel: 'security',
      sleep: async (ms) => {
        slept.push(ms);
      },
      ...options,
    });

  beforeAll(async () => {
    teams = await startTeamsWebhookEmulator();
  });
  afterAll(() => teams.close());
  afterEach(() => {
    teams.clearFaults();
    slept.length = 0;
  });

  it('posts the card once, and the stand-in takes it as a valid Adaptive Card', async () => {
    // Prepare
    const url = teams.workflowUrl();

    // Act
    const { status } = await sender(url).post(MESSAGE, { deadline: Date.now() + 10_000 });

    // Assess
    expect(status).toBe(202);
    const posts = teams.postsTo(url);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.message).toEqual(MESSAGE);
    expect(posts[0]?.problems).toEqual([]);
  });

  it('waits out a 429 for its Retry-After and then posts once', async () => {
    // Prepare
    const url = teams.workflowUrl({ throttleFirst: true, retryAfterSeconds: 2 });

    // Act
    const { status } = await sender(url).post(MESSAGE, { deadline: Date.now() + 10_000 });

    // Assess
    expect(status).toBe(202);
    expect(slept).toEqual([2_000]);
    expect(teams.postsTo(url)).toHaveLength(1);
  });

  it('fails without posting when Retry-After ends past the deadline', async () => {
    // Prepare
    const url = teams.workflowUrl({ throttleFirst: true, retryAfterSeconds: 30 });

    // Act
    const error = await failure(sender(url).post(MESSAGE, { deadline: Date.now() + 5_000 }));

    // Assess
    expect(error.code).toBe('rate_limited');
    expect(error.answerLost).toBe(false);
    expect(error.message).toMatch(/Retry-After 30s\) beyond the time left.*the next attempt posts it/);
    expect(teams.postsTo(url)).toHaveLength(0);
  });

  it('names a deleted or turned-off workflow (404) and the fix, never the URL', async () => {
    // Prepare
    const url = teams.unknownWorkflowUrl();

    // Act
    const error = await failure(sender(url).post(MESSAGE));

    // Assess
    expect(error.code).toBe('not_found');
    expect(error.answerLost).toBe(false);
    expect(error.message).toContain('teamsWebhooks.security');
    expect(error.message).toMatch(/HTTP 404 WorkflowNotFound\): the workflow was deleted or turned off/);
    expect(error.message).toContain('docs/teams.md');
    for (const part of secretParts(url)) expect(`${error.message} ${error.stack}`).not.toContain(part);
  });

  it('names a refused signature (401)', async () => {
    // Prepare: the right workflow, a wrong signature
    const url = teams.workflowUrl().replace(/sig=[^&]+/, 'sig=not-the-signature');

    // Act
    const error = await failure(sender(url).post(MESSAGE));

    // Assess
    expect(error.code).toBe('refused');
    expect(error.message).toMatch(/HTTP 401 DirectApiAuthorizationRequired\): the URL is incomplete or its signature/);
  });

  it("fits the longest week under its cap, which the stand-in takes, where a card over Teams' limit is refused as too large", async () => {
    // Prepare: 5000 anomalies (5000 groups) whose values are long and non-Latin (3 bytes a
    // character), with deep links as long as a card keeps (1,200 characters)
    const huge = makeHugeSummary();
    const summary = makeSummary({
      ...huge,
      anomalies: huge.anomalies.map((f, i) => ({
        ...f,
        user: `${'東'.repeat(200)}${i}@example.com`,
        detail: 'Москва'.repeat(100),
        link: `${f.link}&q=${'%2A'.repeat(340)}`,
      })),
    });
    const view = buildReportView(summary);
    const url = teams.workflowUrl();
    const fitted = buildTeamsMessage(view);
    // A card past Teams' limit: the fitted card's body four times over.
    const card = fitted.attachments[0].content;
    const oversized: TeamsMessage = {
      ...fitted,
      attachments: [
        {
          ...fitted.attachments[0],
          content: { ...card, body: [...card.body, ...card.body, ...card.body, ...card.body] },
        },
      ],
    };

    // Act
    const { status } = await sender(url).post(fitted);
    const refused = await failure(sender(url).post(oversized));

    // Assess
    expect(teamsMessageBytes(oversized)).toBeGreaterThan(TEAMS_MESSAGE_LIMIT);
    expect(status).toBe(202);
    expect(teamsMessageBytes(fitted)).toBeLessThanOrEqual(20_000);
    const taken = teams.postsTo(url);
    expect(taken).toHaveLength(1);
    expect(taken[0]?.problems).toEqual([]);
    const listed = JSON.stringify(fitted).match(/view in Datadog/g)?.length ?? 0;
    expect(listed).toBe(TEAMS_LIMITS.anomalies);
    expect(JSON.stringify(taken[0]?.message)).toContain(
      `and ${(5_000 - listed).toLocaleString('en-US')} more groups · [open the week in Datadog](https:`,
    );
    expect(refused.code).toBe('too_large');
    expect(refused.message).toMatch(/refused the card as too large \(HTTP 400 RequestEntityTooLarge\)/);
    expect(teams.postsTo(url)).toHaveLength(1);
  });

  it('treats a 5xx as an answer lost: not posted again by the sender', async () => {
    // Prepare
    const url = teams.workflowUrl();
    teams.failNext({ kind: 'http', status: 502, code: 'BadGateway' });
    const before = teams.answers.length;

    // Act
    const error = await failure(sender(url).post(MESSAGE));

    // Assess
    expect(error.answerLost).toBe(true);
    expect(error.code).toBe('http_502');
    expect(error.message).toMatch(
      /answered HTTP 502: the card may have been posted, so it is not posted again blindly/,
    );
    expect(teams.answers.slice(before)).toEqual(['502']);
  });

  it('treats a connection dropped after the post as an answer lost, and posts once', async () => {
    // Prepare
    const url = teams.workflowUrl();
    teams.failNext({ kind: 'drop_after_post' });

    // Act
    const error = await failure(sender(url).post(MESSAGE));

    // Assess
    expect(error.answerLost).toBe(true);
    expect(error.code).toBe('answer_lost');
    expect(teams.postsTo(url)).toHaveLength(1);
    for (const part of secretParts(url)) expect(`${error.message} ${error.stack}`).not.toContain(part);
  });

  it('treats a webhook that does not answer by the deadline as an answer lost', async () => {
    // Prepare: a server that takes the request and never answers
    const silent = createHttpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };

    // Act
    const started = Date.now();
    const error = await failure(
      sender(`http://127.0.0.1:${port}/workflows/x?sig=s`).post(MESSAGE, { deadline: Date.now() + 300 }),
    );
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));

    // Assess
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.answerLost).toBe(true);
    expect(error.message).toMatch(/did not answer \(TimeoutError\)/);
  });

  it('retries a connection that was never made, then fails as not posted', async () => {
    // Prepare
    const port = await closedPort();
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };

    // Act
    const error = await failure(
      sender(`http://127.0.0.1:${port}/workflows/x?sig=s`, { fetch: counting }).post(MESSAGE),
    );

    // Assess
    expect(requests).toBe(3);
    expect(slept).toEqual([250, 500]);
    expect(error.answerLost).toBe(false);
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/Could not reach .*\(ECONNREFUSED, after 3 attempts\): nothing was posted/);
  });

  it('never follows a redirect', async () => {
    // Prepare: a server that redirects every request elsewhere
    let hits = 0;
    const redirecting = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(307, { location: 'https://elsewhere.example/collect' });
      res.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const { port } = redirecting.address() as { port: number };

    // Act
    const error = await failure(sender(`http://127.0.0.1:${port}/workflows/x?sig=s`).post(MESSAGE));
    await new Promise<void>((resolve) => redirecting.close(() => resolve()));

    // Assess
    expect(hits).toBe(1);
    expect(error.code).toBe('redirect');
    expect(error.message).toMatch(/redirect \(HTTP 307, to another origin\), which is never followed/);
    expect(error.message).not.toContain('elsewhere.example');
  });

  it('posts only valid cards in this file', () => {
    // Assess: every card the stand-in took parses in adaptivecards without a warning
    expect(teams.posts.length).toBeGreaterThan(3);
    for (const post of teams.posts) expect(cardProblems(cardOf(post.message))).toEqual([]);
  });
});
