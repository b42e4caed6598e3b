/**
 * Benchmark of the report archive: five consecutive weekly runs of the job (runReport, the real
 * Datadog source against the audit API emulator at 150 ms per response, an archive in a local
 * directory) build a history; then the fifth week is run again without an archive. Side by side:
 * the Datadog requests and the time of the fifth week with and without the archive, and that
 * both give the same figures.
 *
 * Then the peak memory of one weekly run whose 11 archived weeks hold large summaries (~40 MB
 * each, a week of ~80,000 anomalies), each run in a process of its own (its VmHWM, as
 * bench/measure.ts explains): the trend read from the weeks' small point.json (now), from their
 * summaries (weeks archived before points existed: what every run read before), and a run
 * without an archive (the floor).
 *
 * Run alone: `npx tsx bench/archive.ts`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatadogAuditSource } from '../functions/weekly-report/adapters/datadog/audit-source';
import { createDirectoryBlobStore } from '../functions/weekly-report/adapters/directory-blob-store';
import { createReportArchive } from '../functions/weekly-report/archive/report-archive';
import { WindowAggregate } from '../functions/weekly-report/core/aggregate';
import { archivedWeek } from '../functions/weekly-report/core/archived-week';
import { DEFAULT_THRESHOLDS } from '../functions/weekly-report/core/types';
import type { ClaimResult, DeliveryLedger } from '../functions/weekly-report/ports';
import { renderReport } from '../functions/weekly-report/render';
import { type GroupDeps, type PlannedReport, runReport } from '../functions/weekly-report/run/report-group';
import { testReport } from '../test/support/report-definition';

type ReportDeps = GroupDeps & PlannedReport;

import { startDatadogEmulator } from '../test/support/datadog-emulator';
import { generateScenario } from '../test/support/generator';
import { makeBusySummary } from '../test/support/summary-fixtures';
import { ROOT, type Row, ratio, seconds } from './measure';

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
    const peaks = await peakRows();
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
      ...peaks,
    ];
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Archived weeks before the report week, as many as the trend reads (12 points: 11 archived and this week). */
const PEAK_WEEKS = 11;
/** Anomalies in each archived summary: ~500 bytes each, pretty-printed as the archive writes it: ~40 MB. */
const PEAK_ANOMALIES = 80_000;
const PEAK_END = Date.parse('2026-11-23T00:00:00Z');
const PEAK_REPORT = 'Peak';

/**
 * Two archives of the same 11 weeks, each with a ~40 MB summary: `points/` as this version
 * writes them, `summaries/` as weeks archived before point.json (the same files, hard-linked,
 * without the points). Returns the size of one summary.
 */
async function writePeakArchives(dir: string): Promise<number> {
  const big = makeBusySummary(PEAK_ANOMALIES);
  const archive = createReportArchive(createDirectoryBlobStore(join(dir, 'points')), PEAK_REPORT);
  let summaryBytes = 0;
  for (let k = PEAK_WEEKS; k >= 1; k--) {
    const range = { from: PEAK_END - (k + 1) * 7 * DAY, to: PEAK_END - k * 7 * DAY };
    const windowTo = new Date(range.to).toISOString();
    const summary = { ...big, timezone: 'UTC', window: { from: new Date(range.from).toISOString(), to: windowTo } };
    // The email and post of a week of many anomalies are small (they list the first few).
    const rendered = renderReport(
      { ...summary, anomalies: summary.anomalies.slice(0, 50) },
      { slackChannel: 'C0123456789' },
    );
    await archive.write(
      windowTo,
      { ...rendered, summary },
      archivedWeek('Peak', new WindowAggregate({ range }), range),
    );
    const weekDir = join(dir, 'points', 'reports', 'peak', windowTo);
    const legacyDir = join(dir, 'summaries', 'reports', 'peak', windowTo);
    await mkdir(legacyDir, { recursive: true });
    for (const file of await readdir(weekDir)) {
      if (file !== 'point.json') await link(join(weekDir, file), join(legacyDir, file));
    }
    summaryBytes = readFileSync(join(weekDir, 'summary.json')).length;
  }
  return summaryBytes;
}

/** What a child run reports. */
interface PeakResult {
  readonly peakKiB: number;
  /** Archived weeks with figures in the trend (of 11). */
  readonly trendWeeks: number;
  readonly warnings: number;
}

