/**
 * `npm run bench`: every performance figure of the project, each part measured side by side in
 * one run on this machine, then one table of the headline figures with their targets (the
 * README's performance table is this table). Parts: core (summarize vs the bare parse and the seed's
 * jq, two event shapes, through npm and without), cli (start-up, freshness check, live summarize
 * from the shell), source (sliced vs sequential Datadog paging), archive (a fifth weekly run with
 * and without the report archive: requests and time), render (precompiled template vs
 * MJML), bundle (handler size, cold load, memory), reports (peak memory of 1, 200 and 400 team
 * reports of one org). `npm run bench -- core cli` runs some parts.
 */
import { cpus, totalmem } from 'node:os';
import { run as archive } from './archive';
import { run as bundle } from './bundle';
import { run as cli } from './cli';
import { run as core } from './core';
import type { Row } from './measure';
import { run as render } from './render';
import { run as reports } from './reports';
import { run as source } from './source';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`machine: ${machine}\n`);
  const parts: Array<[string, () => Promise<Row[]>]> = [
    ['core', core],
    ['cli', cli],
    ['source', source],
    ['archive', archive],
    ['render', render],
    ['bundle', bundle],
    ['reports', reports],
  ];
  const rows: Row[] = [];
  for (const [name, part] of parts) {
    if (only.length > 0 && !only.includes(name)) continue;
    rows.push(...(await part()));
    console.log('');
  }
  const cell = (text: string) => text.replaceAll('|', '\\|');
  console.log(`Summary (${machine}, ${new Date().toISOString().slice(0, 10)}):\n`);
  console.log('| what | measured | target |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${cell(r.what)} | ${cell(r.measured)} | ${r.target} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
