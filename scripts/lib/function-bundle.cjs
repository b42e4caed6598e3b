/**
 * Builds the Lambda function's bundle (index.js and index.js.map) with esbuild and the slim
 * Datadog client's plugins (./slim-datadog-client.cjs), the same the command line's client bundle
 * uses. The stack's local bundling (infra/report-function.ts) runs it as a child process,
 * `node scripts/lib/function-bundle.cjs <entry> <output dir>`: CDK's local bundling is
 * synchronous and esbuild runs plugins only through its asynchronous API. bench/bundle.ts and the
 * built-bundle test call buildFunction() directly, so what they measure and run is what deploys.
 *
 * Plain CommonJS: a child process runs it with no TypeScript loader.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { SLIM_CLIENT_PLUGINS } = require('./slim-datadog-client.cjs');

const ROOT = path.join(__dirname, '..', '..');
/** The handler the stack deploys. */
const HANDLER_ENTRY = path.join(ROOT, 'functions/weekly-report/handler.ts');
/** The bundle's file name; the function's handler is `index.handler`. */
const BUNDLE_FILE = 'index.js';

/**
 * esbuild settings of the deployed bundle; bench/bundle.ts measures the choices side by side:
 * - `target: 'node20'`: the same code runs on the local Node 20 and on the nodejs24.x runtime.
 * - the AWS SDK v3 clients are bundled on purpose (CDK's NodejsFunction leaves `@aws-sdk/*`
 *   external): we run the versions we pinned and tested, not whatever the runtime ships.
 * - `external: ['typescript']` only: a guard. mjml, if it is ever imported at run time, reaches it
 *   through a code path we never take; the templates are compiled at build time, so neither is in
 *   the bundle.
 * - `minify`: about half the size and a faster `require`.
 * - `sourcemap` (a separate file, without `sourcesContent`) with NODE_OPTIONS=--enable-source-maps
 *   on the function: stack traces in the logs point at our TypeScript, for ~150 ms and ~20 MiB of a
 *   weekly cold start.
 * - the slim Datadog client (SLIM_CLIENT_PLUGINS).
 * - the AWS SDK clients from their ES module builds (AWS_CLIENT_ES_MODULES): each package says it
 *   has no side effects, so esbuild keeps only the commands we send (KMS: GenerateMac and VerifyMac,
 *   0.03 MiB instead of 0.06 MiB from its CommonJS build, which holds every operation; over the six
 *   clients the bundle went from 1,603,148 to 1,462,828 bytes).
 */
const FUNCTION_BUILD_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: ['typescript'],
  logLevel: 'warning',
});

/**
 * esbuild plugin: each `@aws-sdk/client-*` resolves to its ES module entry (`module` in its
 * package.json), which esbuild can tree-shake; what it imports resolves as everything else does,
 * so the @smithy and @aws-sdk/core modules the clients share are not bundled twice.
 */
const AWS_CLIENT_ES_MODULES = {
  name: 'aws-client-es-modules',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/client-[a-z0-9-]+$/ }, (args) => {
      const pkg = require.resolve(`${args.path}/package.json`, { paths: [args.resolveDir] });
      return { path: path.join(path.dirname(pkg), require(pkg).module) };
    });
  },
};

/** esbuild, or an error that says how to get it (a devDependency, as for the command line). */
function loadEsbuild() {
  try {
    return require('esbuild');
  } catch (error) {
    if (error?.code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error('cannot bundle the report function: esbuild is not installed (run npm ci, with dev dependencies)');
  }
}

/**
 * Bundles `entry` into `outdir/index.js` (and its source map). `overrides` are esbuild options for
 * the benchmark's variants; `slimClient: false` leaves the Datadog client whole, as it was bundled
 * before the slim client (the benchmark's "before").
 * @returns esbuild's result, with its metafile
 */
async function buildFunction({ entry = HANDLER_ENTRY, outdir, slimClient = true, overrides = {} }) {
  const esbuild = loadEsbuild();
  return esbuild.build({
    ...FUNCTION_BUILD_OPTIONS,
    ...overrides,
    entryPoints: [entry],
    outfile: path.join(outdir, BUNDLE_FILE),
    absWorkingDir: ROOT,
    metafile: true,
    plugins: slimClient ? [...SLIM_CLIENT_PLUGINS, AWS_CLIENT_ES_MODULES] : [AWS_CLIENT_ES_MODULES],
  });
}

module.exports = { BUNDLE_FILE, FUNCTION_BUILD_OPTIONS, HANDLER_ENTRY, buildFunction };

if (require.main === module) {
  const [entry, outdir] = process.argv.slice(2);
  if (entry === undefined || outdir === undefined) {
    process.stderr.write('usage: node scripts/lib/function-bundle.cjs <entry> <output dir>\n');
    process.exitCode = 2;
  } else {
    fs.mkdirSync(outdir, { recursive: true });
    buildFunction({ entry: path.resolve(entry), outdir: path.resolve(outdir) }).then(
      () => undefined,
      (error) => {
        // esbuild has printed its own errors (logLevel warning); this names the step that failed.
        process.stderr.write(`function-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
  }
}
