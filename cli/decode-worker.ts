/**
 * A worker thread of the command line's decode pool (cli/decode-pool.ts): parses and normalizes
 * what the main thread hands it — a block of a JSON document (cli/json-blocks.ts) or an audit
 * search response body (adapters/datadog/audit-page.ts) — and hands the records back in columns, their
 * buffers transferred. It keeps no state between jobs: the main thread keeps the order, the
 * paging, the de-duplication and the aggregates. Built to dist/cli/decode-worker.cjs.
 */
import { parentPort } from 'node:worker_threads';
import { decodeSearchPage, type PageOutcome } from '../functions/weekly-report/adapters/datadog/audit-page';
import { batchBuffers } from '../functions/weekly-report/core/record-batch';
import { type BlockKind, type BlockOutcome, decodeBlock } from './json-blocks';

/** One job: `kind` names a JSON document block's kind, or `page` a search response. */
export interface DecodeJob {
  readonly id: number;
  readonly kind: BlockKind | 'page';
  readonly bytes: Uint8Array;
}

/** The answer to job `id`: its outcome, or the message of an error decoding threw (a bug). */
export type DecodeAnswer =
  | { readonly id: number; readonly outcome: unknown }
  | { readonly id: number; readonly failure: string };

/** What a job of `kind` decodes to: the pool runs this too, on its own thread, when a worker stops. */
export function decodeJob(kind: BlockKind | 'page', bytes: Uint8Array): BlockOutcome | PageOutcome {
  return kind === 'page' ? decodeSearchPage(bytes) : decodeBlock(bytes, kind);
}

function answer(job: DecodeJob): { message: DecodeAnswer; transfer: ArrayBuffer[] } {
  try {
    const outcome = decodeJob(job.kind, job.bytes);
    const records = !outcome.ok ? undefined : 'page' in outcome ? outcome.page.records : outcome.block.records;
    return { message: { id: job.id, outcome }, transfer: records ? batchBuffers(records) : [] };
  } catch (error) {
    return { message: { id: job.id, failure: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}

// In the pool's own thread (which imports decodeJob) there is no parent port, and nothing listens.
const port = parentPort;
if (port) {
  port.on('message', (job: DecodeJob) => {
    const { message, transfer } = answer(job);
    port.postMessage(message, transfer);
  });
}
