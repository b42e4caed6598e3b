/**
 * Benchmark of the Datadog audit source: a busy week (60k MCP events) served by the audit API
 * emulator at 150 ms per response, fetched (a) by plain sequential cursor paging and (b) by the
 * time-sliced concurrent source, both at 1000 events per page, side by side in one run.
 * Prints both times, the ratio, and that both fetched identical events.
 *
 * Run alone: `npx tsx bench/source.ts`.
 */
import {
  createDatadogAuditSource,
  DEFAULT_CONCURRENCY,
  DEFAULT_SLICES,
} from '../functions/weekly-report/adapters/datadog/audit-source';
import type { CallRecord, Mergeable } from '../functions/weekly-report/core/types';
import { startDatadogEmulator } from '../test/support/datadog-emulator';
import { generateEvents } from '../test/support/generator';
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

export async function run(): Promise<Row[]> {
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
