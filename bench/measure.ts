/**
 * What every part of `npm run bench` shares: wall-clock timing of commands as a user runs them
 * (several commands measured in interleaved rounds, so load from elsewhere on the machine hits
 * them alike, and medians reported), and the rows of the summary table the bench ends with,
 * which is the README's performance table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');
/** Measured rounds per command (after one warm-up round); `BENCH_RUNS=9 npm run bench` for steadier medians. */
export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));

/** One row of the closing table: what was measured, the figures, and the target when there is one. */
export interface Row {
  readonly what: string;
  readonly measured: string;
  readonly target: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export interface Command {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Fewer rounds for a slow command (the seed's jq program): measured in the first `runs` rounds only. */
  readonly runs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Wall time of one run of `c` (ms); stdout is discarded, a failure throws with stderr. */
export function timeOnce(c: Command): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(c.command, c.args, {
    cwd: ROOT,
    env: c.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`);
  return ms;
}

/** The same, for a command that needs this process to keep serving (the emulator): asynchronous. */
export function timeOnceAsync(c: Command): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(c.command, c.args, {
      cwd: ROOT,
      env: c.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (status !== 0) reject(new Error(`${c.name} failed (${status}): ${stderr.slice(0, 500)}`));
      else resolve(ms);
    });
  });
}

/**
 * Median wall time (ms) of each command: one warm-up round, then `rounds` rounds (RUNS unless
 * said), each running every command once in turn.
 */
export function timeInterleaved(commands: readonly Command[], rounds = RUNS): Map<string, number> {
  const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const c of commands) {
      if (round === 0 && c.runs !== undefined) continue; // slow commands: no warm-up round
      if (round > 0 && c.runs !== undefined && round > c.runs) continue;
      const ms = timeOnce(c);
      if (round > 0) samples.get(c.name)?.push(ms);
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

/**
 * A JavaScript expression for a child process: its own peak RSS, KiB. Linux keeps ru_maxrss
 * (what process.resourceUsage().maxRSS reads) across fork and exec, so a child of a bigger
 * process reports the parent's peak (measured: a child of a 413 MB process said 413 MB; its
 * VmHWM said 40 MB). /proc/self/status's VmHWM belongs to the new program alone; elsewhere,
 * maxRSS.
 */
export const CHILD_PEAK_RSS_KIB =
  "(() => { try { const m = /VmHWM:\\s*(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8')); " +
  'if (m) return Number(m[1]); } catch {} return process.resourceUsage().maxRSS; })()';

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const ratio = (value: number): string => `${value.toFixed(2)}×`;
