/**
 * Memory against the number of reports (issue 27 "bounded memory"): one org's group of 1, 200
 * and 400 team reports, each run in its own process (bench/reports-child.ts) so each peak RSS
 * (VmHWM) is that run's alone. Before the shared read fed one aggregate per report and range,
 * 200 team reports peaked at 758 MB and 400 at 1.13 GB, past the function's 1,024 MB.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, type Row, seconds } from './measure';

interface ChildResult {
  readonly reports: number;
  readonly events: number;
  readonly ms: number;
  readonly peakMiB: number;
}

function measure(reports: number): ChildResult {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bench/reports-child.ts'), String(reports)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`reports-child ${reports} failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
}

export async function run(): Promise<Row[]> {
  console.log(
    'reports: peak memory of one org’s group of team reports (one shared read, each report analysed, rendered, delivered in memory)',
  );
  const results = [1, 200, 400].map(measure);
  for (const r of results) {
    console.log(
      `  ${String(r.reports).padStart(3)} reports  ${r.events.toLocaleString('en-US')} events  ${seconds(r.ms)}  peak ${r.peakMiB.toFixed(0)} MiB`,
    );
  }
  const one = results[0] as ChildResult;
  const most = results[results.length - 1] as ChildResult;
  const perReport = (most.peakMiB - one.peakMiB) / (most.reports - one.reports);
  console.log(`  each report beyond the first: ${(perReport * 1024).toFixed(0)} KiB`);
  return [
    {
      what: '400 team reports of one org: peak RSS',
      measured: `${most.peakMiB.toFixed(0)} MiB (1 report: ${one.peakMiB.toFixed(0)} MiB; ${(perReport * 1024).toFixed(0)} KiB per report)`,
      target: 'well inside 1,024 MB (was 1.13 GB)',
    },
  ];
}
