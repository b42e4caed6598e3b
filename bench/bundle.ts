/**
 * Bundle benchmark: builds the function's bundle exactly as the stack deploys it
 * (scripts/lib/function-bundle.cjs: esbuild with the slim Datadog client), prints its size and
 * cold-start load time (`node -e "require(bundle)"`, median of several runs, variants interleaved),
 * and measures side by side: the same handler with the whole Datadog client (the bundle before the
 * slim client: 5.39 MiB, 1.1-1.4 s here), the command line's own Datadog client bundle
 * (dist/cli/datadog-client.cjs, the same plugins), the AWS SDK left external (CDK's default) vs
 * bundled (ours), source maps on vs off, and the whole Datadog package for scale. A memory probe
 * feeds a busy week (60k events + 4 weeks of baseline) through the core, for the function's memory
 * size. Run alone with `npx tsx bench/bundle.ts`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { functionBundle, HANDLER_ENTRY, PROJECT_ROOT } from '../infra/report-function';
import { CHILD_PEAK_RSS_KIB, type Row } from './measure';

const OUT_DIR = path.join(PROJECT_ROOT, '.bench', 'bundle');
const RUNS = 7;
const MIB = 1024 * 1024;
const CHILD_ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NODE_OPTIONS: '' };

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly metafile?: Metafile;
}

interface LoadTime {
  /** Median ms of the `require` call alone, measured inside the child. */
  readonly requireMs: number;
  /** Median ms of the whole `node -e "require(bundle)"` process. */
  readonly processMs: number;
  /** Resident set size after the require, MiB. */
  readonly rssMiB: number;
}

function measured(name: string, file: string, metafile?: Metafile): Bundle {
  const content = fs.readFileSync(file);
  return { name, file, bytes: content.length, gzipBytes: gzipSync(content).length, ...(metafile ? { metafile } : {}) };
}

/** The handler built as deployed (function-bundle.cjs), with the benchmark's variations. */
async function bundle(
  name: string,
  options: { slimClient?: boolean; external?: string[]; minify?: boolean; sourcemap?: boolean } = {},
): Promise<Bundle> {
  const outdir = path.join(OUT_DIR, name);
  fs.rmSync(outdir, { recursive: true, force: true });
  const { external, minify, sourcemap, slimClient = true } = options;
  const result = await functionBundle.buildFunction({
    outdir,
    slimClient,
    overrides: {
      ...(external ? { external: [...(functionBundle.FUNCTION_BUILD_OPTIONS.external ?? []), ...external] } : {}),
      ...(minify !== undefined ? { minify } : {}),
      ...(sourcemap !== undefined ? { sourcemap } : {}),
      logLevel: 'silent',
    },
  });
  return measured(name, path.join(outdir, functionBundle.BUNDLE_FILE), result.metafile);
}

/** Any entry, bundled with the deployed options but no plugins (the whole Datadog package). */
async function bundlePlain(name: string, entry: string): Promise<Bundle> {
  const file = path.join(OUT_DIR, name, 'index.js');
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const result = await build({
    ...functionBundle.FUNCTION_BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });
  return measured(name, file, result.metafile);
}

/** The command line's Datadog client bundle, built first when dist/cli is stale. */
async function cliClientBundle(): Promise<Bundle> {
  const buildCli = require('../scripts/build-cli.cjs') as { ensureBuilt(): Promise<string>; OUT_DIR: string };
  await buildCli.ensureBuilt();
  return measured('cli-datadog-client', path.join(buildCli.OUT_DIR, 'datadog-client.cjs'));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Variant {
  readonly file: string | undefined;
  readonly nodeOptions?: string;
}

/**
 * Times `require(file)` in fresh processes for every variant, interleaved run by run so that load
 * from other work on the machine hits all variants alike. The first round warms the disk cache.
 */
function loadTimes(variants: readonly Variant[]): LoadTime[] {
  const samples = variants.map(() => ({ requireMs: [] as number[], processMs: [] as number[], rss: [] as number[] }));
  for (let round = 0; round <= RUNS; round++) {
    variants.forEach((variant, i) => {
      const script = variant.file
        ? `const t=process.hrtime.bigint();require(${JSON.stringify(variant.file)});` +
          'const ms=Number(process.hrtime.bigint()-t)/1e6;console.log(JSON.stringify({ms,rss:process.memoryUsage().rss}))'
        : 'console.log(JSON.stringify({ms:0,rss:process.memoryUsage().rss}))';
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['-e', script], {
        cwd: OUT_DIR,
        env: { ...CHILD_ENV, NODE_OPTIONS: variant.nodeOptions ?? '' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (child.status !== 0) throw new Error(`require(${variant.file}) failed: ${child.stderr.slice(0, 500)}`);
      if (round === 0) return;
      const out = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; rss: number };
      const sample = samples[i];
      sample?.requireMs.push(out.ms);
      sample?.processMs.push(elapsed);
      sample?.rss.push(out.rss / MIB);
    });
  }
  return samples.map((s) => ({
    requireMs: median(s.requireMs),
    processMs: median(s.processMs),
    rssMiB: median(s.rss),
  }));
}

/** Bytes per top-level package in the bundle, largest first. */
function topPackages(metafile: Metafile, count: number): Array<[string, number]> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match ? (match[1] ?? input) : '(our code)';
    sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]).slice(0, count);
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(2)} MiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

