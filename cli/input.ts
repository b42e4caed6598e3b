/**
 * Reads audit events from a file or stdin, whatever shape they come in, detected from the
 * content: a Datadog search response `{"data":[…]}` (what `pup audit-logs search -o json`
 * prints), a JSON array of events or of responses, or NDJSON (one event or response per line).
 * Files and stdin go through the same code, in one pass over the bytes: detection looks at each
 * byte at most once (a 100 MB response on one line costs what reading it costs); NDJSON is
 * streamed line by line, so memory stays flat however many events there are; a JSON document is
 * cut into blocks of whole events (cli/json-blocks.ts) that are parsed and normalized by a
 * BlockDecoder: on this thread, or on every core through the worker pool (cli/decode-pool.ts).
 * Events reach the caller normalized, in input order, whichever decodes them.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { EventRecord } from '../functions/weekly-report/core/normalize';
import { RecordBatchReader } from '../functions/weekly-report/core/record-batch';
import type { CallRecord } from '../functions/weekly-report/core/types';
import {
  type Block,
  type BlockDecoder,
  type DecodedBlock,
  decodeBlockInProcess,
  documentBlocks,
  isAuditEventShaped,
  isResponse,
} from './json-blocks';

export class InputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InputError';
  }
}

export type InputFormat = 'json' | 'ndjson';

export interface ReadResult {
  readonly format: InputFormat;
  /** Values handed to `onEvent` (events, not responses). */
  readonly events: number;
  /** Of those, the ones shaped like an audit event: an object with an `attributes` object. */
  readonly auditEvents: number;
  /** NDJSON lines that were not JSON: each was handed to `onEvent` as a malformed event. */
  readonly unparsableLines: number;
}

/** What an input should be, as the refusals say. */
const EXPECTED = 'a Datadog audit search response {"data":[…]}, a JSON array of events or NDJSON';

/** Hands events on and counts them, so an audit export can be told from any other JSON. */
class EventSink {
  events = 0;
  auditEvents = 0;
  unparsableLines = 0;
  private readonly record = new EventRecord();

  constructor(private readonly onRecord: (record: CallRecord) => void) {}

  event(raw: unknown): void {
    this.events++;
    if (isAuditEventShaped(raw)) this.auditEvents++;
    this.onRecord(this.record.read(raw));
  }

  /** The events of a decoded block, in order. */
  block(block: DecodedBlock): void {
    this.events += block.events;
    this.auditEvents += block.auditEvents;
    const records = new RecordBatchReader(block.records);
    for (let i = 0; i < records.length; i++) this.onRecord(records.at(i));
  }

  /** Every event of a parsed document: a response, an array of events/responses, or one event. */
  document(value: unknown): void {
    if (isResponse(value)) {
      for (const e of value.data) this.event(e);
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (isResponse(item)) this.document(item);
        else this.event(item);
      }
    } else {
      this.event(value);
    }
  }

  /** One NDJSON line: an event or a response page; an array on a line is one (malformed) event. */
  line(value: unknown): void {
    if (isResponse(value)) this.document(value);
    else this.event(value);
  }

  result(format: InputFormat): ReadResult {
    return { format, events: this.events, auditEvents: this.auditEvents, unparsableLines: this.unparsableLines };
  }
}

/** The offset of the first byte that is not JSON whitespace (space, tab, line feed, carriage return), or -1. */
function firstNonSpace(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
  }
  return -1;
}

/** Splits text into lines; each character is searched once, however long a line grows. */
class LineSplitter {
  private pending: string[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      const piece = text.slice(start, end);
      if (this.pending.length === 0) {
        this.onLine(piece);
      } else {
        this.pending.push(piece);
        this.onLine(this.pending.join(''));
        this.pending = [];
      }
      start = end + 1;
    }
    if (start < text.length) this.pending.push(start === 0 ? text : text.slice(start));
  }

  end(): void {
    if (this.pending.length > 0) this.onLine(this.pending.join(''));
    this.pending = [];
  }
}

