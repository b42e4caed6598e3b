/**
 * Builds the `report` command line into dist/cli/ with esbuild, so `npm run report` runs compiled
 * JavaScript instead of compiling TypeScript on every run (tsx took ~0.5 s before any work).
 * `npm ci` runs it (the `prepare` script); scripts/report.cjs runs it again whenever a source
 * is newer than the build, so an edited source is never run stale.
 *
 * Plain CommonJS on purpose: it runs before anything is compiled, and its freshness check runs on
 * every `npm run report`, so it loads nothing but `node:fs` and `node:path` (esbuild only to build).
 *
 * Six bundles, built as the Lambda bundle is (esbuild, target node20, CommonJS):
 * - dist/cli/report.cjs: the CLI, the core and the renderer. Loaded on every run.
 * - dist/cli/datadog-client.cjs: functions/weekly-report/adapters/datadog/api-client.ts, the one
 *   module that imports @datadog/datadog-api-client, with the client bundled in. Loaded only by
 *   the live path (no --input). The client's v2 ObjectSerializer requires all ~6,200 v2 model
 *   files to serialize one request type (3-4 s to load from node_modules on our 2-core machine,
 *   ~1.5 s bundled): here it keeps only the models the Audit, Metrics and Teams APIs name and the
 *   models they reference, and the bundle loads in ~50-150 ms. The rest of the serializer is the
 *   client's own code, unchanged; test/integration/cli-build.test.ts checks that it sends the audit
 *   search, the metric query and the Teams API's requests exactly as the full client does. Its
 *   cross-fetch and pako are small stand-ins (TRANSPORT_STAND_INS says why).
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
 * dist/cli/manifest.json lists every source file of the bundles with its mtime and size.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist', 'cli');
const MANIFEST = path.join(OUT_DIR, 'manifest.json');
const CLI_ENTRY = 'cli/report.ts';
const CLIENT_ENTRY = 'functions/weekly-report/adapters/datadog/api-client.ts';
const S3_ENTRY = 'functions/weekly-report/adapters/s3-blob-store.ts';
const WORKER_ENTRY = 'cli/decode-worker.ts';
const USAGE_ENTRY = 'cli/usage.ts';
const DOCTOR_ENTRY = 'cli/doctor.ts';
/** Bump when the build itself changes in a way the inputs do not show. */
const BUILD_VERSION = 7;
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

/**
 * The v2 APIs the function uses, and one model each must still serialize or deserialize (a check
 * that the client's layout is what this build expects): the audit search, the MCP usage metric
 * query, and the team memberships of team-scoped reports. Every operation of an API keeps its
 * models: the Teams API's 35 operations add ~290 KB to the bundle, though two are used.
 */
const USED_APIS = {
  AuditApi: 'AuditLogsSearchEventsRequest',
  MetricsApi: 'ScalarFormulaQueryRequest',
  TeamsApi: 'UserTeamsResponse',
};

/** Models named in the used APIs' (de)serialize calls, and every model, enum or oneOf they reference, transitively. */
function usedModels(modelsDir, serializerSource) {
  const modelNames = new Set([...serializerSource.matchAll(/^ {4}(\w+): \1_1\.\1,$/gm)].map((m) => m[1]));
  const oneOfs = new Map();
  const oneOfBlock = /const oneOfMap = \{([\s\S]*?)\n\};/.exec(serializerSource);
  if (!oneOfBlock)
    throw new Error('datadog-api-client: ObjectSerializer has no oneOfMap; update scripts/build-cli.cjs');
  for (const m of oneOfBlock[1].matchAll(/^ {4}(\w+): \[([^\]]*)\]/gm)) {
    oneOfs.set(
      m[1],
      [...m[2].matchAll(/"(\w+)"/g)].map((n) => n[1]),
    );
  }
  const keep = new Set();
  const visit = (name) => {
    if (keep.has(name)) return;
    if (oneOfs.has(name)) {
      for (const member of oneOfs.get(name)) visit(member);
      return;
    }
    if (!modelNames.has(name)) return; // a primitive, an enum or a type the serializer handles itself
    keep.add(name);
    const model = fs.readFileSync(path.join(modelsDir, `${name}.js`), 'utf8');
    for (const t of model.matchAll(/type: "([^"]+)"/g)) {
      for (const word of t[1].matchAll(/[A-Za-z_]\w*/g)) visit(word[0]);
    }
  };
  for (const [api, required] of Object.entries(USED_APIS)) {
    const source = fs.readFileSync(path.join(modelsDir, '..', 'apis', `${api}.js`), 'utf8');
    const roots = [...source.matchAll(/ObjectSerializer\.(?:de)?serialize\([^;]*?"(\w+)"/g)].map((m) => m[1]);
    if (!roots.includes(required)) {
      throw new Error(`datadog-api-client: ${api} no longer serializes ${required}; update scripts/build-cli.cjs`);
    }
    for (const root of roots) visit(root);
  }
  return keep;
}

