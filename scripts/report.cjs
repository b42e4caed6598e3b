/**
 * `npm run report`: runs the compiled command line (dist/cli/report.cjs, built by
 * scripts/build-cli.cjs), building it first when a source is newer than the build, so a fresh
 * clone's first run works and an edited source is never run stale. The check costs one small
 * read and a stat per source file; nothing else is loaded before the CLI itself, and for
 * `report --help` nothing but the usage text.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { ensureBuilt } = require('./build-cli.cjs');

const args = process.argv.slice(2);
/** `report --help` (or -h, help) prints the usage from its own small bundle: the CLI takes ~40 ms to load. */
const helpOnly = args.length === 1 && ['--help', '-h', 'help'].includes(args[0]);

/**
 * Writes `text` to stdout with a plain write(2): setting up process.stdout costs ~5-10 ms, more
 * than the rest of `report --help`. A full non-blocking pipe (EAGAIN) takes the rest through
 * process.stdout; a reader that went away (EPIPE, `| head`) ends it quietly.
 */
function writeOut(text) {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += fs.writeSync(1, bytes, written);
  } catch (error) {
    if (error?.code === 'EAGAIN') process.stdout.write(bytes.subarray(written));
    else if (error?.code !== 'EPIPE') throw error;
  }
}

ensureBuilt()
  .then((file) => {
    if (!helpOnly) return require(file).main(args);
    writeOut(`${require(path.join(path.dirname(file), 'usage.cjs')).USAGE}\n`);
    return 0;
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
