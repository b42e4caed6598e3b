/**
 * Keys go to Datadog and the token to Slack, nowhere else: a redirect to another origin (a
 * compromised proxy, a wrong DD_API_URL or SLACK_API_URL) is never followed, whatever the
 * transport (the global fetch in Lambda, node:http in the command line, @slack/web-api's fetch).
 * The stand-ins are real servers on 127.0.0.1: the Datadog emulator answering 307 with its
 * `redirectTo` fault, a Slack API that redirects, and a second server at the other origin that
 * records every request it gets and answers what an attacker would (an empty, "quiet" page). A
 * redirect fails the read naming it: never a complete, quiet week.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatadogAuditSource, DatadogApiError } from '../../functions/weekly-report/adapters/datadog/audit-source';
import type { Transport } from '../../functions/weekly-report/adapters/datadog/client';
import { createDatadogMetricsSource } from '../../functions/weekly-report/adapters/datadog/metrics-source';
import { nodeHttpTransport } from '../../functions/weekly-report/adapters/datadog/node-transport';
import { createSlackSender, createSlackWebClient } from '../../functions/weekly-report/adapters/slack-post';
import { WindowAggregate } from '../../functions/weekly-report/core/aggregate';
import { SlackDeliveryError } from '../../functions/weekly-report/errors';
import { createHandler } from '../../functions/weekly-report/handler';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { DD_API_KEY, DD_APP_KEY, EVENT, SLACK_TOKEN, useHandlerHarness } from '../support/handler-harness';
import { runReport } from '../support/report-cli';

const harness = useHandlerHarness();

const DAY = 86_400_000;
const RANGE = { from: Date.parse('2026-11-16T00:00:00Z'), to: Date.parse('2026-11-23T00:00:00Z') };

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** The other origin: records every request and answers 200 with an empty search page (`{"data":[]}`), as an attacker would. */
async function startRecorder(): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: true, data: [], ts: '1.1' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Any request the recorder got that carries a credential. */
function withCredentials(requests: readonly Recorded[]): Recorded[] {
  return requests.filter((r) => r.headers['dd-api-key'] || r.headers['dd-application-key'] || r.headers.authorization);
}

let recorder: Awaited<ReturnType<typeof startRecorder>>;
let datadog: DatadogEmulator;
beforeAll(async () => {
  recorder = await startRecorder();
  datadog = await startDatadogEmulator({ events: harness().events, apiKey: DD_API_KEY, appKey: DD_APP_KEY });
});
afterAll(async () => {
  await Promise.all([recorder?.close(), datadog?.close()]);
});
afterEach(() => {
  recorder.requests.length = 0;
  datadog.setFaults({});
});

describe('the Datadog client', () => {
  const transports: Array<[string, Transport | undefined]> = [
    ['the global fetch (Lambda)', undefined],
    ['node:http (the command line)', nodeHttpTransport],
  ];

  it.each(
    transports.flatMap(([name, transport]) =>
      ([307, 308, 302, 301, 303] as const).map((status) => [name, status, transport] as const),
    ),
  )(
    'over %s refuses a %i to another origin: the read fails naming the redirect, no key leaves',
    async (_name, status, transport) => {
      // Prepare
      datadog.setFaults({ redirectTo: recorder.url, redirectStatus: status });
      const source = createDatadogAuditSource({
        apiKey: DD_API_KEY,
        appKey: DD_APP_KEY,
        baseUrl: datadog.url,
        backoffBaseMs: 1,
        ...(transport ? { fetch: transport } : {}),
      });

      // Act
      const read = source.collect(RANGE, () => new WindowAggregate());

      // Assess
      await expect(read).rejects.toBeInstanceOf(DatadogApiError);
      await expect(read).rejects.toThrow(
        new RegExp(
          `Datadog answered with a redirect \\(HTTP ${status}, to another origin\\), which is never followed: the keys are sent to 127\\.0\\.0\\.1:\\d+ only`,
        ),
      );
      expect(recorder.requests).toEqual([]);
      expect(datadog.stats.byStatus[status]).toBeGreaterThan(0);
    },
  );

  it('refuses a redirect within the same origin too, and never retries one', async () => {
    // Prepare
    datadog.setFaults({ redirectTo: datadog.url });
    const before = datadog.stats.requests;
    const source = createDatadogAuditSource({
      apiKey: DD_API_KEY,
      appKey: DD_APP_KEY,
      baseUrl: datadog.url,
      backoffBaseMs: 1,
      sliceCount: 1,
    });

    // Act
    const read = source.collect(RANGE, () => new WindowAggregate());

    // Assess
    await expect(read).rejects.toThrow(/redirect \(HTTP 307, within the same origin\), which is never followed/);
    expect(datadog.stats.requests - before).toBe(1);
  });

  it('leaves the MCP usage metric unavailable, naming the redirect, with no key sent elsewhere', async () => {
    // Prepare
    datadog.setFaults({ redirectTo: recorder.url });
    const usage = createDatadogMetricsSource({
      apiKey: DD_API_KEY,
      appKey: DD_APP_KEY,
      baseUrl: datadog.url,
      backoffBaseMs: 1,
    });

    // Act
    const data = await usage.usage({ window: RANGE, previous: { from: RANGE.from - 7 * DAY, to: RANGE.from } });

    // Assess
    expect(JSON.stringify(data.window)).toMatch(/redirect \(HTTP 307, to another origin\), which is never followed/);
    expect(recorder.requests).toEqual([]);
  });
});

