/**
 * Benchmark of the Datadog audit source: a busy week (60k MCP events) served by the audit API
 * emulator at 150 ms per response, fetched (a) by plain sequential cursor paging and (b) by the
 * time-sliced concurrent source, both at 1000 events per page, side by side in one run.
 * Prints both times, the ratio, and that both fetched identical events.
 *
 * Then the requests of reading every kind of AI activity (docs/ai-activity.md) against today's
 * read of the same week (`activity: mcp`, the seed's query alone), and against the other way to
 * read them, one query per kind in parallel (de-duplicated by id): a report's read of the
 * generated scenario (window and 28-day baseline, no archive) and a busy week's window. A kind's
 * own query is measured as a read of an emulator holding exactly the events that query finds,
 * which pages as that query over all the events would.
 *
 * Run alone: `npx tsx bench/source.ts`.
 */
import {
  createDatadogAuditSource,
  DEFAULT_CONCURRENCY,
  DEFAULT_SLICES,
} from '../functions/weekly-report/adapters/datadog/audit-source';
import { AGENT_QUERY, MCP_ACTION_QUERY, MCP_QUERY } from '../functions/weekly-report/core/links';
import { WHOLE_ORG } from '../functions/weekly-report/core/scope';
import type { Activity, CallRecord, Mergeable } from '../functions/weekly-report/core/types';
import { readShares } from '../functions/weekly-report/pipeline/read';
import { parseQuery, startDatadogEmulator } from '../test/support/datadog-emulator';
import { generateEvents, generateScenario, type RawAuditEvent } from '../test/support/generator';
import type { Row } from './measure';

const LATENCY_MS = 150;
const EVENTS = 60_000;

/** Counts events and folds their ids into an order-independent checksum. */
class Tally implements Mergeable<Tally> {
  events = 0;
  checksum = 0;
  incomplete: string[] = [];
  addRecord(record: CallRecord): void {
    this.events++;
    const id = String(record.id);
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    this.checksum = (this.checksum + (h >>> 0)) % 2 ** 48;
  }
  merge(other: Tally): Tally {
    this.events += other.events;
    this.checksum = (this.checksum + other.checksum) % 2 ** 48;
    this.incomplete.push(...other.incomplete);
    return this;
  }
  markIncomplete(reason: string): void {
    this.incomplete.push(reason);
  }
}

const DAY = 86_400_000;

/** Audit requests of one report's read (window and baseline, no archive) of `events` with `activity`. */
async function reportRequests(
  events: readonly RawAuditEvent[],
  window: { from: number; to: number },
  activity: Activity,
): Promise<{ requests: number; events: number }> {
  const emulator = await startDatadogEmulator({ events });
  try {
    const source = createDatadogAuditSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
    });
    const [data] = await readShares(source, { window, timezone: 'UTC', windowDays: 7, baselineDays: 28, activity }, [
      { share: WHOLE_ORG },
    ]);
    return { requests: emulator.stats.requests, events: (data?.window.events ?? 0) + (data?.baseline?.events ?? 0) };
  } finally {
    await emulator.close();
  }
}

/** Audit requests and time of reading the window of `events` with `activity`, 150 ms a response. */
async function windowRead(
  events: readonly RawAuditEvent[],
  window: { from: number; to: number },
  activity: Activity,
): Promise<{ requests: number; ms: number; tally: Tally }> {
  const emulator = await startDatadogEmulator({ events, latencyMs: LATENCY_MS });
  try {
    const source = createDatadogAuditSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
    });
    const started = performance.now();
    const tally = await source.collect(window, () => new Tally(), { activity });
    return { requests: emulator.stats.requests, ms: performance.now() - started, tally };
  } finally {
    await emulator.close();
  }
}

/** The three kinds' own queries: the other way to read them, in parallel, de-duplicated by id. */
const KIND_QUERIES = [MCP_QUERY, MCP_ACTION_QUERY, AGENT_QUERY];

/**
 * Requests of each kind's own query, as many reads of emulators holding exactly what that query
 * finds (`activity: all` finds all of those: every one is of some kind), summed.
 */
async function perKindRequests(
  events: readonly RawAuditEvent[],
  measure: (subset: RawAuditEvent[]) => Promise<{ requests: number }>,
): Promise<{ requests: number; perKind: number[] }> {
  const perKind: number[] = [];
  for (const query of KIND_QUERIES) perKind.push((await measure(events.filter(parseQuery(query)))).requests);
  return { requests: perKind.reduce((a, b) => a + b, 0), perKind };
}

