/**
 * Benchmark of the report archive: five consecutive weekly runs of the job (runReport, the real
 * Datadog source against the audit API emulator at 150 ms per response, an archive in a local
 * directory) build a history; then the fifth week is run again without an archive. Side by side:
 * the Datadog requests and the time of the fifth week with and without the archive, and that
 * both give the same figures.
 *
 * Run alone: `npx tsx bench/archive.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatadogAuditSource } from '../functions/weekly-report/adapters/datadog/audit-source';
import { createDirectoryBlobStore } from '../functions/weekly-report/adapters/directory-blob-store';
import { createReportArchive } from '../functions/weekly-report/archive/report-archive';
import { DEFAULT_THRESHOLDS } from '../functions/weekly-report/core/types';
import type { ClaimResult, DeliveryLedger } from '../functions/weekly-report/ports';
import { type GroupDeps, type PlannedReport, runReport } from '../functions/weekly-report/run/report-group';
import { testReport } from '../test/support/report-definition';

type ReportDeps = GroupDeps & PlannedReport;

import { startDatadogEmulator } from '../test/support/datadog-emulator';
import { generateScenario } from '../test/support/generator';
import { type Row, ratio, seconds } from './measure';

const LATENCY_MS = 150;
const WEEK_EVENTS = 20_000;
const DAY = 86_400_000;

/** The ledger in memory: a bench sends nothing, but runReport claims and records its channels. */
function memoryLedger(): DeliveryLedger {
  const delivered = new Set<string>();
  return {
    claim: async (key): Promise<ClaimResult> => ({ status: delivered.has(key) ? 'delivered' : 'claimed' }),
    recordDelivered: async (key) => void delivered.add(key),
    recordUnknown: async () => undefined,
    release: async () => undefined,
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function run(): Promise<Row[]> {
  const end = Date.parse('2026-11-23T00:00:00Z');
  const scenario = generateScenario({
    seed: 2026,
    end: new Date(end),
    weekEvents: WEEK_EVENTS,
    people: 60,
    baselineDays: 56,
  });
  const emulator = await startDatadogEmulator({
    events: [...scenario.baseline, ...scenario.window],
    latencyMs: LATENCY_MS,
  });
  const dir = await mkdtemp(join(tmpdir(), 'bench-archive-'));
  try {
    const source = createDatadogAuditSource({
      apiKey: emulator.apiKey,
      appKey: emulator.appKey,
      baseUrl: emulator.url,
    });
    const deps = (archived: boolean, org: string): ReportDeps => ({
      source,
      ledger: memoryLedger(),
      ...(archived ? { archive: createReportArchive(createDirectoryBlobStore(dir), org) } : {}),
      report: testReport({ org, thresholds: DEFAULT_THRESHOLDS }),
      logger: quiet,
    });
    const week = async (d: ReportDeps, weeksBack: number) => {
      const before = emulator.stats.requests;
      const started = performance.now();
      const result = await runReport(d, { end: end - weeksBack * 7 * DAY + 9 * 3_600_000 });
      return { ms: performance.now() - started, requests: emulator.stats.requests - before, summary: result.summary };
    };

    const withArchive = deps(true, 'Bench');
    const runs = [];
    for (let weeksBack = 4; weeksBack >= 0; weeksBack--) runs.push(await week(withArchive, weeksBack));
    const fifth = runs[runs.length - 1]!;
    const plain = await week(deps(false, 'Bench'), 0);
    const same =
      fifth.summary.total_tool_calls === plain.summary.total_tool_calls &&
      fifth.summary.baseline?.events === plain.summary.baseline?.events &&
      JSON.stringify(fifth.summary.anomaly_counts) === JSON.stringify(plain.summary.anomaly_counts) &&
      JSON.stringify(fifth.summary.previous_window) === JSON.stringify(plain.summary.previous_window);

    console.log(
      `archive: ${WEEK_EVENTS.toLocaleString('en-US')} events a week, a 28-day baseline, ${LATENCY_MS} ms per response`,
    );
    for (const [i, r] of runs.entries()) {
      console.log(
        `  week ${i + 1} with the archive: ${r.requests} requests, ${seconds(r.ms)}, baseline ${r.summary.baseline?.sources?.archive_days ?? 0} days from the archive`,
      );
    }
    console.log(`  week 5 without an archive: ${plain.requests} requests, ${seconds(plain.ms)}`);
    console.log(`  same figures (calls, baseline events, anomaly counts, previous week): ${same ? 'yes' : 'NO'}`);
    return [
      {
        what: `fifth weekly run with the report archive vs without (${WEEK_EVENTS / 1000}k events a week, 28-day baseline, ${LATENCY_MS} ms per response): Datadog requests`,
        measured: `${fifth.requests} vs ${plain.requests}: **${Math.round((fifth.requests / plain.requests) * 100)} %**${same ? ', same figures' : ', FIGURES DIFFER'}`,
        target: '≤ 40 %',
      },
      {
        what: '… and its time',
        measured: `${seconds(fifth.ms)} vs ${seconds(plain.ms)}: ${ratio(plain.ms / fifth.ms)} faster`,
        target: '—',
      },
    ];
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