function notJson(name: string, error: unknown): InputError {
  return new InputError(`${name} is not JSON, a JSON array or NDJSON (${(error as Error).message.split('\n')[0]})`, {
    cause: error,
  });
}

function parseDocument(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw notJson(name, error);
  }
}

function describeFsError(path: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : String(error);
  return new InputError(`cannot read ${path}: ${why}`, { cause: error });
}

/** How a JSON document's blocks are decoded. */
export interface DocumentDecoding {
  /** @default on this thread */
  readonly decode?: BlockDecoder;
  /** Blocks being decoded at once (a pool: a few per worker, so none waits). @default 1 */
  readonly inFlight?: number;
  /** Bytes per block, about. @default 1 MiB */
  readonly blockBytes?: number;
  /** A smaller document is decoded on this thread, where handing it over would cost more than it saves. @default 0 */
  readonly minBytes?: number;
  /** Keep a document that `decode` takes in shared memory, which a pool's workers read in place (no copy per block). */
  readonly shared?: boolean;
}

/** The chunks (`total` bytes) as one buffer; in shared memory when asked. */
function joinChunks(chunks: readonly Buffer[], total: number, shared: boolean): Buffer {
  if (!shared) return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  const whole = Buffer.from(new SharedArrayBuffer(total));
  let at = 0;
  for (const c of chunks) {
    c.copy(whole, at);
    at += c.length;
  }
  return whole;
}

const DEFAULT_BLOCK_BYTES = 1 << 20;

/**
 * Hands on the events of one JSON document: block by block when it is an array or a response
 * (decoded `inFlight` at a time, taken in order), else parsed whole.
 */
async function readDocument(bytes: Buffer, name: string, sink: EventSink, decoding: DocumentDecoding): Promise<void> {
  const here = decoding.decode === undefined || bytes.length < (decoding.minBytes ?? 0);
  const decode = here ? decodeBlockInProcess : (decoding.decode as BlockDecoder);
  const inFlight = here ? 1 : Math.max(1, decoding.inFlight ?? 1);
  const blocks = documentBlocks(bytes, decoding.blockBytes ?? DEFAULT_BLOCK_BYTES);
  const pending: Array<Promise<Awaited<ReturnType<BlockDecoder>>>> = [];
  const take = async (): Promise<void> => {
    const outcome = await (pending.shift() as (typeof pending)[number]);
    if (!outcome.ok) throw notJson(name, new SyntaxError(outcome.error));
    sink.block(outcome.block);
  };
  let streamed = false;
  try {
    for (;;) {
      let next: IteratorResult<Block, boolean>;
      try {
        next = blocks.next();
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw notJson(name, error);
      }
      if (next.done) {
        streamed = next.value;
        break;
      }
      pending.push(decode(bytes.subarray(next.value.start, next.value.end), next.value.kind));
      if (pending.length >= inFlight) await take();
    }
    while (pending.length > 0) await take();
  } finally {
    // After a failure, what is still being decoded is dropped; its outcome must not surface as unhandled.
    for (const p of pending) p.catch(() => undefined);
  }
  if (!streamed) sink.document(parseDocument(bytes.toString('utf8'), name));
}

/**
 * Reads every chunk of `chunks` once. The first non-blank line decides the format: NDJSON when
 * it is a whole JSON object on its own line, else one JSON document. Detection stops at the
 * first newline after the first non-blank byte, or at once when that byte is not `{`.
 */
