/**
 * Builds the `report` command line into dist/cli/ with esbuild, so `npm run report` runs compiled
 * JavaScript instead of compiling TypeScript on every run (tsx took ~0.5 s before any work).
 * `npm ci` runs it (the `prepare` script); scripts/report.cjs runs it again whenever a source
 * is newer than the build, so an edited source is never run stale.
 *
 * Plain CommonJS on purpose: it runs before anything is compiled, and its freshness check runs on
 * every `npm run report`, so it loads nothing but `node:fs`, `node:path` and the slim client's
 * plugins (scripts/lib/slim-datadog-client.cjs, which loads nothing more); esbuild only to build.
 *
 * Seven bundles, built as the Lambda bundle is (esbuild, target node20, CommonJS):
 * - dist/cli/report.cjs: the CLI, the core and the renderer. Loaded on every run.
 * - dist/cli/datadog-client.cjs: functions/weekly-report/adapters/datadog/api-client.ts, the one
 *   module that imports @datadog/datadog-api-client, with the client bundled in. Loaded only by
 *   the live path (no --input). The client's v2 ObjectSerializer requires all ~6,200 v2 model
 *   files to serialize one request type (3-4 s to load from node_modules on our 2-core machine,
 *   ~1.5 s bundled): the slim client's plugins, shared with the Lambda function's bundle
 *   (scripts/lib/slim-datadog-client.cjs), keep only the models the Audit, Metrics and Teams APIs
 *   name and the models they reference, and replace cross-fetch and pako with small stand-ins; the
 *   bundle loads in ~50-150 ms.
 * - dist/cli/s3-store.cjs: functions/weekly-report/adapters/s3-blob-store.ts with @aws-sdk/client-s3
 *   bundled in. Loaded only with `--archive s3://…` (the SDK would add ~1.4 MB to every start).
 * - dist/cli/decode-worker.cjs: cli/decode-worker.ts, the decode pool's
 *   worker thread (cli/decode-pool.ts): the JSON block and search page decoders and the core's
 *   normalizer, nothing else.
 * - dist/cli/usage.cjs: cli/usage.ts, the usage text alone, which
 *   scripts/report.cjs prints for `report --help` without loading the CLI.
 * - dist/cli/doctor.cjs: cli/doctor.ts, `report doctor` and the preflight with the SES, SES v2,
 *   Secrets Manager and S3 clients it alone needs (in report.cjs they added ~2 MB and ~60 ms to
 *   the load of every command).
 * - dist/cli/verify.cjs: cli/verify.ts, `report verify` with the KMS client it alone needs (the
 *   archive's MAC key); the S3 store comes from s3-store.cjs beside it, as for the CLI.
 * dist/cli/manifest.json lists every source file of the bundles with its mtime and size.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { SLIM_CLIENT_PLUGINS, TRANSPORT_STAND_INS } = require('./lib/slim-datadog-client.cjs');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist', 'cli');
const MANIFEST = path.join(OUT_DIR, 'manifest.json');
const CLI_ENTRY = 'cli/report.ts';
const CLIENT_ENTRY = 'functions/weekly-report/adapters/datadog/api-client.ts';
const S3_ENTRY = 'functions/weekly-report/adapters/s3-blob-store.ts';
const WORKER_ENTRY = 'cli/decode-worker.ts';
const USAGE_ENTRY = 'cli/usage.ts';
const DOCTOR_ENTRY = 'cli/doctor.ts';
const VERIFY_ENTRY = 'cli/verify.ts';
/** Bump when the build itself changes in a way the inputs do not show. */
const BUILD_VERSION = 8;
/**
 * A source modified this shortly before the build started (or during it) may have been read
 * either way: it is recorded as stale, so the next run builds once more. 2 s covers file systems
 * with coarse timestamps.
 */
const SUSPECT_MS = 2000;
const CLIENT_PACKAGE_JSON = 'node_modules/@datadog/datadog-api-client/package.json';

/** True when `manifest` describes a build of the sources as they are now: every source has its recorded mtime and size, every output exists. */
function isFresh(manifest) {
  if (manifest?.version !== BUILD_VERSION || typeof manifest.inputs !== 'object' || !Array.isArray(manifest.outputs)) {
    return false;
  }
  for (const file of Object.keys(manifest.inputs)) {
    const [mtimeMs, size] = manifest.inputs[file];
    const stat = fs.statSync(path.join(ROOT, file), { throwIfNoEntry: false });
    if (stat === undefined || stat.mtimeMs !== mtimeMs || stat.size !== size) return false;
  }
  return manifest.outputs.every((output) => fs.existsSync(path.join(OUT_DIR, output)));
}

/** The built CLI when dist/cli holds a build of the current sources, else undefined. Cheap: one small read and a stat per source. */
function freshBuild() {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
  return isFresh(manifest) ? path.join(OUT_DIR, 'report.cjs') : undefined;
}

/** esbuild plugin: the Datadog client comes from its own slim bundle, next to the one that needs it. */
const datadogClientBeside = {
  name: 'datadog-client-beside',
  setup(build) {
    build.onResolve({ filter: /[\\/]api-client$/ }, (args) =>
      args.path.startsWith('.') ? { path: './datadog-client.cjs', external: true } : undefined,
    );
  },
};

/** esbuild plugin: the S3 store comes from its own bundle, next to the one that needs it. */
const s3StoreBeside = {
  name: 's3-store-beside',
  setup(build) {
    build.onResolve({ filter: /[\\/]s3-blob-store$/ }, (args) =>
      args.path.startsWith('.') ? { path: './s3-store.cjs', external: true } : undefined,
    );
  },
};

