/**
 * The Datadog audit source (real @datadog/datadog-api-client) against the audit API emulator over
 * 127.0.0.1: completeness across short pages and cursors, faults, answers out of the order asked
 * for, timeouts, auth errors, filtering, slicing and deadlines (the shared read over it:
 * shared-read.test.ts).
 */
import { createServer } from 'node:http';
import {
  createDatadogAuditSource,
  DatadogApiError,
  type DatadogAuditSourceOptions,
  DatadogAuthError,
  sliceRange,
} from '../../functions/weekly-report/adapters/datadog/audit-source';
import { WindowAggregate } from '../../functions/weekly-report/core/aggregate';
import { type DataGap, isUnread, toGap } from '../../functions/weekly-report/core/gaps';
import { summarize } from '../../functions/weekly-report/core/summarize';
import type { CallRecord, Mergeable } from '../../functions/weekly-report/core/types';
import { reportSettings } from '../../functions/weekly-report/core/types';
import type { FetchOptions } from '../../functions/weekly-report/ports';
import { type DatadogEmulator, type EmulatorFaults, startDatadogEmulator } from '../support/datadog-emulator';
import { generateEvents, outerTime, type RawAuditEvent } from '../support/generator';

const FROM = new Date('2026-11-16T09:00:00.000Z');
const TO = new Date('2026-11-23T09:00:00.000Z');
/** The report range as the source takes it (epoch ms). */
const RANGE = { from: FROM.getTime(), to: TO.getTime() };
const DAY = 86_400_000;

/** A partial that remembers event ids (a multiset) and gaps: enough to compare fetches exactly. */
class IdCollector implements Mergeable<IdCollector> {
  readonly ids: string[] = [];
  readonly gaps: DataGap[] = [];
  addRecord(record: CallRecord): void {
    this.ids.push(String(record.id));
  }
  merge(other: IdCollector): IdCollector {
    this.ids.push(...other.ids);
    this.gaps.push(...other.gaps);
    return this;
  }
  markIncomplete(reason: string | DataGap): void {
    this.gaps.push(toGap(reason));
  }
  /** The causes, in the order the gaps were recorded. */
  get reasons(): string[] {
    return this.gaps.map((g) => g.cause);
  }
}

function eventName(e: RawAuditEvent): unknown {
  return (e as { attributes?: { attributes?: { evt?: { name?: unknown } } } }).attributes?.attributes?.evt?.name;
}

const settings = reportSettings({ org: 'Acme', window: RANGE });

function summaryOf(events: Iterable<RawAuditEvent>): ReturnType<typeof summarize> {
  const aggregate = new WindowAggregate();
  for (const e of events) aggregate.add(e);
  return summarize(aggregate, undefined, settings);
}