/** One weekly run in a child process (this file, `--peak-child`), over `archiveDir` or none: its peak memory. */
function peakOf(emulator: { url: string; apiKey: string; appKey: string }, archiveDir?: string): Promise<PeakResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/archive.ts'), '--peak-child', archiveDir ?? ''],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PEAK_DD_URL: emulator.url,
          PEAK_DD_API_KEY: emulator.apiKey,
          PEAK_DD_APP_KEY: emulator.appKey,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`peak child failed (${status}): ${stderr.slice(0, 500)}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as PeakResult);
    });
  });
}

/** The child: one weekly run (Datadog emulator from the parent, archive from argv), then its VmHWM. */
async function peakChild(archiveDir: string): Promise<void> {
  const source = createDatadogAuditSource({
    apiKey: process.env.PEAK_DD_API_KEY ?? '',
    appKey: process.env.PEAK_DD_APP_KEY ?? '',
    baseUrl: process.env.PEAK_DD_URL ?? '',
  });
  const result = await runReport(
    {
      source,
      ledger: memoryLedger(),
      ...(archiveDir ? { archive: createReportArchive(createDirectoryBlobStore(archiveDir), PEAK_REPORT) } : {}),
      report: testReport({ org: PEAK_REPORT, thresholds: DEFAULT_THRESHOLDS }),
      logger: quiet,
    },
    { end: PEAK_END + 9 * 3_600_000 },
  );
  const status = readFileSync('/proc/self/status', 'utf8');
  const peak = /VmHWM:\s*(\d+) kB/.exec(status);
  const out: PeakResult = {
    peakKiB: peak ? Number(peak[1]) : process.resourceUsage().maxRSS,
    trendWeeks: (result.summary.trend ?? []).slice(0, -1).filter((p) => p.calls !== null).length,
    warnings: result.summary.warnings.length,
  };
  console.log(JSON.stringify(out));
}

const mb = (kib: number): string => `${Math.round((kib * 1024) / 1e6).toLocaleString('en-US')} MB`;

/** The peak memory of a run over 11 weeks of large summaries: points vs summaries vs no archive, side by side. */
async function peakRows(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-archive-peak-'));
  const scenario = generateScenario({ seed: 11, end: new Date(PEAK_END), weekEvents: 2_000, people: 30 });
  const emulator = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window] });
  try {
    const summaryBytes = await writePeakArchives(dir);
    // Interleaved, twice, the larger peak of each kept (a peak is a maximum: the larger is the honest one).
    const runs: Record<'points' | 'summaries' | 'none', PeakResult[]> = { points: [], summaries: [], none: [] };
    for (let round = 0; round < 2; round++) {
      runs.points.push(await peakOf(emulator, join(dir, 'points')));
      runs.summaries.push(await peakOf(emulator, join(dir, 'summaries')));
      runs.none.push(await peakOf(emulator));
    }
    const worst = (r: PeakResult[]) => r.reduce((a, b) => (b.peakKiB > a.peakKiB ? b : a));
    const [points, summaries, none] = [worst(runs.points), worst(runs.summaries), worst(runs.none)];
    console.log(
      `archive peak memory: one weekly run, ${PEAK_WEEKS} archived weeks of ${(summaryBytes / 1e6).toFixed(1)} MB summaries (VmHWM of its own process, the larger of 2)`,
    );
    console.log(
      `  trend from point.json (this version):        ${mb(points.peakKiB)}, ${points.trendWeeks} weeks in the trend`,
    );
    console.log(
      `  trend from summary.json (weeks before points): ${mb(summaries.peakKiB)}, ${summaries.trendWeeks} weeks in the trend`,
    );
    console.log(`  no archive (the floor):                       ${mb(none.peakKiB)}`);
    return [
      {
        what: `peak memory of a weekly run whose ${PEAK_WEEKS} archived weeks hold ${(summaryBytes / 1e6).toFixed(0)} MB summaries: trend from points (after) vs from summaries (before), no archive`,
        measured: `**${mb(points.peakKiB)}** vs ${mb(summaries.peakKiB)} (no archive: ${mb(none.peakKiB)})`,
        target: '≤ 1,024 MB; not growing with summary size',
      },
    ];
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const at = process.argv.indexOf('--peak-child');
  (at >= 0 ? peakChild(process.argv[at + 1] ?? '') : run()).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