/** esbuild plugin: the CLI loads the Datadog client, the S3 store, doctor and verify from their own bundles, next to it. */
const bundlesBesideCli = {
  name: 'bundles-beside-cli',
  setup(build) {
    datadogClientBeside.setup(build);
    s3StoreBeside.setup(build);
    build.onResolve({ filter: /^\.[\\/]doctor$/ }, () => ({ path: './doctor.cjs', external: true }));
    build.onResolve({ filter: /^\.[\\/]verify$/ }, () => ({ path: './verify.cjs', external: true }));
  },
};

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  loader: { '.mjml': 'text' },
  // The client's optional `typescript` hook is never reached at run time (as in the Lambda bundle).
  external: ['typescript'],
  metafile: true,
  write: false,
  logLevel: 'warning',
  absWorkingDir: ROOT,
};

/** Writes `contents` to `file` atomically: a concurrent run sees the old file or the new one, never half of one. */
function writeAtomic(file, contents) {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, contents);
  fs.renameSync(temp, file);
}

/** esbuild, or an error that says how to get it (it is a devDependency: `npm ci --omit=dev` leaves it out). */
function loadEsbuild() {
  try {
    return require('esbuild');
  } catch (error) {
    if (error?.code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error('cannot build the command line: esbuild is not installed (run npm ci, with dev dependencies)');
  }
}

/** Builds the bundles and the manifest; returns the path of the CLI bundle. */
async function build() {
  const esbuild = loadEsbuild();
  const started = Date.now();
  const [cli, client, s3, worker, usage, doctor, verify] = await Promise.all([
    esbuild.build({
      ...COMMON,
      entryPoints: [CLI_ENTRY],
      outfile: path.join(OUT_DIR, 'report.cjs'),
      plugins: [bundlesBesideCli],
    }),
    esbuild.build({
      ...COMMON,
      entryPoints: [CLIENT_ENTRY],
      outfile: path.join(OUT_DIR, 'datadog-client.cjs'),
      plugins: SLIM_CLIENT_PLUGINS,
    }),
    esbuild.build({ ...COMMON, entryPoints: [S3_ENTRY], outfile: path.join(OUT_DIR, 's3-store.cjs') }),
    esbuild.build({ ...COMMON, entryPoints: [WORKER_ENTRY], outfile: path.join(OUT_DIR, 'decode-worker.cjs') }),
    esbuild.build({ ...COMMON, entryPoints: [USAGE_ENTRY], outfile: path.join(OUT_DIR, 'usage.cjs') }),
    esbuild.build({
      ...COMMON,
      entryPoints: [DOCTOR_ENTRY],
      // Its S3 client and the S3 store it hands that client to come from one copy of the SDK; the
      // Datadog client is the slim one beside it.
      outfile: path.join(OUT_DIR, 'doctor.cjs'),
      plugins: [datadogClientBeside],
    }),
    esbuild.build({
      ...COMMON,
      entryPoints: [VERIFY_ENTRY],
      outfile: path.join(OUT_DIR, 'verify.cjs'),
      plugins: [s3StoreBeside],
    }),
  ]);
  const sources = new Set(
    [__filename, require.resolve('./lib/slim-datadog-client.cjs'), path.join(ROOT, CLIENT_PACKAGE_JSON)].map((f) =>
      path.relative(ROOT, f),
    ),
  );
  for (const result of [cli, client, s3, worker, usage, doctor, verify]) {
    for (const input of Object.keys(result.metafile.inputs)) {
      // Packages change only through npm, which runs this build again (`prepare`); their package.json stands for them.
      // The transport stand-ins are written in scripts/lib/slim-datadog-client.cjs, an input already.
      if (!input.includes('node_modules/') && !input.startsWith('stand-in:')) sources.add(input);
    }
  }
  const inputs = {};
  for (const file of [...sources].sort()) {
    const stat = fs.statSync(path.join(ROOT, file));
    inputs[file] = [stat.mtimeMs > started - SUSPECT_MS ? -1 : stat.mtimeMs, stat.size];
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const outputs = [];
  for (const file of [
    ...cli.outputFiles,
    ...client.outputFiles,
    ...s3.outputFiles,
    ...worker.outputFiles,
    ...usage.outputFiles,
    ...doctor.outputFiles,
    ...verify.outputFiles,
  ]) {
    writeAtomic(file.path, file.contents);
    outputs.push(path.relative(OUT_DIR, file.path));
  }
  writeAtomic(MANIFEST, `${JSON.stringify({ version: BUILD_VERSION, outputs, inputs }, null, 1)}\n`);
  return path.join(OUT_DIR, 'report.cjs');
}

/** The CLI bundle, built first when it is missing or older than a source. */
async function ensureBuilt() {
  return freshBuild() ?? (await build());
}

module.exports = { build, ensureBuilt, freshBuild, isFresh, MANIFEST, OUT_DIR, TRANSPORT_STAND_INS };

if (require.main === module) {
  // `--prepare` (npm ci): without esbuild (an install without dev dependencies) there is nothing to
  // build now, and that must not fail the install; the first `npm run report` says what is missing.
  const prepare = process.argv.includes('--prepare');
  build().then(
    (file) => process.stderr.write(`build-cli: wrote ${path.relative(ROOT, path.dirname(file))}/\n`),
    (error) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`build-cli: ${message}\n`);
      if (!(prepare && message.includes('esbuild is not installed'))) process.exitCode = 1;
    },
  );
}
