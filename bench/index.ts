/**
 * `npm run bench`: every performance figure of the project, each part measured side by side in one
 * run on this machine. Parts: core (summarize vs jq vs JSON.parse, RSS), source (sliced vs
 * sequential Datadog paging), render (precompiled template vs MJML), bundle (handler size, cold load).
 */
import { cpus, totalmem } from 'node:os';
import { run as bundle } from './bundle';
import { run as core } from './core';
import { run as render } from './render';
import { run as source } from './source';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`,
  );
  const parts: Array<[string, () => Promise<void>]> = [
    ['core', core],
    ['source', source],
    ['render', render],
    ['bundle', bundle],
  ];
  for (const [name, part] of parts) {
    if (only.length > 0 && !only.includes(name)) continue;
    await part();
    console.log('');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