/** The client's v2 ObjectSerializer with only `keep` among its model requires and typeMap entries. */
function slimSerializer(source, keep) {
  let dropped = 0;
  const models = new Set([...source.matchAll(/^const (\w+)_1 = require\("\.\/(\w+)"\);$/gm)].map((m) => m[1]));
  const lines = source.split('\n').filter((line) => {
    const required = /^const (\w+)_1 = require\("\.\/(\w+)"\);$/.exec(line);
    const mapped = /^ {4}(\w+): \1_1\.\1,$/.exec(line);
    const name = required?.[1] ?? mapped?.[1];
    if (name === undefined || keep.has(name)) return true;
    dropped++;
    return false;
  });
  const slim = lines.join('\n');
  // Every model the remaining code names must still be required, or the bundle would fail at run time.
  for (const m of slim.matchAll(/\b(\w+)_1\.\1\b/g)) {
    if (models.has(m[1]) && !keep.has(m[1]))
      throw new Error(`datadog-api-client: ObjectSerializer still uses ${m[1]}; update scripts/build-cli.cjs`);
  }
  if (dropped < 1000)
    throw new Error('datadog-api-client: ObjectSerializer has an unexpected shape; update scripts/build-cli.cjs');
  return slim;
}

/** esbuild plugin: the v2 ObjectSerializer, slimmed to the models of the APIs we use. */
const usedSerializerOnly = {
  name: 'datadog-used-serializer',
  setup(build) {
    build.onLoad({ filter: /datadog-api-client-v2[\\/]models[\\/]ObjectSerializer\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const keep = usedModels(path.dirname(args.path), source);
      return { contents: slimSerializer(source, keep), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * The client's two transport helpers, replaced in the CLI's client bundle: together ~510 KB of its
 * ~1.4 MB and ~30 ms of every live start. Both are reached from one file of the client
 * (datadog-api-client-common/http/isomorphic-fetch.js):
 * - cross-fetch (node-fetch, whatwg-url, tr46): the fetch used when none is configured, and
 *   adapters/datadog/client.ts always configures one. The stand-in is the global fetch.
 * - pako: compresses request bodies sent with `Content-Encoding: gzip` or `deflate`, which no
 *   audit, metrics or teams request is. The stand-in does it with node:zlib, into a Uint8Array of
 *   its own (the client sends `result.buffer`, so the buffer must hold exactly the result).
 */
const TRANSPORT_STAND_INS = {
  'cross-fetch': 'module.exports = { fetch: (...args) => globalThis.fetch(...args) };',
  pako: [
    "const zlib = require('node:zlib');",
    'const own = (bytes) => new Uint8Array(bytes);',
    'module.exports = { gzip: (data) => own(zlib.gzipSync(data)), deflate: (data) => own(zlib.deflateSync(data)) };',
  ].join('\n'),
};

/** esbuild plugin: TRANSPORT_STAND_INS instead of the packages. */
const transportStandIns = {
  name: 'datadog-transport-stand-ins',
  setup(build) {
    build.onResolve({ filter: /^(cross-fetch|pako)$/ }, (args) => ({ path: args.path, namespace: 'stand-in' }));
    build.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => ({
      contents: TRANSPORT_STAND_INS[args.path],
      loader: 'js',
    }));
  },
};

/** esbuild plugin: the Datadog client comes from its own slim bundle, next to the one that needs it. */
const datadogClientBeside = {
  name: 'datadog-client-beside',
  setup(build) {
    build.onResolve({ filter: /[\\/]api-client$/ }, (args) =>
      args.path.startsWith('.') ? { path: './datadog-client.cjs', external: true } : undefined,
    );
  },
};

/** esbuild plugin: the CLI loads the Datadog client, the S3 store and doctor from their own bundles, next to it. */
const bundlesBesideCli = {
  name: 'bundles-beside-cli',
  setup(build) {
    datadogClientBeside.setup(build);
    build.onResolve({ filter: /[\\/]s3-blob-store$/ }, (args) =>
      args.path.startsWith('.') ? { path: './s3-store.cjs', external: true } : undefined,
    );
    build.onResolve({ filter: /^\.[\\/]doctor$/ }, () => ({ path: './doctor.cjs', external: true }));
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
  const [cli, client, s3, worker, usage, doctor] = await Promise.all([
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
      plugins: [usedSerializerOnly, transportStandIns],
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
  ]);
  const sources = new Set([__filename, path.join(ROOT, CLIENT_PACKAGE_JSON)].map((f) => path.relative(ROOT, f)));
  for (const result of [cli, client, s3, worker, usage, doctor]) {
    for (const input of Object.keys(result.metafile.inputs)) {
      // Packages change only through npm, which runs this build again (`prepare`); their package.json stands for them.
      // The transport stand-ins are written here, in this file, which is an input already.
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
