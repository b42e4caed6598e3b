/**
 * The command line's decode pool: worker threads (cli/decode-worker.ts) that parse and normalize
 * JSON on every core while the main thread reads, pages and aggregates. Parsing is most of a
 * report's work (a 100 MB export, or 60 pages of 1 MB from Datadog); the aggregates need every
 * event in order on one thread, and take them in columns (core/record-batch.ts) at a fraction of
 * the cost. Each job's bytes are read in place when they are in shared memory (a file's JSON
 * document), else copied and the copy handed over (the caller keeps its own); it goes to the worker with
 * the fewest jobs, and comes back as the same outcome the in-process decoders give. When a worker
 * dies, the jobs it held are decoded on this thread (their bytes are still the caller's) and later
 * jobs go to the workers left, or to this thread when none is; an idle worker never keeps the
 * process alive.
 *
 * Only the built command line has a pool: the worker is dist/cli/decode-worker.cjs, beside the
 * CLI's bundle (scripts/build-cli.cjs). Run from TypeScript sources (tests, tsx), there is none
 * and everything is decoded on this thread, with the same code.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PageDecoder, PageOutcome } from '../functions/weekly-report/adapters/datadog/audit-page';
import { type DecodeAnswer, type DecodeJob, decodeJob } from './decode-worker';
import type { BlockDecoder, BlockKind, BlockOutcome } from './json-blocks';

/** Workers at most by default: past the cores there is nothing to gain, and each costs ~10 MB. */
const MAX_DEFAULT_WORKERS = 4;

export interface DecodePool {
  /** Workers in the pool. */
  readonly size: number;
  readonly decodeBlock: BlockDecoder;
  readonly decodePage: PageDecoder;
  /** Starts the workers now (else the first job starts them), so they boot while the input is read. */
  warm(): void;
  /** Ends the workers; jobs they still held are decoded on this thread. */
  close(): Promise<void>;
}

/** Workers the pool starts when the user does not say: one per core, at most four. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism()));
}

/** The worker script beside this module when it is the built CLI (dist/cli), else undefined. */
export function builtWorkerScript(): string | undefined {
  const script = join(__dirname, 'decode-worker.cjs');
  return existsSync(script) ? script : undefined;
}

interface Pending {
  readonly resolve: (outcome: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Decodes the job on this thread instead (its worker died). */
  readonly here: () => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly jobs: Map<number, Pending>;
  dead: boolean;
}

/** A pool of `size` workers running `script` (see builtWorkerScript), started by `warm` or the first job. */
export function createDecodePool(script: string, size: number): DecodePool {
  let nextId = 0;
  const workers: PoolWorker[] = [];
  let started = false;
  let closed = false;

  function start(): void {
    if (started || closed) return;
    started = true;
    for (let i = 0; i < size; i++) workers.push(spawn());
  }

  function spawn(): PoolWorker {
    const worker = new Worker(script);
    const entry: PoolWorker = { worker, jobs: new Map(), dead: false };
    const fail = (): void => {
      if (entry.dead) return;
      entry.dead = true;
      for (const job of entry.jobs.values()) job.here();
      entry.jobs.clear();
    };
    worker.on('message', (message: DecodeAnswer) => {
      const job = entry.jobs.get(message.id);
      if (!job) return;
      entry.jobs.delete(message.id);
      if (entry.jobs.size === 0) worker.unref();
      if ('failure' in message) job.reject(new Error(`decoding failed in a worker: ${message.failure}`));
      else job.resolve(message.outcome);
    });
    worker.on('error', fail);
    worker.on('exit', fail);
    worker.unref();
    return entry;
  }

  /** Sends the job to the least busy live worker; decodes it here when none is left. */
  function submit<T extends BlockOutcome | PageOutcome>(kind: BlockKind | 'page', bytes: Uint8Array): Promise<T> {
    start();
    let best: PoolWorker | undefined;
    for (const w of workers) if (!w.dead && (best === undefined || w.jobs.size < best.jobs.size)) best = w;
    if (best === undefined) return Promise.resolve(decodeJob(kind, bytes) as T);
    const target = best;
    const id = nextId++;
    // Shared memory is read in place; other bytes are copied, and the copy handed over (the caller keeps its own).
    const shared = bytes.buffer instanceof SharedArrayBuffer;
    const payload = shared ? bytes : new Uint8Array(bytes);
    const job: DecodeJob = { id, kind, bytes: payload };
    return new Promise<T>((resolve, reject) => {
      // A worker with jobs keeps the process alive (the main thread may wait on nothing else); an idle one never does.
      if (target.jobs.size === 0) target.worker.ref();
      const here = (): void => {
        try {
          resolve(decodeJob(kind, bytes) as T);
        } catch (error) {
          reject(error as Error);
        }
      };
      target.jobs.set(id, { resolve: resolve as (outcome: unknown) => void, reject, here });
      target.worker.postMessage(job, shared ? [] : [payload.buffer as ArrayBuffer]);
    });
  }

  return {
    size,
    decodeBlock: (bytes, kind) => submit<BlockOutcome>(kind, bytes),
    decodePage: (bytes) => submit<PageOutcome>('page', bytes),
    warm: start,
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
