/**
 * Command-line benchmark, from the shell as users run it:
 * - start-up: `report --help` through the compiled entry point and through `npm run -s`, next to
 *   `node -e 0` (Node's own start-up on this machine), also without NODE_EXTRA_CA_CERTS where the
 *   machine sets it (Node reads that file at every start), and the cost of the freshness check
 *   that every run pays (scripts/build-cli.cjs: a manifest read and a stat per source);
 * - live: `npm run -s report -- summarize` of a 60k-event week from the Datadog audit API emulator
 *   (in this process) at 150 ms per response and 1000 events per page, end to end, against the
 *   sequential-paging floor (pages × 150 ms) and against the same command of the previous build
 *   (TypeScript compiled by tsx on every run, the whole Datadog client loaded from node_modules)
 *   when `BENCH_BEFORE=<git ref>` names it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startDatadogEmulator } from '../test/support/datadog-emulator';
import { generateEvents } from '../test/support/generator';
import { type Command, median, ROOT, type Row, RUNS, ratio, seconds, timeInterleaved, timeOnceAsync } from './measure';

const LATENCY_MS = 150;
const PAGE = 1000;
const EVENTS = 60_000;
const FROM = new Date('2026-11-16T09:00:00.000Z');
const TO = new Date('2026-11-23T09:00:00.000Z');

interface BuildCli {
  ensureBuilt(): Promise<string>;
  freshBuild(): string | undefined;
}

/** Start-up runs are cheap: more rounds than RUNS, for a steadier median. */
const STARTUP_ROUNDS = Math.max(RUNS, 15);

function startup(): { rows: Row[] } {
  // Node reads the NODE_EXTRA_CA_CERTS file at every start, before any of our code (a full CA
  // bundle: ~90 ms on our 2-core machine). Where it is set, the same commands run without it too.
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const withoutCerts = { ...process.env };
  delete withoutCerts.NODE_EXTRA_CA_CERTS;
  const t = timeInterleaved(
    [
      { name: 'node', command: process.execPath, args: ['-e', '0'] },
      { name: 'compiled', command: process.execPath, args: ['scripts/report.cjs', '--help'] },
      { name: 'npm', command: 'npm', args: ['run', '-s', 'report', '--', '--help'] },
      ...(extraCerts
        ? [
            { name: 'node-bare', command: process.execPath, args: ['-e', '0'], env: withoutCerts },
            {
              name: 'compiled-bare',
              command: process.execPath,
              args: ['scripts/report.cjs', '--help'],
              env: withoutCerts,
            },
          ]
        : []),
    ],
    STARTUP_ROUNDS,
  );
  // The freshness check alone, in one process: what every run pays before the CLI loads.
  const buildCli = require('../scripts/build-cli.cjs') as BuildCli;
  const checks: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = process.hrtime.bigint();
    if (buildCli.freshBuild() === undefined) throw new Error('dist/cli is stale: run npm run build:cli');
    checks.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const check = median(checks);
  const ms = (name: string): string => `${t.get(name)?.toFixed(0) ?? '?'} ms`;
  console.log(`cli start-up: \`report --help\`, median of ${STARTUP_ROUNDS} interleaved runs`);
  console.log(`  node -e 0 (Node alone)                 ${ms('node').padStart(8)}`);
  console.log(`  node scripts/report.cjs --help         ${ms('compiled').padStart(8)}  (target < 150 ms)`);
  console.log(`  npm run -s report -- --help            ${ms('npm').padStart(8)}`);
  if (extraCerts) {
    console.log(`  this machine sets NODE_EXTRA_CA_CERTS=${extraCerts}, read by Node at every start; without it:`);
    console.log(`    node -e 0                            ${ms('node-bare').padStart(8)}`);
    console.log(`    node scripts/report.cjs --help       ${ms('compiled-bare').padStart(8)}`);
  }
  console.log(
    `  freshness check of the build           ${check.toFixed(2).padStart(5)} ms per run (median of 200, in process)`,
  );
  const bare = extraCerts
    ? `; without this machine's NODE_EXTRA_CA_CERTS (a CA file Node reads at every start) ${ms('compiled-bare')}, Node alone ${ms('node-bare')}`
    : '';
  return {
    rows: [
      {
        what: '`report --help` start-up (`node scripts/report.cjs`, what `npm run report` runs); `node -e 0` alone',
        measured: `**${ms('compiled')}**; Node alone ${ms('node')}; through \`npm run -s\` ${ms('npm')}${bare}`,
        target: '< 150 ms',
      },
      {
        what: 'freshness check of the compiled CLI, paid by every run (manifest read + a stat per source)',
        measured: `${check.toFixed(2)} ms`,
        target: '—',
      },
    ],
  };
}

