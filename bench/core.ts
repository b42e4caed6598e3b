/**
 * Core benchmark: `report summarize --format json` of 200k events in one search-response file,
 * measured as users run it — `npm run -s report -- summarize …`, and the same command without
 * npm (the compiled entry point package.json runs) — against a bare read + JSON.parse of the same
 * file in a fresh `node -e`, and against the seed's jq program; side by side in interleaved rounds.
 * Two event shapes: the generator's full events (~900 bytes, every attribute a real event has)
 * and lean ones (~500 bytes, only the fields the report reads), where per-event work weighs more.
 * Then peak RSS of `summarize` on NDJSON of 100k and 400k events (streamed: flat).
 * Needs Debian's `jq` for the seed column (`apt-get install -y jq`); without it that column is skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEvents, type RawAuditEvent, writeNdjson } from '../test/support/generator';
import { CHILD_PEAK_RSS_KIB, type Command, ROOT, type Row, RUNS, ratio, seconds, timeInterleaved } from './measure';

const WORK = join(ROOT, '.bench');
const FROM = new Date('2026-11-16T09:00:00Z');
const TO = new Date('2026-11-23T09:00:00Z');
const EVENTS = 200_000;

type Loose = Record<string, unknown> | undefined;

/** Only what the report reads: id, type, the outer timestamp and the inner attributes it uses. */
export function leanEvent(event: RawAuditEvent): RawAuditEvent {
  const outer = event.attributes as Loose;
  const inner = outer?.attributes as Loose;
  const client = (inner?.network as Loose)?.client as Loose;
  const country = ((client?.geoip as Loose)?.country as Loose)?.name;
  return {
    id: event.id,
    type: event.type,
    attributes: {
      timestamp: outer?.timestamp,
      attributes: {
        evt: inner?.evt,
        usr: inner?.usr,
        ...(inner?.delegator ? { delegator: inner.delegator } : {}),
        action: inner?.action,
        asset: inner?.asset,
        network: { client: { ip: client?.ip, geoip: { country: { name: country } } } },
      },
    },
  };
}

/** A search response of EVENTS seed-compatible events (the seed's jq program fails on malformed ones; one file serves all). */
function writeResponse(path: string, shape: (e: RawAuditEvent) => RawAuditEvent): void {
  if (existsSync(path)) return;
  const events = [...generateEvents({ seed: 200, from: FROM, to: TO, count: EVENTS, seedCompatible: true })].map(shape);
  writeFileSync(path, JSON.stringify({ data: events }));
}

/** The command `npm run report` runs (package.json), without npm: the compiled entry point. */
function reportCommand(): { command: string; args: string[] } {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const [command, ...args] = (scripts.report ?? '').split(/\s+/);
  if (command !== 'node') throw new Error(`package.json "report" should run node, not ${scripts.report}`);
  return { command: process.execPath, args };
}

interface ShapeResult {
  readonly parse: number;
  readonly npm: number;
  readonly compiled: number;
  readonly jq: number;
  readonly mb: number;
  readonly bytesPerEvent: number;
}

function measureShape(label: string, file: string, hasJq: boolean): ShapeResult {
  const bytes = statSync(file).size;
  const report = reportCommand();
  const summarize = ['summarize', '--input', file, '--format', 'json'];
  const commands: Command[] = [
    {
      name: 'parse',
      command: process.execPath,
      args: ['-e', 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))', file],
    },
    { name: 'npm', command: 'npm', args: ['run', '-s', 'report', '--', ...summarize] },
    { name: 'compiled', command: report.command, args: [...report.args, ...summarize] },
  ];
  // The seed's jq program takes 5-10x longer: three rounds are enough to see where it stands.
  if (hasJq) {
    commands.push({
      name: 'jq',
      command: 'jq',
      args: ['-f', join(ROOT, 'test/fixtures/seed/weekly-summary.jq'), file],
      runs: Math.min(3, RUNS),
    });
  }
  const t = timeInterleaved(commands);
  const result: ShapeResult = {
    parse: t.get('parse')!,
    npm: t.get('npm')!,
    compiled: t.get('compiled')!,
    jq: t.get('jq') ?? Number.NaN,
    mb: bytes / 1e6,
    bytesPerEvent: bytes / EVENTS,
  };
  const vsParse = (ms: number) => `${seconds(ms).padStart(8)}  ${ratio(ms / result.parse).padStart(6)} the parse`;
  console.log(
    `  ${label}: ${EVENTS / 1000}k events, ${result.mb.toFixed(0)} MB, ~${result.bytesPerEvent.toFixed(0)} bytes each`,
  );
  console.log(`    read + JSON.parse (node -e)               ${seconds(result.parse).padStart(8)}`);
  console.log(`    npm run -s report -- summarize            ${vsParse(result.npm)}`);
  console.log(`    ${`${report.args[0]} summarize (no npm)`.padEnd(42)}${vsParse(result.compiled)}`);
  if (hasJq) {
    console.log(
      `    seed's jq program                         ${seconds(result.jq).padStart(8)}  ${ratio(result.jq / result.npm).padStart(6)} npm run -s report`,
    );
  }
  return result;
}