describe('Datadog audit source', () => {
  const events = [
    ...generateEvents({
      seed: 31,
      from: FROM,
      to: TO,
      count: 6000,
      nonMcpRate: 0.1,
      malformedRate: 0.02,
      malformedSpecValid: true,
      hostileRate: 0.02,
    }),
  ];
  // Out-of-window events, one exactly at the window's end (served, as the emulator includes `to` here).
  const atEnd = {
    ...(generateEvents({ seed: 32, from: TO, to: new Date(TO.getTime() + 1), count: 1 }).next().value as RawAuditEvent),
  };
  const after = [
    ...generateEvents({ seed: 33, from: new Date(TO.getTime() + 1), to: new Date(TO.getTime() + DAY), count: 300 }),
  ];
  const before = [...generateEvents({ seed: 34, from: new Date(FROM.getTime() - DAY), to: FROM, count: 300 })];
  const expected = events.filter((e) => eventName(e) === 'MCP Server' && Number.isFinite(outerTime(e)));
  const expectedIds = expected.map((e) => String(e.id)).sort();
  let emulator: DatadogEmulator;

  const fast: Partial<DatadogAuditSourceOptions> = { backoffBaseMs: 2, maxRateLimitWaitMs: 10 };
  const source = (options: Partial<DatadogAuditSourceOptions> = {}) =>
    createDatadogAuditSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
      ...fast,
      ...options,
    });

  beforeAll(async () => {
    emulator = await startDatadogEmulator({
      events: [...before, ...events, atEnd, ...after],
      inclusiveTo: true,
      seed: 9,
    });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => emulator.setFaults({}));

  describe('completeness', () => {
    it('collects every MCP event across short pages and many cursors', async () => {
      // Prepare
      emulator.setFaults({ shortPageRate: 0.3 });
      const requestsBefore = emulator.stats.requests;

      // Act
      const result = await source({ pageLimit: 100, sliceCount: 5, concurrency: 3 }).collect(
        RANGE,
        () => new IdCollector(),
      );

      // Assess
      expect([...result.ids].sort()).toEqual(expectedIds);
      expect(result.reasons).toEqual([]);
      expect(emulator.stats.requests - requestsBefore).toBeGreaterThan(expected.length / 100 + 5);
    });

    it('never counts non-MCP events or events outside the window, even one at exactly `to`', async () => {
      // Act
      const result = await source().collect(RANGE, () => new IdCollector());

      // Assess
      const outside = new Set([atEnd, ...after, ...before].map((e) => String(e.id)));
      const nonMcp = new Set(events.filter((e) => eventName(e) !== 'MCP Server').map((e) => String(e.id)));
      expect(nonMcp.size).toBeGreaterThan(100);
      expect(result.ids.some((id) => outside.has(id) || nonMcp.has(id))).toBe(false);
      expect(result.ids).toHaveLength(expected.length);
    });

    it('gives the same summary sliced and concurrent as one sequential pass, equal to summarizing the events directly', async () => {
      // Act
      const sequential = await source({ sliceCount: 1, concurrency: 1 }).collect(RANGE, () => new WindowAggregate());
      const sliced = await source({ sliceCount: 16, concurrency: 8 }).collect(RANGE, () => new WindowAggregate());

      // Assess
      const direct = summaryOf(expected);
      expect(summarize(sliced, undefined, settings)).toEqual(summarize(sequential, undefined, settings));
      expect(summarize(sliced, undefined, settings)).toEqual(direct);
      expect(direct.total_tool_calls).toBe(expected.length);
    });
  });

  describe('a range that may be empty (probeFirst)', () => {
    const quietFrom = new Date(TO.getTime() + 2 * DAY);
    const quietTo = new Date(TO.getTime() + 30 * DAY);

    it('reads an empty range with one request, where slicing it costs one per slice', async () => {
      // Prepare
      const r0 = emulator.stats.requests;

      // Act
      const probed = await source({ sliceCount: 16 }).collect(
        { from: quietFrom.getTime(), to: quietTo.getTime() },
        () => new IdCollector(),
        {
          probeFirst: true,
        },
      );
      const r1 = emulator.stats.requests;
      const sliced = await source({ sliceCount: 16 }).collect(
        { from: quietFrom.getTime(), to: quietTo.getTime() },
        () => new IdCollector(),
      );

      // Assess
      expect(r1 - r0).toBe(1);
      expect(emulator.stats.requests - r1).toBe(16);
      expect(probed.ids).toEqual([]);
      expect(probed.gaps).toEqual([]);
      expect(sliced.ids).toEqual([]);
    });

    it('reads a busy range exactly: the probe page counts, and the slices start at its last timestamp', async () => {
      // Prepare
      emulator.setFaults({ shortPageRate: 0.3 });

      // Act
      const result = await source({ pageLimit: 100, sliceCount: 5, concurrency: 3 }).collect(
        RANGE,
        () => new IdCollector(),
        { probeFirst: true },
      );

      // Assess
      expect([...result.ids].sort()).toEqual(expectedIds);
      expect(result.reasons).toEqual([]);
    });

    it('loses nothing when the probe page ends inside a run of events sharing one timestamp', async () => {
      // Prepare: 700 events in runs of 7 per millisecond; a page of 100 ends two events into a run.
      const clustered = [...generateEvents({ seed: 52, from: FROM, to: TO, count: 700 })].map((e, i) => ({
        ...e,
        attributes: {
          ...(e.attributes as Record<string, unknown>),
          timestamp: new Date(FROM.getTime() + 60_000 * Math.floor(i / 7)).toISOString(),
        },
      }));
      const ids = clustered.filter((e) => eventName(e) === 'MCP Server').map((e) => String(e.id));
      const own = await startDatadogEmulator({ events: clustered });
      try {
        // Act
        const result = await createDatadogAuditSource({
          apiKey: own.apiKey,
          appKey: own.appKey,
          baseUrl: own.url,
          pageLimit: 100,
          sliceCount: 4,
        }).collect(RANGE, () => new IdCollector(), { probeFirst: true });

        // Assess
        expect(ids.length).toBeGreaterThan(600);
        expect([...result.ids].sort()).toEqual([...ids].sort());
        expect(result.reasons).toEqual([]);
      } finally {
        await own.close();
      }
    });

    it('falls back to plain slicing when the probe cannot be read, losing no more than slicing does', async () => {
      // Prepare: every request whose time range meets the last day fails, the probe's included.
      emulator.setFaults({ failRange: { from: TO.getTime() - DAY, to: TO.getTime() } });
      const options = { sliceCount: 7, maxAttempts: 2 };

      // Act
      const sliced = await source(options).collect(RANGE, () => new IdCollector());
      const probed = await source(options).collect(RANGE, () => new IdCollector(), {
        probeFirst: true,
      });

      // Assess
      expect(sliced.ids.length).toBeGreaterThan(0);
      expect(sliced.gaps.length).toBeGreaterThan(0);
      expect([...probed.ids].sort()).toEqual([...sliced.ids].sort());
      expect(probed.gaps.map((g) => [g.from, g.to])).toEqual(sliced.gaps.map((g) => [g.from, g.to]));
    });

    it('reads a range as one page when one page holds it, and ignores the probe when a hint is given', async () => {
      // Prepare: the 300 events of the day after the window, in one page of 1000.
      const from = new Date(TO.getTime() + 1);
      const to = new Date(TO.getTime() + DAY);
      const afterIds = after
        .filter((e) => eventName(e) === 'MCP Server' && Number.isFinite(outerTime(e)))
        .map((e) => String(e.id))
        .sort();
      const r0 = emulator.stats.requests;

      // Act
      const probed = await source().collect({ from: from.getTime(), to: to.getTime() }, () => new IdCollector(), {
        probeFirst: true,
      });
      const r1 = emulator.stats.requests;
      await source().collect({ from: from.getTime(), to: to.getTime() }, () => new IdCollector(), {
        probeFirst: true,
        expectedEvents: 300,
      });

      // Assess: one page with a cursor, then its empty last page.
      expect([...probed.ids].sort()).toEqual(afterIds);
      expect(r1 - r0).toBe(2);
      expect(emulator.stats.requests - r1).toBeGreaterThanOrEqual(4);
    });
  });

  describe('answers out of the order asked for (a proxy, an API change)', () => {
    const disorders = [
      ['each page shuffled', { shuffle: 'page' }],
      ['the range shuffled across its pages', { shuffle: 'range' }],
      ['newest first', { ignoreSort: true }],
    ] as const;
    /** A logger that keeps its warning lines. */
    const warningsOf = () => {
      const lines: string[] = [];
      return { lines, logger: { info: () => undefined, warn: (m: string) => lines.push(m), error: () => undefined } };
    };
    const options = { pageLimit: 100, sliceCount: 5, concurrency: 3 };
    /** The day after the window, and its MCP events. */
    const day = { from: TO.getTime() + 1, to: TO.getTime() + DAY };
    const afterIds = after
      .filter((e) => eventName(e) === 'MCP Server' && Number.isFinite(outerTime(e)))
      .map((e) => String(e.id))
      .sort();
    /** One fetch of `range` under `faults`: its ids, its summary, its requests and warning lines. */
    const fetchUnder = async (
      faults: EmulatorFaults,
      fetchOptions: FetchOptions | undefined,
      range: { from: number; to: number } = RANGE,
      own: Partial<DatadogAuditSourceOptions> = options,
    ) => {
      emulator.setFaults(faults);
      const { lines, logger } = warningsOf();
      const r0 = emulator.stats.requests;
      const ids = await source({ ...own, logger }).collect(range, () => new IdCollector(), fetchOptions);
      const requests = emulator.stats.requests - r0;
      const aggregate = await source(own).collect(range, () => new WindowAggregate(), fetchOptions);
      return { ids, requests, warnings: lines, summary: summarize(aggregate, undefined, settings) };
    };

    it.each(disorders)(
      'a probe answered out of order (%s) is dropped: the ids and figures of a plain sliced fetch',
      async (_, faults) => {
        // Prepare
        const sliced = await fetchUnder({}, undefined);

        // Act
        const probed = await fetchUnder(faults, { probeFirst: true });

        // Assess: what plain slicing reads, at the cost of the one probe request, and a line saying why.
        expect([...probed.ids.ids].sort()).toEqual(expectedIds);
        expect(probed.ids.gaps).toEqual([]);
        expect(probed.summary).toEqual(sliced.summary);
        expect(sliced.summary).toEqual(summaryOf(expected));
        expect(probed.requests).toBe(sliced.requests + 1);
        expect(probed.warnings).toEqual([
          'Datadog audit probe answered out of time order; fetching the range in slices',
        ]);
      },
    );

    it('a probe whose pages are in order still saves requests, where a shuffled one costs the plain slices', async () => {
      // Prepare: the 300 events of the day after the window, three pages of 100.
      const plain = { sliceCount: 16, pageLimit: 100 };
      const r0 = emulator.stats.requests;
      const sliced = await source(plain).collect(day, () => new IdCollector());
      const slicedRequests = emulator.stats.requests - r0;

      // Act
      const r1 = emulator.stats.requests;
      const inOrder = await source(plain).collect(day, () => new IdCollector(), { probeFirst: true });
      const inOrderRequests = emulator.stats.requests - r1;
      emulator.setFaults({ shuffle: 'page' });
      const r2 = emulator.stats.requests;
      const shuffled = await source(plain).collect(day, () => new IdCollector(), { probeFirst: true });
      const shuffledRequests = emulator.stats.requests - r2;

      // Assess
      for (const result of [sliced, inOrder, shuffled]) {
        expect([...result.ids].sort()).toEqual(afterIds);
        expect(result.gaps).toEqual([]);
      }
      expect(inOrderRequests).toBeLessThan(slicedRequests / 2);
      expect(shuffledRequests).toBe(slicedRequests + 1);
    });

    it('keeps a probe that read the whole range in any order: it cuts nothing', async () => {
      // Prepare: the 300 events of the day after the window, in one page of 1000 (then its empty last page).

      // Act
      const probed = await fetchUnder({ shuffle: 'range' }, { probeFirst: true }, day, {});

      // Assess
      expect([...probed.ids.ids].sort()).toEqual(afterIds);
      expect(probed.requests).toBe(2);
      expect(probed.warnings).toEqual([]);
    });

    it.each(disorders)(
      'pages a slice to its end whatever the order (%s): the same ids and requests',
      async (_, faults) => {
        // Prepare
        const sliced = await fetchUnder({}, undefined);

        // Act
        const disordered = await fetchUnder(faults, undefined);

        // Assess
        expect([...disordered.ids.ids].sort()).toEqual(expectedIds);
        expect(disordered.ids.gaps).toEqual([]);
        expect(disordered.summary).toEqual(sliced.summary);
        expect(disordered.requests).toBe(sliced.requests);
      },
    );

    it('marks a whole slice lost when it gives up after pages out of order, the rest after its latest event in order', async () => {
      // Prepare: two slices of three pages of 50 each, far short of their events.
      const capped = { pageLimit: 50, sliceCount: 2, maxPagesPerSlice: 3 };
      const slices = sliceRange(RANGE.from, RANGE.to, 2);

      // Act
      const inOrder = await source(capped).collect(RANGE, () => new IdCollector());
      emulator.setFaults({ shuffle: 'range' });
      const shuffled = await source(capped).collect(RANGE, () => new IdCollector());

      // Assess: in order, everything before the latest event read was read; out of order, nothing says so.
      expect(shuffled.ids).toHaveLength(2 * 3 * 50);
      expect(shuffled.gaps.map((g) => [g.from, g.to])).toEqual(slices.map((s) => [s.from, s.to]));
      expect(inOrder.gaps).toHaveLength(2);
      inOrder.gaps.forEach((g, i) => {
        expect(g.from).toBeGreaterThan(slices[i]?.from as number);
        expect(g.to).toBe(slices[i]?.to);
      });
    });
  });

  describe('faults', () => {
    it('gives the identical summary with 15 % of requests answered 429 or 503', async () => {
      // Prepare
      emulator.setFaults({ rate429: 0.15, rate503: 0.15, resetSeconds: 1 });
      const before429 = emulator.stats.byStatus[429] ?? 0;
      const before503 = emulator.stats.byStatus[503] ?? 0;

      // Act
      const result = await source({ pageLimit: 200, sliceCount: 8, concurrency: 4, maxAttempts: 8 }).collect(
        RANGE,
        () => new WindowAggregate(),
      );

      // Assess
      expect((emulator.stats.byStatus[429] ?? 0) - before429).toBeGreaterThan(0);
      expect((emulator.stats.byStatus[503] ?? 0) - before503).toBeGreaterThan(0);
      const summary = summarize(result, undefined, settings);
      expect(summary.complete).toBe(true);
      expect(summary).toEqual(summaryOf(expected));
    });

    it('marks the result incomplete with the reason when Datadog reports a timeout', async () => {
      // Prepare
      emulator.setFaults({ timeoutRate: 0.5 });

      // Act
      const ids = await source({ pageLimit: 200, sliceCount: 2 }).collect(RANGE, () => new IdCollector());
      const aggregate = await source({ pageLimit: 200, sliceCount: 2 }).collect(RANGE, () => new WindowAggregate());

      // Assess
      expect(ids.reasons.length).toBeGreaterThan(0);
      expect(ids.reasons[0]).toBe('Datadog reported a query timeout');
      expect(ids.gaps[0]).toMatchObject({ kind: 'partial' });
      expect(ids.ids.length).toBeLessThan(expected.length);
      const summary = summarize(aggregate, undefined, settings);
      expect(summary.complete).toBe(false);
      expect(summary.warnings.join('\n')).toMatch(/timeout/);
    });

    it('marks the result incomplete when Datadog returns warnings', async () => {
      // Prepare
      emulator.setFaults({ warningRate: 1 });

      // Act
      const result = await source({ sliceCount: 2 }).collect(RANGE, () => new IdCollector());

      // Assess
      expect(result.reasons[0]).toMatch(/Datadog returned warnings.*unknown_index/);
      expect(result.ids).toHaveLength(expected.length);
    });

    it('gives up cleanly at the deadline under a rate limit that never lifts, marking the data incomplete', async () => {
      // Prepare
      emulator.setFaults({ always429: true });
      const started = Date.now();
      const deadline = started + 400;

      // Act
      const result = await source({ maxRateLimitWaitMs: 60_000, maxAttempts: 100 }).collect(
        RANGE,
        () => new IdCollector(),
        { deadline },
      );

      // Assess
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(result.reasons.length).toBeGreaterThan(0);
      expect(result.reasons[0]).toMatch(/^Datadog rate limit \(HTTP 429\); (stopped at the deadline|gave up after)/);
      expect(isUnread(result.gaps, FROM.getTime(), TO.getTime())).toBe(true);
    });

    it('gives up after its attempts when Datadog keeps failing, and says so', async () => {
      // Prepare
      emulator.setFaults({ rate503: 1 });

      // Act
      const result = await source({ maxAttempts: 3, sliceCount: 2 }).collect(RANGE, () => new IdCollector());

      // Assess
      expect(result.ids).toEqual([]);
      expect(result.reasons).toHaveLength(2);
      expect(result.reasons[0]).toBe('Datadog unavailable (HTTP 503); gave up after 3 attempts');
      expect(result.gaps.every((g) => g.kind === 'lost')).toBe(true);
      expect(isUnread(result.gaps, FROM.getTime(), TO.getTime())).toBe(true);
    });

    it('retries network errors and gives up with the reason when nothing listens', async () => {
      // Prepare
      const closed = await startDatadogEmulator({ events: [] });
      await closed.close();
      const unreachable = createDatadogAuditSource({
        apiKey: 'key-value-1',
        appKey: 'key-value-2',
        baseUrl: closed.url,
        maxAttempts: 2,
        backoffBaseMs: 1,
        sliceCount: 1,
      });

      const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

      // Act
      const result = await unreachable.collect(RANGE, () => new IdCollector());

      // Assess: the client's own console lines are routed away (they would break a JSON log stream).
      expect(result.reasons).toEqual(['Datadog unreachable (ECONNREFUSED); gave up after 2 attempts']);
      expect(consoleError).not.toHaveBeenCalled();
      expect(consoleWarn).not.toHaveBeenCalled();
      consoleError.mockRestore();
      consoleWarn.mockRestore();
    });
  });

  describe('faults that must never look like a quiet week', () => {
    const isMcpId = new Set(expectedIds);

    it.each([
      ['null', 'the body is null, not an object'],
      ['data-null', 'data is null, not an array'],
      ['data-object', 'data is an object, not an array'],
      ['not-json', 'the body is not JSON'],
      ['cursor-number', 'meta.page.after is a number, not a string'],
    ] as const)('treats a 200 whose body is %s as a fault, not as the last page', async (shape, problem) => {
      // Prepare
      emulator.setFaults({ malformedRate: 1, malformedShape: shape });

      // Act
      const result = await source({ maxAttempts: 3, sliceCount: 4 }).collect(RANGE, () => new WindowAggregate());

      // Assess
      const summary = summarize(result, undefined, settings);
      expect(summary.complete).toBe(false);
      expect(summary.total_tool_calls).toBe(0);
      expect(isUnread(result.incomplete, FROM.getTime(), TO.getTime())).toBe(true);
      expect(result.incomplete[0]?.cause).toContain(`Datadog sent a malformed response (${problem})`);
    });

    it('retries a wrong-shaped 200 like a 5xx and then gives the exact summary', async () => {
      // Prepare
      emulator.setFaults({ malformedRate: 0.3, malformedShape: 'data-null' });

      // Act
      const result = await source({ pageLimit: 200, sliceCount: 8, concurrency: 4, maxAttempts: 10 }).collect(
        RANGE,
        () => new WindowAggregate(),
      );

      // Assess
      expect(summarize(result, undefined, settings)).toEqual(summaryOf(expected));
    });

    it('never counts a replayed page twice: a response that repeats the cursor it was asked for', async () => {
      // Prepare
      emulator.setFaults({ cursorFault: 'repeat-page' });
      const requestsBefore = emulator.stats.requests;

      // Act
      const result = await source({ pageLimit: 100, sliceCount: 4 }).collect(RANGE, () => new IdCollector());

      // Assess
      expect(new Set(result.ids).size).toBe(result.ids.length);
      expect(result.ids.every((id) => isMcpId.has(id))).toBe(true);
      expect(result.ids.length).toBeLessThan(expected.length);
      expect(result.gaps.length).toBe(4);
      expect(result.gaps.every((g) => g.kind === 'lost')).toBe(true);
      expect(result.reasons[0]).toMatch(/repeated a page cursor|already received/);
      expect(emulator.stats.requests - requestsBefore).toBeLessThanOrEqual(4 * 2);
    });

    it('stops a cursor cycle A → B → A at once, counting each event once and marking the rest lost', async () => {
      // Prepare
      emulator.setFaults({ cursorFault: 'cycle' });
      const requestsBefore = emulator.stats.requests;

      // Act
      const result = await source({ pageLimit: 50, sliceCount: 4 }).collect(RANGE, () => new WindowAggregate());

      // Assess
      const summary = summarize(result, undefined, settings);
      expect(summary.total_tool_calls).toBeLessThan(expected.length);
      expect(summary.total_tool_calls).toBeGreaterThan(0);
      expect(summary.complete).toBe(false);
      expect(summary.warnings[0]).toMatch(/^Datadog repeated a page cursor \(a cursor cycle\)/);
      // Three pages per slice (first, A, B) before the repeat of A is seen.
      expect(emulator.stats.requests - requestsBefore).toBe(4 * 3);
    });

    it('stops a slice at its page cap and says so', async () => {
      // Act
      const result = await source({ pageLimit: 50, sliceCount: 2, maxPagesPerSlice: 3 }).collect(
        RANGE,
        () => new IdCollector(),
      );

      // Assess
      expect(result.ids).toHaveLength(2 * 3 * 50);
      expect(result.reasons).toEqual([
        'paging stopped at the cap of 3 pages per time slice',
        'paging stopped at the cap of 3 pages per time slice',
      ]);
    });

    it('gives up a whole range within a few requests when every request fails (circuit breaker)', async () => {
      // Prepare
      emulator.setFaults({ rate503: 1 });
      const requestsBefore = emulator.stats.requests;

      // Act
      const result = await source({ sliceCount: 16, concurrency: 4, maxAttempts: 6 }).collect(
        RANGE,
        () => new IdCollector(),
      );

      // Assess: 12 failures in a row trip it (2 × maxAttempts), not 16 slices × 6 attempts = 96 requests.
      const requests = emulator.stats.requests - requestsBefore;
      expect(requests).toBeGreaterThanOrEqual(12);
      expect(requests).toBeLessThanOrEqual(12 + 4);
      expect(result.gaps).toHaveLength(16);
      expect(result.reasons.filter((r) => r.endsWith('gave up after 12 failures in a row')).length).toBeGreaterThan(8);
      expect(isUnread(result.gaps, FROM.getTime(), TO.getTime())).toBe(true);
    });
  });

  describe('authentication', () => {
    it('throws DatadogAuthError naming the audit_logs_read scope, never the keys', async () => {
      // Prepare
      const bad = createDatadogAuditSource({
        apiKey: 'secret-api-key-123',
        appKey: 'secret-app-key-456',
        baseUrl: emulator.url,
      });

      // Act
      const error = await bad.collect(RANGE, () => new IdCollector()).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(DatadogAuthError);
      const message = (error as Error).message;
      expect(message).toMatch(/HTTP 403/);
      expect(message).toMatch(/audit_logs_read/);
      expect(message).not.toMatch(/secret-api-key-123|secret-app-key-456/);
      expect(JSON.stringify(error)).not.toMatch(/secret-/);
    });

    it.each([
      [401, DatadogAuthError],
      [400, DatadogApiError],
    ] as const)('never quotes the body of an HTTP %s, which may echo a credential', async (status, errorClass) => {
      // Prepare: an API that echoes the key it was sent, as an error page can.
      const echo = createServer((req, res) => {
        const key = String(req.headers['dd-api-key']);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [`Invalid API key ${key}`], request: { headers: req.headers } }));
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
      const leaky = createDatadogAuditSource({
        apiKey: 'ddapi-secret-4242',
        appKey: 'ddapp-secret-4343',
        baseUrl: url,
      });

      // Act
      const error = await leaky.collect(RANGE, () => new IdCollector()).catch((e: unknown) => e);
      await new Promise<void>((resolve) => echo.close(() => resolve()));

      // Assess
      expect(error).toBeInstanceOf(errorClass);
      const seen = `${(error as Error).message} ${String((error as Error).cause)} ${JSON.stringify(error)}`;
      expect(seen).toContain(`HTTP ${status}`);
      expect(seen).not.toMatch(/secret-4242|secret-4343/);
    });

    it.each([
      ['datadoghq.eu', 'https://api.datadoghq.eu/api/v2/audit/events/search'],
      ['uk1.datadoghq.com', 'https://api.uk1.datadoghq.com/api/v2/audit/events/search'],
    ] as const)('addresses the configured Datadog site %s', async (site, expectedUrl) => {
      // Prepare: a transport that records where requests go and refuses them, so no network is used.
      const urls: string[] = [];
      const refuse = async (url: string | URL | Request): Promise<Response> => {
        urls.push(String(url));
        return new Response('{"errors":["Forbidden"]}', {
          status: 403,
          headers: { 'content-type': 'application/json' },
        });
      };
      const onSite = createDatadogAuditSource({ apiKey: 'k', appKey: 'a', site, fetch: refuse as typeof fetch });

      // Act
      const error = await onSite.collect(RANGE, () => new IdCollector()).catch((e: unknown) => e);

      // Assess
      expect(urls[0]).toBe(expectedUrl);
      expect((error as Error).message).toContain(`site ${site}`);
    });
  });
});
