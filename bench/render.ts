/**
 * Bench of the email template path: compiling MJML on every invocation (what the Lambda would
 * do with `mjml` in its bundle) against the template precompiled at build time (what it does).
 * Prints mjml's cold load time, per-render times, and esbuild bundle weights, side by side.
 * Run alone with `npx tsx bench/render.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import mjml2html from 'mjml';
import { renderReport } from '../functions/weekly-report/render';
import { makeBusySummary } from '../test/support/summary-fixtures';
import type { Row } from './measure';

const ROOT = join(__dirname, '..');
const TEMPLATE = join(ROOT, 'templates', 'weekly-report.mjml');

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'silent',
    // mjml's optional beautify/minify helpers reach for these; the Lambda would not ship them.
    external: ['typescript', 'prettier', 'cssnano', 'uglify-js'],
  });
  return readFileSync(outfile).byteLength;
}

/** Milliseconds to `require` a bundle in a fresh Node process (median of `runs`). */
function coldLoad(file: string, runs: number): number {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })),
  );
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const start = performance.now();
  for (let i = 0; i < runs; i += 1) await fn();
  return (performance.now() - start) / runs;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export async function run(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'render-bench-'));
  try {
    const source = readFileSync(TEMPLATE, 'utf8');
    const summary = makeBusySummary(40);

    // Bundles: a tiny entry that compiles the template with mjml, and the precompiled renderer.
    const mjmlEntry = join(dir, 'mjml-entry.js');
    writeFileSync(
      mjmlEntry,
      `const mjml = require(${JSON.stringify(require.resolve('mjml'))});\nmodule.exports = (src) => mjml(src, { validationLevel: 'strict' });\n`,
    );
    const renderEntry = join(dir, 'render-entry.ts');
    writeFileSync(
      renderEntry,
      `export { renderReport } from ${JSON.stringify(join(ROOT, 'functions/weekly-report/render'))};\n`,
    );
    const mjmlBytes = await bundle(mjmlEntry, join(dir, 'mjml.js'));
    const renderBytes = await bundle(renderEntry, join(dir, 'render.js'));

    const mjmlLoad = coldLoad(join(dir, 'mjml.js'), 5);
    const renderLoad = coldLoad(join(dir, 'render.js'), 5);

    const mjmlRender = await timeAsync(10, () => mjml2html(source, { validationLevel: 'strict' }));
    const precompiled = await timeAsync(200, async () => renderReport(summary, { slackChannel: 'C0123456789' }));

    console.log('render: email template, compiled per invocation (mjml) vs precompiled at build time');
    console.log(
      `  bundle (esbuild, minified)  mjml ${kb(mjmlBytes)}   precompiled renderer ${kb(renderBytes)}   ratio ${(mjmlBytes / renderBytes).toFixed(1)}x`,
    );
    console.log(
      `  cold load (require)         mjml ${mjmlLoad.toFixed(1)} ms   precompiled ${renderLoad.toFixed(1)} ms   ratio ${(mjmlLoad / renderLoad).toFixed(1)}x`,
    );
    console.log(
      `  per render                  mjml ${mjmlRender.toFixed(2)} ms (template only)   precompiled ${precompiled.toFixed(3)} ms (email + Slack)   ratio ${(mjmlRender / precompiled).toFixed(0)}x`,
    );
    console.log(
      `  email HTML of a busy week   ${kb(Buffer.byteLength(renderReport(summary, { slackChannel: 'C0123456789' }).html))} (Gmail clips at ~102 KB)`,
    );
    return [
      {
        what: 'email template: MJML compiled per invocation vs precompiled at build time',
        measured: `bundle ${kb(mjmlBytes)} vs ${kb(renderBytes)}; cold load ${mjmlLoad.toFixed(0)} ms vs ${renderLoad.toFixed(0)} ms; ${mjmlRender.toFixed(1)} ms vs ${precompiled.toFixed(1)} ms a render (email + Slack)`,
        target: '—',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
