/**
 * Core benchmark (issue "audit core"): `report summarize` on a generated 200k-event search
 * response against the seed's own jq program and against a bare read + JSON.parse of the same
 * file, side by side in one run; then peak RSS of `summarize` on NDJSON of 100k and 400k events.
 * Needs Debian's `jq` for the seed column (`apt-get install -y jq`); without it that column is skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { generateEvents, writeNdjson } from '../test/support/generator';

const ROOT = join(__dirname, '..');
const WORK = join(ROOT, '.bench');
const FROM = new Date('2026-11-16T09:00:00Z');
const TO = new Date('2026-11-23T09:00:00Z');
const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of a command (ms), median of RUNS, after one warm-up run. */
function time(command: string, args: string[]): number {
  const once = (): number => {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  once();
  return median(Array.from({ length: RUNS }, once));
}

function writeResponse(path: string, count: number): void {
  if (existsSync(path)) return;
  // Seed-compatible events: the seed's jq program fails on malformed ones, and the comparison needs one file for all.
  const events = [...generateEvents({ seed: 200, from: FROM, to: TO, count, seedCompatible: true })];
  writeFileSync(path, JSON.stringify({ data: events }));
}

/**
 * The CLI compiled once, so the timing measures our code rather than on-the-fly TypeScript
 * compilation. Packages stay in node_modules, loaded when used, as in `npm run report`.
 */
function bundleCli(): string {
  const out = join(WORK, 'report.cjs');
  buildSync({
    entryPoints: [join(ROOT, 'functions/weekly-report/cli/report.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: out,
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}

export async function run(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const cli = bundleCli();
  const big = join(WORK, 'events-200k.json');
  writeResponse(big, 200_000);
  const mb = (statSync(big).size / 1e6).toFixed(0);
  console.log(`core: summarize 200k events (${mb} MB search response), median of ${RUNS} runs`);

  const parseScript = join(WORK, 'parse-only.cjs');
  writeFileSync(parseScript, "JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));\n");
  const parse = time(process.execPath, [parseScript, big]);
  const summarize = time(process.execPath, [cli, 'summarize', '--input', big, '--format', 'json']);
  const hasJq = spawnSync('jq', ['--version']).status === 0;
  const jq = hasJq ? time('jq', ['-f', join(ROOT, 'test/fixtures/seed/weekly-summary.jq'), big]) : Number.NaN;

  console.log(`  (a) seed jq program           ${hasJq ? `${jq.toFixed(0)} ms` : 'skipped (install Debian jq)'}`);
  console.log(`  (b) read + JSON.parse         ${parse.toFixed(0)} ms`);
  console.log(`  (c) report summarize          ${summarize.toFixed(0)} ms`);
  if (hasJq) console.log(`  jq / summarize                ${(jq / summarize).toFixed(2)}x  (target ≥ 3x)`);
  console.log(`  summarize / JSON.parse        ${(summarize / parse).toFixed(2)}x  (target ≤ 1.3x)`);

  const hook = join(WORK, 'max-rss.cjs');
  writeFileSync(
    hook,
    // A file the child loads with --require: it prints the child's own peak RSS (KiB) as it exits.
    "process.on('exit', () => process.stderr.write('maxrss=' + process.resourceUsage().maxRSS + '\\n'));\n",
  );
  const rss: Record<number, number> = {};
  for (const count of [100_000, 400_000]) {
    const path = join(WORK, `events-${count / 1000}k.ndjson`);
    if (!existsSync(path)) {
      await writeNdjson(
        path,
        generateEvents({ seed: count, from: FROM, to: TO, count, hostileRate: 0.01, malformedRate: 0.005 }),
      );
    }
    const r = spawnSync(process.execPath, ['--require', hook, cli, 'summarize', '--input', path, '--format', 'json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const match = /maxrss=(\d+)/.exec(r.stderr.toString());
    if (r.status !== 0 || !match) throw new Error(`summarize of ${path} failed: ${r.stderr.toString()}`);
    rss[count] = Number(match[1]) / 1024;
  }
  console.log(`  peak RSS, NDJSON 100k events  ${rss[100_000]!.toFixed(0)} MB`);
  console.log(`  peak RSS, NDJSON 400k events  ${rss[400_000]!.toFixed(0)} MB`);
  console.log(`  400k / 100k                   ${(rss[400_000]! / rss[100_000]!).toFixed(2)}x  (target ≤ 1.5x)`);
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