/** A worktree of `ref` beside .bench, sharing node_modules, to run the previous build's command. */
function checkout(ref: string): string {
  const dir = join(ROOT, '.bench', 'before');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${ref}" functions package.json | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function live(): Promise<{ rows: Row[] }> {
  const emulator = await startDatadogEmulator({
    events: generateEvents({ seed: 2026, from: FROM, to: TO, count: EVENTS }),
    latencyMs: LATENCY_MS,
  });
  try {
    const env = { ...process.env, DD_API_URL: emulator.url, DD_API_KEY: emulator.apiKey, DD_APP_KEY: emulator.appKey };
    const summarize = ['summarize', '--from', FROM.toISOString(), '--to', TO.toISOString(), '--format', 'json'];
    const commands: Command[] = [
      { name: 'npm', command: 'npm', args: ['run', '-s', 'report', '--', ...summarize], env },
    ];
    const before = process.env.BENCH_BEFORE;
    if (before) {
      const dir = checkout(before);
      commands.push({
        name: 'before',
        command: join(ROOT, 'node_modules/.bin/tsx'),
        args: [join(dir, 'cli/report.ts'), ...summarize],
        env,
      });
    }
    const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]));
    let requests = 0;
    let emulatorCpu = 0;
    for (let round = 0; round <= RUNS; round++) {
      for (const c of commands) {
        const r0 = emulator.stats.requests;
        const cpu0 = process.cpuUsage();
        const ms = await timeOnceAsync(c);
        const cpu = process.cpuUsage(cpu0);
        if (round === 0) continue;
        samples.get(c.name)?.push(ms);
        if (c.name === 'npm') {
          requests = emulator.stats.requests - r0;
          emulatorCpu += (cpu.user + cpu.system) / 1000 / RUNS;
        }
      }
    }
    const npm = median(samples.get('npm')!);
    const pages = Math.ceil(EVENTS / PAGE);
    const floor = pages * LATENCY_MS;
    console.log(
      `cli live: summarize of a ${EVENTS / 1000}k-event week (and its 28-day baseline, empty) from the audit API ` +
        `emulator, ${LATENCY_MS} ms per response, ${PAGE} per page; median of ${RUNS} runs`,
    );
    console.log(`  sequential-paging floor: ${pages} pages × ${LATENCY_MS} ms = ${seconds(floor)}`);
    console.log(
      `  npm run -s report -- summarize          ${seconds(npm).padStart(8)}  ${ratio(floor / npm)} faster than the floor (target ≥ 3×), ${requests} requests`,
    );
    console.log(`  (the emulator, in this process, used ${seconds(emulatorCpu)} of CPU per run encoding the pages)`);
    const rows: Row[] = [
      {
        what: `live \`npm run -s report -- summarize\` of a ${EVENTS / 1000}k-event week from the audit API emulator, ${LATENCY_MS} ms per response, ${PAGE} per page, end to end from the shell, vs the sequential-paging floor (${pages} pages × ${LATENCY_MS} ms)`,
        measured: `${seconds(npm)} vs ${seconds(floor)}: **${ratio(floor / npm)} faster** (${requests} requests, window and baseline)`,
        target: '≥ 3×',
      },
    ];
    if (before) {
      const b = median(samples.get('before')!);
      console.log(
        `  the same with ${before} (tsx)${' '.repeat(Math.max(1, 22 - before.length))}${seconds(b).padStart(8)}`,
      );
      rows.push({
        what: `… the same command as of ${before} (tsx, the whole Datadog client from node_modules)`,
        measured: `${seconds(b)}: ${ratio(b / npm)} the time`,
        target: '—',
      });
    }
    return { rows };
  } finally {
    await emulator.close();
  }
}

export async function run(): Promise<Row[]> {
  const buildCli = require('../scripts/build-cli.cjs') as BuildCli;
  await buildCli.ensureBuilt();
  const s = startup();
  console.log('');
  const l = await live();
  return [...s.rows, ...l.rows];
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
