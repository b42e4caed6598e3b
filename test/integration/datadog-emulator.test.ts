/**
 * The Datadog audit API emulator against the official spec (../shared/datadog/audit-openapi.yaml):
 * response schemas, page.limit validation, auth, cursors, sort orders (and answers out of the
 * order asked for), filters, the final empty page, rate limit headers and fault injection. Real
 * HTTP over 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, outerTime, type RawAuditEvent } from '../support/generator';

// A verbatim copy of ../shared/datadog/audit-openapi.yaml (Apache-2.0, see its header), so a clone tests alone.
const SPEC_PATH = join(__dirname, '../fixtures/datadog/audit-openapi.yaml');
const FROM = '2026-11-16T00:00:00.000Z';
const TO = '2026-11-17T00:00:00.000Z';
const MCP = '@evt.name:"MCP Server"';

function specValidators(): { response: ValidateFunction; error: ValidateFunction } {
  const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  // OpenAPI 3.0 schemas carry `example` and `x-…` keywords; strict mode would refuse them.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'spec', components: spec.components });
  return {
    response: ajv.compile({ $ref: 'spec#/components/schemas/AuditLogsEventsResponse' }),
    error: ajv.compile({ $ref: 'spec#/components/schemas/APIErrorResponse' }),
  };
}

interface Page {
  data: RawAuditEvent[];
  meta?: { page?: { after?: string }; status?: string; warnings?: unknown[] };
  links?: { next?: string };
}

describe('Datadog audit emulator', () => {
  const events = [
    ...generateEvents({
      seed: 21,
      from: new Date(FROM),
      to: new Date(TO),
      count: 400,
      nonMcpRate: 0.2,
      malformedRate: 0.05,
      malformedSpecValid: true,
      hostileRate: 0.05,
    }),
  ];
  // Events just outside the range, which a [FROM, TO) search must not return.
  const outside = [
    ...generateEvents({ seed: 22, from: new Date(TO), to: new Date('2026-11-18T00:00:00Z'), count: 20 }),
  ];
  const isMcpInRange = (e: RawAuditEvent): boolean => {
    const t = outerTime(e);
    const name = (e as { attributes?: { attributes?: { evt?: { name?: unknown } } } } | null)?.attributes?.attributes
      ?.evt?.name;
    return name === 'MCP Server' && t >= Date.parse(FROM) && t < Date.parse(TO);
  };
  const expectedIds = events.filter(isMcpInRange).map((e) => e.id);
  let emulator: DatadogEmulator;
  const validators = specValidators();

  beforeAll(async () => {
    emulator = await startDatadogEmulator({ events: [...events, ...outside], seed: 5 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => emulator.setFaults({}));

  function search(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${emulator.url}/api/v2/audit/events/search`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'DD-API-KEY': emulator.apiKey,
        'DD-APPLICATION-KEY': emulator.appKey,
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  async function pageThrough(limit: number, sort: string, query = MCP): Promise<{ pages: Page[]; ids: unknown[] }> {
    const pages: Page[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const res = await search({ filter: { query, from: FROM, to: TO }, page: { limit, cursor }, sort });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      pages.push(page);
      if (page.data.length === 0) break;
      cursor = page.meta?.page?.after;
    }
    return { pages, ids: pages.flatMap((p) => p.data.map((e) => e.id)) };
  }

  describe('responses', () => {
    it('match the spec schema for search, list, and every error', async () => {
      // Act
      const ok = await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 50 }, sort: 'timestamp' });
      const okBody = await ok.json();
      const list = await fetch(`${emulator.url}/api/v2/audit/events?page%5Blimit%5D=2`, {
        headers: { 'DD-API-KEY': emulator.apiKey, 'DD-APPLICATION-KEY': emulator.appKey },
      });
      const listBody = await list.json();
      const bad = await search({ page: { limit: 5000 } });
      const forbidden = await search({}, { 'DD-API-KEY': 'wrong' });
      emulator.setFaults({ always429: true });
      const limited = await search({});

      // Assess
      expect(ok.status).toBe(200);
      validators.response(okBody);
      expect(validators.response.errors ?? null).toBeNull();
      expect(list.status).toBe(200);
      expect(validators.response(listBody)).toBe(true);
      for (const [res, status] of [
        [bad, 400],
        [forbidden, 403],
        [limited, 429],
      ] as const) {
        expect(res.status).toBe(status);
        expect(validators.error(await res.json())).toBe(true);
      }
    });

    it('carry X-RateLimit-* headers', async () => {
      // Act
      const res = await search({ filter: { query: MCP, from: FROM, to: TO } });

      // Assess
      for (const name of ['limit', 'period', 'remaining', 'reset', 'name']) {
        expect(res.headers.get(`x-ratelimit-${name}`)).toBeTruthy();
      }
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(
        Number(res.headers.get('x-ratelimit-limit')),
      );
    });
  });

  describe('page.limit', () => {
    it.each([0, 1001, -1, 1.5, 'ten'])('refuses %p with 400', async (limit) => {
      // Act
      const res = await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit } });

      // Assess
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: string[] }).errors[0]).toMatch(/limit/);
    });

    it('accepts 1 and 1000 and defaults to 10', async () => {
      // Act
      const one = (await (
        await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 1 } })
      ).json()) as Page;
      const max = (await (
        await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 1000 } })
      ).json()) as Page;
      const dflt = (await (await search({ filter: { query: MCP, from: FROM, to: TO } })).json()) as Page;

      // Assess
      expect(one.data).toHaveLength(1);
      expect(max.data).toHaveLength(expectedIds.length);
      expect(dflt.data).toHaveLength(10);
    });
  });

  describe('auth', () => {
    it.each([
      ['no API key', { 'DD-API-KEY': '' }],
      ['no application key', { 'DD-APPLICATION-KEY': '' }],
      ['a wrong application key', { 'DD-APPLICATION-KEY': 'nope' }],
    ])('answers 403 with %s', async (_what, headers) => {
      // Act
      const res = await search({ filter: { query: MCP } }, headers);

      // Assess
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ errors: ['Forbidden'] });
    });
  });

  describe('cursors and sorting', () => {
    it('pages through every MCP event in range exactly once, ascending, ending with {"data":[]} and no meta', async () => {
      // Act
      const { pages, ids } = await pageThrough(7, 'timestamp');

      // Assess
      expect(ids).toEqual(expectedIds);
      expect(pages[pages.length - 1]).toEqual({ data: [] });
      const cursor = pages[0]?.meta?.page?.after ?? '';
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(pages[0]?.links?.next).toContain('page%5Bcursor%5D=');
    });

    it('pages newest first with -timestamp (also the default)', async () => {
      // Act
      const desc = await pageThrough(50, '-timestamp');
      const dflt = await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 5 } });

      // Assess
      expect(desc.ids).toEqual([...expectedIds].reverse());
      expect(((await dflt.json()) as Page).data.map((e) => e.id)).toEqual([...expectedIds].reverse().slice(0, 5));
    });

    it('keeps cursors on short pages, so nothing is lost', async () => {
      // Prepare
      emulator.setFaults({ shortPageRate: 0.6 });

      // Act
      const { pages, ids } = await pageThrough(20, 'timestamp');

      // Assess
      expect(ids).toEqual(expectedIds);
      const short = pages.filter((p) => p.data.length > 0 && p.data.length < 20 && p.meta?.page?.after);
      expect(short.length).toBeGreaterThan(1);
    });

    it('shuffles each page under the `page` fault: the same events per page, another order, the same every time', async () => {
      // Prepare
      const inOrder = await pageThrough(50, 'timestamp');
      emulator.setFaults({ shuffle: 'page' });

      // Act
      const first = await pageThrough(50, 'timestamp');
      const again = await pageThrough(50, 'timestamp');

      // Assess
      const idSets = (pages: Page[]) => pages.map((p) => p.data.map((e) => String(e.id)).sort());
      expect(idSets(first.pages)).toEqual(idSets(inOrder.pages));
      expect(first.ids).not.toEqual(inOrder.ids);
      expect(again.ids).toEqual(first.ids);
    });

    it('serves the query in a shuffled order across its pages under the `range` fault, every event once', async () => {
      // Prepare
      emulator.setFaults({ shuffle: 'range' });

      // Act
      const { pages, ids } = await pageThrough(50, 'timestamp');

      // Assess: all of them once, and the first page is not the 50 oldest but a sample of the day.
      expect([...ids].sort()).toEqual([...expectedIds].sort());
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages[pages.length - 1]).toEqual({ data: [] });
      const firstTimes = (pages[0]?.data ?? []).map(outerTime);
      expect(Math.max(...firstTimes)).toBeGreaterThan(Date.parse(FROM) + 12 * 3_600_000);
    });

    it('serves newest first whatever `sort` asks under the `ignoreSort` fault', async () => {
      // Prepare
      emulator.setFaults({ ignoreSort: true });

      // Act
      const { ids } = await pageThrough(50, 'timestamp');

      // Assess
      expect(ids).toEqual([...expectedIds].reverse());
    });

    it('refuses a cursor of another query', async () => {
      // Prepare
      const first = (await (
        await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 3 } })
      ).json()) as Page;

      // Act
      const res = await search({
        filter: { query: '*', from: FROM, to: TO },
        page: { limit: 3, cursor: first.meta?.page?.after },
      });

      // Assess
      expect(res.status).toBe(400);
    });
  });

  describe('filters', () => {
    it('returns non-MCP events only for a query that asks for them', async () => {
      // Act
      const all = await pageThrough(1000, 'timestamp', '*');
      const requests = await pageThrough(1000, 'timestamp', '@evt.name:Request');

      // Assess
      expect(all.ids.length).toBeGreaterThan(expectedIds.length);
      expect(requests.ids.length).toBeGreaterThan(0);
      expect(requests.ids.some((id) => expectedIds.includes(id))).toBe(false);
    });

    it('reads epoch milliseconds and now-relative times', async () => {
      // Act
      const epoch = (await (
        await search({
          filter: { query: MCP, from: String(Date.parse(FROM)), to: String(Date.parse(TO)) },
          page: { limit: 1000 },
        })
      ).json()) as Page;
      const recent = (await (
        await search({ filter: { query: MCP, from: 'now-15m', to: 'now' }, page: { limit: 1000 } })
      ).json()) as Page;

      // Assess
      expect(epoch.data).toHaveLength(expectedIds.length);
      expect(recent).toEqual({ data: [] });
    });

    it('refuses a bad time with 400', async () => {
      // Act
      const res = await search({ filter: { query: MCP, from: 'last tuesday', to: TO } });

      // Assess
      expect(res.status).toBe(400);
    });
  });

  describe('fault injection', () => {
    it('answers 429 with X-RateLimit-Reset and 503, repeatably for a seed', async () => {
      // Prepare
      const statuses = async (): Promise<number[]> => {
        emulator.setFaults({ rate429: 0.3, rate503: 0.3, resetSeconds: 3 });
        const out: number[] = [];
        for (let i = 0; i < 20; i++) {
          const res = await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 3 } });
          out.push(res.status);
          if (res.status === 429) expect(res.headers.get('x-ratelimit-reset')).toBe('3');
          await res.arrayBuffer();
        }
        return out;
      };

      // Act
      const first = await statuses();
      const second = await statuses();

      // Assess
      expect(first).toEqual(second);
      expect(first).toContain(429);
      expect(first).toContain(503);
      expect(first).toContain(200);
    });

    it('reports meta.status "timeout" with a partial page, and warnings', async () => {
      // Prepare
      emulator.setFaults({ timeoutRate: 1, warningRate: 1 });

      // Act
      const page = (await (
        await search({ filter: { query: MCP, from: FROM, to: TO }, page: { limit: 20 } })
      ).json()) as Page;

      // Assess
      expect(page.meta?.status).toBe('timeout');
      expect(page.data.length).toBeLessThan(20);
      expect(page.meta?.warnings?.length).toBe(1);
      expect(validators.response(page)).toBe(true);
    });

    it('delays responses by the set latency', async () => {
      // Prepare
      emulator.setFaults({ latencyMs: 200 });
      const started = Date.now();

      // Act
      const res = await search({ filter: { query: MCP, from: FROM, to: TO } });
      await res.arrayBuffer();

      // Assess
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });
  });
});