describe('the node:http transport', () => {
  it("rejects a redirect as fetch does when asked for redirect: 'error', and never follows one", async () => {
    // Prepare
    datadog.setFaults({ redirectTo: recorder.url });
    const url = `${datadog.url}/api/v2/audit/events/search`;
    const init = { method: 'POST', headers: { 'DD-API-KEY': DD_API_KEY }, body: '{}' };

    // Act
    const refused = nodeHttpTransport(url, { ...init, redirect: 'error' }).then(
      () => undefined,
      (e: unknown) => e as TypeError,
    );
    const followAsked = await nodeHttpTransport(url, { ...init, redirect: 'follow' });

    // Assess
    const error = await refused;
    expect(error?.message).toBe('fetch failed');
    expect((error?.cause as Error | undefined)?.message).toBe('unexpected redirect');
    expect(followAsked.status).toBe(307);
    expect(recorder.requests).toEqual([]);
  });
});

describe('links in answers', () => {
  it('follows neither links.next nor a cursor that is a URL of another origin: both stay with Datadog', async () => {
    // Prepare: a Datadog stand-in whose first page points its `links.next` at the recorder and
    // hands out a cursor that is the recorder's address; the page asked with that cursor is the last.
    const bodies: unknown[] = [];
    const [event] = harness().events.filter((e) => {
      const time = Date.parse(String((e as { attributes?: { timestamp?: unknown } }).attributes?.timestamp));
      return time >= RANGE.from && time < RANGE.to;
    });
    const standIn = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { page?: { cursor?: string } };
        bodies.push(body);
        const page = body.page?.cursor
          ? { data: [] }
          : {
              data: [event],
              meta: { page: { after: `${recorder.url}/steal?cursor=1` }, status: 'done' },
              links: { next: `${recorder.url}/api/v2/audit/events?page[cursor]=x` },
            };
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(page));
      });
    });
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    const source = createDatadogAuditSource({
      apiKey: DD_API_KEY,
      appKey: DD_APP_KEY,
      baseUrl: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
      sliceCount: 1,
    });

    // Act
    try {
      const read = await source.collect(RANGE, () => new WindowAggregate());

      // Assess
      expect(read.events).toBe(1);
      expect(bodies).toHaveLength(2);
      expect((bodies[1] as { page: { cursor: string } }).page.cursor).toBe(`${recorder.url}/steal?cursor=1`);
      expect(recorder.requests).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => standIn.close(() => resolve()));
    }
  });
});

describe('the handler', () => {
  it('fails naming the redirect and sends nothing when every Datadog answer is a redirect: no quiet week', async () => {
    // Prepare
    const h = harness();
    h.datadog.setFaults({ redirectTo: recorder.url });
    const env = h.appEnv();

    // Act
    const { result } = await h.captureOutput(() => createHandler(env)(EVENT, h.lambdaContext(60_000)));

    // Assess
    expect(result.status).toBe('rejected');
    expect(String((result as PromiseRejectedResult).reason)).toMatch(
      /redirect \(HTTP 307, to another origin\), which is never followed/,
    );
    expect(withCredentials(recorder.requests)).toEqual([]);
    expect(recorder.requests).toEqual([]);
    expect(await h.emailsOf(env.ORG_NAME as string)).toHaveLength(0);
    expect(h.postsOf(env.ORG_NAME as string)).toHaveLength(0);
  });
});

describe('the Slack client', () => {
  it('refuses a redirect of chat.postMessage to another origin, naming it, and sends the token nowhere else', async () => {
    // Prepare: a Slack API URL whose every answer is a 307 to the recorder.
    const redirector = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `${recorder.url}${req.url ?? '/'}` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const slackApiUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/api/`;
    const sender = createSlackSender({ client: createSlackWebClient(SLACK_TOKEN, { slackApiUrl }) });

    // Act
    const post = sender.post({ channel: 'C0123456789', text: 'hello', blocks: [], unfurl_links: false });

    // Assess
    try {
      await expect(post).rejects.toBeInstanceOf(SlackDeliveryError);
      await expect(post).rejects.toThrow(
        /Slack answered with a redirect \(HTTP 307, to another origin\), which is never followed: the token is sent to 127\.0\.0\.1:\d+ only/,
      );
      expect(recorder.requests).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });
});

describe('the command line', () => {
  it('fails a live summary naming the redirect, with no key sent to the other origin (node:http)', async () => {
    // Prepare
    datadog.setFaults({ redirectTo: recorder.url });
    const env = { DD_API_URL: datadog.url, DD_API_KEY, DD_APP_KEY };

    // Act
    const run = await runReport(['summarize', '--from', '2026-11-16T00:00:00Z', '--to', '2026-11-23T00:00:00Z'], env);

    // Assess
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/redirect \(HTTP 307, to another origin\), which is never followed/);
    expect(recorder.requests).toEqual([]);
  });
});