function peakRss(cli: { command: string; args: string[] }, path: string): number {
  const hook = join(WORK, 'max-rss.cjs');
  // Loaded by the child with --require: prints the child's own peak RSS (KiB) as it exits.
  writeFileSync(hook, `process.on('exit', () => process.stderr.write('maxrss=' + ${CHILD_PEAK_RSS_KIB} + '\\n'));\n`);
  const r = spawnSync(cli.command, ['--require', hook, ...cli.args, 'summarize', '--input', path, '--format', 'json'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const match = /maxrss=(\d+)/.exec(r.stderr.toString());
  if (r.status !== 0 || !match) throw new Error(`summarize of ${path} failed: ${r.stderr.toString()}`);
  return Number(match[1]) / 1024;
}

export async function run(): Promise<Row[]> {
  mkdirSync(WORK, { recursive: true });
  const full = join(WORK, 'events-200k.json');
  const lean = join(WORK, 'events-200k-lean.json');
  writeResponse(full, (e) => e);
  writeResponse(lean, leanEvent);
  const hasJq = spawnSync('jq', ['--version']).status === 0;
  console.log(
    `core: summarize --format json of one search response, median of ${RUNS} interleaved runs` +
      (hasJq ? ` (jq: ${Math.min(3, RUNS)})` : ' (seed jq column skipped: install Debian jq)'),
  );
  const l = measureShape('lean events', lean, hasJq);
  const f = measureShape('full events', full, hasJq);

  const rss: Record<number, number> = {};
  for (const count of [100_000, 400_000]) {
    const path = join(WORK, `events-${count / 1000}k.ndjson`);
    if (!existsSync(path)) {
      await writeNdjson(
        path,
        generateEvents({ seed: count, from: FROM, to: TO, count, hostileRate: 0.01, malformedRate: 0.005 }),
      );
    }
    rss[count] = peakRss(reportCommand(), path);
  }
  const growth = rss[400_000]! / rss[100_000]!;
  console.log(
    `  peak RSS of summarize on NDJSON: 100k events ${rss[100_000]!.toFixed(0)} MB, 400k ${rss[400_000]!.toFixed(0)} MB: ${ratio(growth)} (target ≤ 1.5×)`,
  );

  const shape = (r: ShapeResult, name: string) =>
    `${name} events (${EVENTS / 1000}k, ~${r.bytesPerEvent.toFixed(0)} bytes each, ${r.mb.toFixed(0)} MB, one file)`;
  const rows: Row[] = [
    {
      what: `\`npm run -s report -- summarize --format json\`, ${shape(l, 'lean')}, vs a bare \`node -e\` read + \`JSON.parse\``,
      measured: `${seconds(l.npm)} vs ${seconds(l.parse)}: **${ratio(l.npm / l.parse)}**`,
      target: '≤ 1.3×',
    },
    {
      what: '… the same command without npm (what package.json runs)',
      measured: `${seconds(l.compiled)}: **${ratio(l.compiled / l.parse)}**`,
      target: '—',
    },
  ];
  if (hasJq) {
    rows.push({
      what: "… the seed's jq program (Debian `jq`) vs `npm run -s report`",
      measured: `${seconds(l.jq)} vs ${seconds(l.npm)}: **${ratio(l.jq / l.npm)} faster**`,
      target: '≥ 3×',
    });
  }
  rows.push({
    what: `\`npm run -s report\`, ${shape(f, 'full')}, vs the bare parse`,
    measured: `${seconds(f.npm)} vs ${seconds(f.parse)}: **${ratio(f.npm / f.parse)}**; without npm ${ratio(f.compiled / f.parse)}`,
    target: '≤ 1.3×',
  });
  if (hasJq) {
    rows.push({
      what: "… the seed's jq program vs `npm run -s report`",
      measured: `${seconds(f.jq)} vs ${seconds(f.npm)}: **${ratio(f.jq / f.npm)} faster**`,
      target: '≥ 3×',
    });
  }
  rows.push({
    what: 'peak RSS of `summarize` on NDJSON, 400k vs 100k events',
    measured: `${rss[400_000]!.toFixed(0)} MB vs ${rss[100_000]!.toFixed(0)} MB: **${ratio(growth)}** (streamed)`,
    target: '≤ 1.5×',
  });
  return rows;
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
