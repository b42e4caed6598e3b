/**
 * A worker thread of the command line's decode pool (cli/decode-pool.ts): parses and normalizes
 * what the main thread hands it — a block of a JSON document (cli/json-blocks.ts) or an audit
 * search response body (adapters/datadog-page.ts) — and hands the records back in columns, their
 * buffers transferred. It keeps no state between jobs: the main thread keeps the order, the
 * paging, the de-duplication and the aggregates. Built to dist/cli/decode-worker.cjs.
 */
import { parentPort } from 'node:worker_threads';
import { decodeSearchPage } from '../adapters/datadog-page';
import { batchBuffers } from '../core/record-batch';
import { type BlockKind, decodeBlock } from './json-blocks';

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

function answer(job: DecodeJob): { message: DecodeAnswer; transfer: ArrayBuffer[] } {
  try {
    if (job.kind === 'page') {
      const outcome = decodeSearchPage(job.bytes);
      return { message: { id: job.id, outcome }, transfer: outcome.ok ? batchBuffers(outcome.page.records) : [] };
    }
    const outcome = decodeBlock(job.bytes, job.kind);
    return { message: { id: job.id, outcome }, transfer: outcome.ok ? batchBuffers(outcome.block.records) : [] };
  } catch (error) {
    return { message: { id: job.id, failure: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (job: DecodeJob) => {
    const { message, transfer } = answer(job);
    port.postMessage(message, transfer);
  });
}