async function readChunks(
  chunks: AsyncIterator<Buffer>,
  name: string,
  sink: EventSink,
  decoding: DocumentDecoding,
): Promise<ReadResult> {
  const head: Buffer[] = [];
  let headLength = 0;
  let first = -1; // offset of the first non-blank byte in the head
  let lineEnd = -1; // offset of the newline that ends the first non-blank line
  let done = false;
  for (;;) {
    const next = await chunks.next();
    if (next.done) {
      done = true;
      break;
    }
    const bytes = next.value;
    head.push(bytes);
    const start = headLength;
    headLength += bytes.length;
    let from = 0;
    if (first < 0) {
      from = firstNonSpace(bytes);
      if (from < 0) continue;
      first = start + from;
      if (bytes[from] !== 0x7b) break; // not `{`: an array (or not JSON), one document either way
    }
    const end = bytes.indexOf(0x0a, from);
    if (end >= 0) {
      lineEnd = start + end;
      break;
    }
  }
  if (first < 0) throw new InputError(`${name} is empty: expected ${EXPECTED}`);

  if (lineEnd >= 0) {
    const headBytes = head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head);
    head.length = 0;
    head.push(headBytes);
    let value: unknown;
    let isLine = true;
    try {
      // `{` and the newline are ASCII: the slice between them is whole characters.
      value = JSON.parse(headBytes.toString('utf8', first, lineEnd));
    } catch {
      isLine = false; // e.g. the `{` of a pretty-printed response
    }
    if (isLine) {
      sink.line(value);
      const lines = new LineSplitter((line) => {
        if (line.trim() === '') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          // An unreadable line is still an event we were given: count it as malformed rather than lose it.
          sink.unparsableLines++;
          sink.event(line);
          return;
        }
        sink.line(parsed);
      });
      const decoder = new StringDecoder('utf8');
      lines.push(decoder.write(headBytes.subarray(lineEnd + 1)));
      for (let next = await chunks.next(); !next.done; next = await chunks.next())
        lines.push(decoder.write(next.value));
      lines.push(decoder.end());
      lines.end();
      return sink.result('ndjson');
    }
  }

  if (!done) for (let next = await chunks.next(); !next.done; next = await chunks.next()) head.push(next.value);
  let total = 0;
  for (const c of head) total += c.length;
  const bytes = joinChunks(
    head,
    total,
    decoding.shared === true && decoding.decode !== undefined && total >= (decoding.minBytes ?? 0),
  );
  head.length = 0;
  await readDocument(bytes, name, sink, decoding);
  return sink.result('json');
}

/** The chunks of `stream` as bytes; file-system errors become one-line InputErrors naming `path`. */
function byteChunks(stream: AsyncIterable<Buffer | string>, path: string): AsyncIterator<Buffer> {
  const iterator = stream[Symbol.asyncIterator]();
  return {
    async next(): Promise<IteratorResult<Buffer>> {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await iterator.next();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== undefined) throw describeFsError(path, error);
        throw error;
      }
      if (next.done) return { done: true, value: undefined };
      return { done: false, value: typeof next.value === 'string' ? Buffer.from(next.value) : next.value };
    },
  };
}

/** Reads files in large chunks: a JSON document is kept whole, and fewer chunks are fewer copies. */
const FILE_CHUNK_BYTES = 1 << 20;

/**
 * Reads `path` (or stdin when `path` is `-`) and hands every event, normalized, to `onRecord`
 * (the record is reused for the next event: copy what is kept). Malformed events inside an audit
 * export are handed on and counted; an input in which no value looks like an audit event
 * (`package.json`, an array of numbers) is refused rather than reported as calls. An empty
 * response or array is not refused: it holds no events at all.
 * @throws InputError when the input cannot be read, is empty, is not JSON, or holds no audit event
 */
export async function readEvents(
  path: string,
  onRecord: (record: CallRecord) => void,
  options: { readonly stdin?: Readable; readonly decoding?: DocumentDecoding } = {},
): Promise<ReadResult> {
  const name = path === '-' ? 'stdin' : path;
  const stream =
    path === '-' ? (options.stdin ?? process.stdin) : createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  const result = await readChunks(byteChunks(stream, path), name, new EventSink(onRecord), options.decoding ?? {});
  if (result.events > 0 && result.auditEvents === 0) {
    const found = `found ${result.events} value${result.events === 1 ? '' : 's'}, none with "attributes"`;
    throw new InputError(
      `${name} holds no audit events: expected ${EXPECTED}, each event an object with "attributes" (${found})`,
    );
  }
  return result;
}
