/**
 * `npm run report`: runs the compiled command line (dist/cli/report.cjs, built by
 * scripts/build-cli.cjs), building it first when a source is newer than the build, so a fresh
 * clone's first run works and an edited source is never run stale. The check costs one small
 * read and a stat per source file; nothing else is loaded before the CLI itself.
 */
'use strict';

const { ensureBuilt } = require('./build-cli.cjs');

ensureBuilt()
  .then((file) => require(file).main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