/** Requests of reading every kind against today's read, for a scenario report and a busy week. */
async function activityRequests(): Promise<Row[]> {
  const end = new Date('2026-11-23T00:00:00.000Z');
  const window = { from: end.getTime() - 7 * DAY, to: end.getTime() };
  const scenario = generateScenario({ seed: 2026, end });
  const events = [...scenario.baseline, ...scenario.window];
  const mcp = await reportRequests(events, window, 'mcp');
  const all = await reportRequests(events, window, 'all');
  const kinds = await perKindRequests(events, (subset) => reportRequests(subset, window, 'all'));

  const busy = [
    ...generateEvents({
      seed: 2026,
      from: new Date(window.from),
      to: new Date(window.to),
      count: EVENTS,
      aiActivityRate: 0.15,
    }),
  ];
  const busyMcp = await windowRead(busy, window, 'mcp');
  const busyAll = await windowRead(busy, window, 'all');
  const busyKinds = await perKindRequests(busy, (subset) => windowRead(subset, window, 'all'));

  console.log('Reading every kind of AI activity (one OR query) vs today (the seed query) vs one query per kind:');
  console.log(
    `  scenario report (window + 28-day baseline, no archive; ${scenario.window.length} + ${scenario.baseline.length} events, all kinds):`,
  );
  console.log(
    `    activity mcp (today's read)      ${String(mcp.requests).padStart(4)} requests  ${mcp.events} events`,
  );
  console.log(
    `    activity all (one OR query)      ${String(all.requests).padStart(4)} requests  ${all.events} events`,
  );
  console.log(
    `    one query per kind, in parallel  ${String(kinds.requests).padStart(4)} requests  (${kinds.perKind.join(' + ')})`,
  );
  console.log(`  busy week window (${EVENTS} events, 15% of the other kinds), ${LATENCY_MS} ms per response:`);
  console.log(
    `    activity mcp (today's read)      ${String(busyMcp.requests).padStart(4)} requests  ${busyMcp.tally.events} events  ${(busyMcp.ms / 1000).toFixed(2)} s`,
  );
  console.log(
    `    activity all (one OR query)      ${String(busyAll.requests).padStart(4)} requests  ${busyAll.tally.events} events  ${(busyAll.ms / 1000).toFixed(2)} s`,
  );
  console.log(
    `    one query per kind, in parallel  ${String(busyKinds.requests).padStart(4)} requests  (${busyKinds.perKind.join(' + ')})`,
  );
  return [
    {
      what: `Audit requests of one report's read with every kind of AI activity (activity all: one OR query) vs today's (activity mcp) vs one query per kind, generated scenario week + 28-day baseline, no archive`,
      measured: `${all.requests} vs ${mcp.requests} vs ${kinds.requests} requests`,
      target: 'all ≤ per kind',
    },
    {
      what: `The same for a busy week's window (${EVENTS / 1000}k events, 15% of the other kinds), ${LATENCY_MS} ms per response`,
      measured: `${busyAll.requests} vs ${busyMcp.requests} vs ${busyKinds.requests} requests; ${(busyAll.ms / 1000).toFixed(1)} s vs ${(busyMcp.ms / 1000).toFixed(1)} s`,
      target: 'all ≤ per kind',
    },
  ];
}

export async function run(): Promise<Row[]> {
  const rows = await slicedVsSequential();
  return [...rows, ...(await activityRequests())];
}

async function slicedVsSequential(): Promise<Row[]> {
  const from = new Date('2026-11-16T09:00:00.000Z');
  const to = new Date('2026-11-23T09:00:00.000Z');
  const emulator = await startDatadogEmulator({
    events: generateEvents({ seed: 2026, from, to, count: EVENTS }),
    latencyMs: LATENCY_MS,
  });
  try {
    const options = { apiKey: emulator.apiKey, appKey: emulator.appKey, baseUrl: emulator.url, pageLimit: 1000 };
    const time = async (label: string, concurrency: number, sliceCount: number) => {
      const source = createDatadogAuditSource({ ...options, concurrency, sliceCount });
      const requests = emulator.stats.requests;
      const started = performance.now();
      const tally = await source.collect({ from: from.getTime(), to: to.getTime() }, () => new Tally());
      const ms = performance.now() - started;
      return { label, ms, tally, requests: emulator.stats.requests - requests };
    };
    const sequential = await time('sequential cursor paging', 1, 1);
    const sliced = await time(
      `sliced (${DEFAULT_SLICES} slices, concurrency ${DEFAULT_CONCURRENCY})`,
      DEFAULT_CONCURRENCY,
      DEFAULT_SLICES,
    );
    console.log(`Datadog source: ${EVENTS} events in the week, ${LATENCY_MS} ms per response, 1000 per page`);
    for (const r of [sequential, sliced]) {
      console.log(
        `  ${r.label.padEnd(40)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  ${String(r.requests).padStart(4)} requests  ${r.tally.events} events`,
      );
    }
    const identical =
      sequential.tally.events === sliced.tally.events &&
      sequential.tally.checksum === sliced.tally.checksum &&
      sequential.tally.incomplete.length === 0 &&
      sliced.tally.incomplete.length === 0;
    console.log(`  ratio sequential / sliced: ${(sequential.ms / sliced.ms).toFixed(1)}× (target ≥ 3×)`);
    console.log(`  totals identical: ${identical ? 'yes' : 'NO'} (${sliced.tally.events} events, same id checksum)`);
    if (!identical) process.exitCode = 1;
    return [
      {
        what: `Datadog source alone, in this process, on a ${EVENTS / 1000}k-event week, ${LATENCY_MS} ms per response, 1000 per page: sequential cursor paging vs sliced (${DEFAULT_SLICES} slices, ${DEFAULT_CONCURRENCY} in flight)`,
        measured: `${(sequential.ms / 1000).toFixed(1)} s vs ${(sliced.ms / 1000).toFixed(1)} s: **${(sequential.ms / sliced.ms).toFixed(1)}× faster**, ${identical ? 'identical totals' : 'TOTALS DIFFER'}`,
        target: '≥ 3×',
      },
    ];
  } finally {
    await emulator.close();
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