function printBundleRow(label: string, b: Bundle, t: LoadTime | undefined): void {
  const load = t ? `  require ${ms(t.requireMs)}  process ${ms(t.processMs)}  rss ${t.rssMiB.toFixed(0)} MiB` : '';
  console.log(`  ${label.padEnd(48)} ${mib(b.bytes).padStart(10)} (gzip ${mib(b.gzipBytes)})${load}`);
}

/** Feeds a busy week through the core in pages, as the handler does, and reports peak memory. */
async function memoryProbe(): Promise<Row | undefined> {
  const probe = path.join(OUT_DIR, 'memory-probe.ts');
  const generator = path.relative(OUT_DIR, path.join(PROJECT_ROOT, 'test/support/generator')).replaceAll('\\', '/');
  const aggregate = path
    .relative(OUT_DIR, path.join(PROJECT_ROOT, 'functions/weekly-report/core/aggregate'))
    .replaceAll('\\', '/');
  const summarizeModule = path
    .relative(OUT_DIR, path.join(PROJECT_ROOT, 'functions/weekly-report/core/summarize'))
    .replaceAll('\\', '/');
  const types = path
    .relative(OUT_DIR, path.join(PROJECT_ROOT, 'functions/weekly-report/core/types'))
    .replaceAll('\\', '/');
  fs.writeFileSync(
    probe,
    `import { generateEvents } from '${generator}';
import { BaselineAggregate, WindowAggregate } from '${aggregate}';
import { summarize } from '${summarizeModule}';
import { reportSettings } from '${types}';
const DAY = 86_400_000;
const to = Date.parse('2026-11-23T09:00:00Z');
const from = to - 7 * DAY;
const baseFrom = from - 28 * DAY;
const started = Date.now();
/** Pages of 1000 go through JSON text, as they arrive over HTTP. */
function feed(target: { add(raw: unknown): void }, events: Iterable<unknown>): void {
  let page: unknown[] = [];
  for (const e of events) {
    page.push(e);
    if (page.length === 1000) { for (const r of JSON.parse(JSON.stringify({ data: page })).data) target.add(r); page = []; }
  }
  for (const r of JSON.parse(JSON.stringify({ data: page })).data) target.add(r);
}
const window = new WindowAggregate({ range: { from, to } });
feed(window, generateEvents({ seed: 1, from: new Date(from), to: new Date(to), count: 60_000, people: 300, hostileRate: 0.01 }));
const baseline = new BaselineAggregate({ from: from - 7 * DAY, to: from }, { range: { from: baseFrom, to: from } });
feed(baseline, generateEvents({ seed: 2, from: new Date(baseFrom), to: new Date(from), count: 240_000, people: 280 }));
// The report's settings as the function gets them: the defaults (core/types.ts), typed where the bench cannot check.
const summary = summarize(window, baseline, reportSettings({
  org: 'Bench', window: { from, to }, baselineWindow: { from: baseFrom, to: from },
}));
console.log(JSON.stringify({ ms: Date.now() - started, maxRssKiB: ${CHILD_PEAK_RSS_KIB},
  heap: process.memoryUsage().heapUsed, calls: summary.total_tool_calls, anomalies: summary.anomalies.length }));
`,
  );
  try {
    const b = await bundlePlain('memory-probe', probe);
    const child = spawnSync(process.execPath, [b.file], { env: CHILD_ENV, encoding: 'utf8', timeout: 120_000 });
    if (child.status !== 0) throw new Error(child.stderr.slice(0, 300));
    const out = JSON.parse(child.stdout.trim()) as { ms: number; maxRssKiB: number; heap: number; calls: number };
    console.log(
      `  60k-event week + 240k baseline events: peak RSS ${(out.maxRssKiB / 1024).toFixed(0)} MiB, ` +
        `heap after ${mib(out.heap)}, ${ms(out.ms)} on this machine (${out.calls} calls counted)`,
    );
    return {
      what: "a 60k-event week + 240k baseline events in the handler's code path",
      measured: `peak RSS ${(out.maxRssKiB / 1024).toFixed(0)} MiB (the function has 1024 MB for CPU)`,
      target: '—',
    };
  } catch (error) {
    console.log(`  memory probe not available yet: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

export async function run(): Promise<Row[]> {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const o = functionBundle.FUNCTION_BUILD_OPTIONS;
  console.log(`bundle: esbuild ${o.target}, minify, external ${(o.external ?? []).join(', ')}, slim Datadog client`);
  console.log(`  load times: median of ${RUNS} fresh \`node -e "require(bundle)"\` processes, variants interleaved`);

  // The whole Datadog client, for scale: what an `import { v2 } from '@datadog/datadog-api-client'` costs.
  const wholeEntry = path.join(OUT_DIR, 'whole-datadog-client.ts');
  fs.writeFileSync(wholeEntry, "export * as datadog from '@datadog/datadog-api-client';\n");
  const whole = await bundlePlain('whole-datadog-client', wholeEntry);
  const cli = await cliClientBundle();

  let handlerProblem: string | undefined;
  const handler: Bundle[] = [];
  if (!fs.existsSync(HANDLER_ENTRY)) {
    handlerProblem = `handler not found at ${path.relative(PROJECT_ROOT, HANDLER_ENTRY)}: no handler figures yet`;
  } else {
    try {
      handler.push(await bundle('handler'));
      handler.push(await bundle('handler-full-client', { slimClient: false }));
      handler.push(await bundle('handler-sdk-external', { external: ['@aws-sdk/*', '@smithy/*'] }));
      handler.push(await bundle('handler-unminified', { minify: false, sourcemap: false }));
    } catch (error) {
      handlerProblem = `the handler does not bundle yet: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`;
      handler.length = 0;
    }
  }
  const [deployed, fullClient, sdkExternal, unminified] = handler;
  const variants: Variant[] = [{ file: undefined }, { file: whole.file }, { file: cli.file }];
  if (deployed && fullClient && sdkExternal && unminified) {
    variants.push(
      { file: deployed.file },
      { file: deployed.file, nodeOptions: '--enable-source-maps' },
      { file: fullClient.file },
      // Locally the external SDK resolves from node_modules, as it would from the runtime's copy.
      { file: sdkExternal.file },
      { file: unminified.file },
    );
  }
  const [empty, wholeLoad, cliLoad, deployedLoad, sourceMapsLoad, fullLoad, sdkExternalLoad, unminifiedLoad] =
    loadTimes(variants);
  console.log(`  ${'node with nothing to load'.padEnd(48)} ${''.padStart(28)}process ${ms(empty?.processMs ?? 0)}`);
  if (deployed && fullClient && sdkExternal && unminified) {
    printBundleRow('handler as deployed (slim client, minified)', deployed, deployedLoad);
    printBundleRow('  same, NODE_OPTIONS=--enable-source-maps', deployed, sourceMapsLoad);
    printBundleRow('handler with the whole client (before)', fullClient, fullLoad);
    printBundleRow('handler, @aws-sdk/* external (CDK default)', sdkExternal, sdkExternalLoad);
    printBundleRow('handler, not minified', unminified, unminifiedLoad);
  }
  printBundleRow("command line's Datadog client bundle", cli, cliLoad);
  printBundleRow('whole @datadog/datadog-api-client', whole, wholeLoad);
  if (handlerProblem !== undefined) console.log(`  ${handlerProblem}`);
  const rows: Row[] = [];
  if (deployed?.metafile && fullClient?.metafile && deployedLoad && fullLoad && cliLoad) {
    const datadog = (b: Bundle) =>
      topPackages(b.metafile as Metafile, 1000).find(([name]) => name === '@datadog/datadog-api-client')?.[1] ?? 0;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(
      `  slim vs whole client: bundle ${ratio(deployed.bytes, fullClient.bytes)}, require ` +
        `${ratio(deployedLoad.requireMs, fullLoad.requireMs)}; the Datadog client inside it ${mib(datadog(deployed))} ` +
        `(was ${mib(datadog(fullClient))}); the command line's client bundle: ${mib(cli.bytes)}, require ${ms(cliLoad.requireMs)}`,
    );
    console.log('  largest packages in the deployed bundle:');
    for (const [name, bytes] of topPackages(deployed.metafile, 8)) console.log(`    ${name.padEnd(40)} ${mib(bytes)}`);
    rows.push({
      what: 'deployed function bundle (slim Datadog client, minified, AWS SDK bundled)',
      measured:
        `${mib(deployed.bytes)} (${mib(deployed.gzipBytes)} gzip), \`require\` ${ms(deployedLoad.requireMs)}; ` +
        `with the whole client ${mib(fullClient.bytes)}, ${ms(fullLoad.requireMs)} ` +
        `(${ratio(deployed.bytes, fullClient.bytes)} the size, ${ratio(deployedLoad.requireMs, fullLoad.requireMs)} the time); ` +
        `the command line's client bundle ${mib(cli.bytes)}, ${ms(cliLoad.requireMs)}`,
      target: 'at most 1.5 MiB',
    });
  }
  const memory = await memoryProbe();
  if (memory) rows.push(memory);
  return rows;
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
