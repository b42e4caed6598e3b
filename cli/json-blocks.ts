/**
 * A large JSON document in blocks: the items of its top-level array, or of the `data` array of a
 * top-level object (a Datadog search response), cut into runs of whole items of about a given
 * size, found by a linear scan of the UTF-8 bytes (each byte looked at once). Each block is then parsed with one `JSON.parse` of
 * `[` + its text + `]` and its events normalized into a RecordBatch (`decodeBlock`), on this
 * thread or in a worker (cli/decode-pool.ts), so nothing is accepted that JSON.parse would refuse,
 * only one block's tree is alive at a time per thread, and the blocks of one file are parsed on
 * every core. Any other shape, or a document whose structure the scan cannot follow before its
 * `data` array, hands no block on, and the caller parses the whole document the usual way (which
 * then also words the error). Pure.
 */
import { EventRecord } from '../functions/weekly-report/core/normalize';
import { type RecordBatch, RecordBatchBuilder } from '../functions/weekly-report/core/record-batch';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** `array`: items of a top-level array (an event, or a whole response to unfold); `data`: events of a response's `data`. */
export type BlockKind = 'array' | 'data';

/** Bytes `[start, end)` of a document: whole items and the separators between them. */
export interface Block {
  readonly kind: BlockKind;
  readonly start: number;
  readonly end: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipSpace(bytes: Buffer, i: number): number {
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  return i;
}

/**
 * The index just past the string whose opening quote is at `i`, or -1 when it does not end. A
 * byte loop: a backslash escapes the byte after it (`\u` escapes are ASCII after their first
 * byte). Faster here than Buffer#indexOf, whose call costs more than a short string's bytes.
 */
function skipString(bytes: Buffer, i: number): number {
  const n = bytes.length;
  for (let j = i + 1; j < n; j++) {
    const c = bytes[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  return -1;
}

/**
 * The index just past the JSON value that starts at `i` (no leading space), or -1 when its
 * brackets or strings do not close. Scalars end at the next delimiter; their validity is left to
 * JSON.parse, which every value goes through. UTF-8 continuation bytes are ≥ 0x80, so no byte of
 * a multi-byte character is taken for a delimiter.
 */
function skipValue(bytes: Buffer, i: number): number {
  const c = bytes[i];
  if (c === QUOTE) return skipString(bytes, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < bytes.length; j++) {
      const d = bytes[j];
      if (d === QUOTE) {
        j = skipString(bytes, j) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) {
        depth++;
      } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < bytes.length) {
    const d = bytes[j] as number;
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/** The value of bytes `[start, end)`, parsed (a key, or a member other than `data`). */
function parseSlice(bytes: Buffer, start: number, end: number): unknown {
  return JSON.parse(bytes.toString('utf8', start, end));
}

/**
 * Yields the items of the array whose `[` is at `open` in blocks of about `size` bytes; returns
 * the index just past its `]`. Throws SyntaxError when its structure breaks.
 */
function* itemBlocks(bytes: Buffer, open: number, kind: BlockKind, size: number): Generator<Block, number> {
  let i = skipSpace(bytes, open + 1);
  if (bytes[i] === CLOSE_BRACKET) return i + 1;
  let start = i;
  for (;;) {
    const end = skipValue(bytes, i);
    if (end < 0) throw new SyntaxError('the document is not well-formed JSON');
    i = skipSpace(bytes, end);
    const c = bytes[i];
    if (c === CLOSE_BRACKET) {
      yield { kind, start, end };
      return i + 1;
    }
    if (c !== COMMA) throw new SyntaxError('the document is not well-formed JSON');
    i = skipSpace(bytes, i + 1);
    if (end - start >= size) {
      yield { kind, start, end };
      start = i;
    }
  }
}

/**
 * The blocks of `bytes` when it is a top-level array or an object with a `data` array (its other
 * members are parsed too, so the document is validated whole). Returns true when it was such a
 * document; false, having yielded nothing, when it has another shape and must be parsed whole.
 * Throws SyntaxError when the structure breaks after the first block was yielded, or when text
 * follows the document; a response with two `data` members is refused (JSON.parse would keep the
 * last one, and the first was already handed on).
 */
export function* documentBlocks(bytes: Buffer, size: number): Generator<Block, boolean> {
  const start = skipSpace(bytes, 0);
  const first = bytes[start];
  let end: number;
  if (first === OPEN_BRACKET) {
    end = yield* itemBlocks(bytes, start, 'array', size);
  } else if (first === OPEN_BRACE) {
    const data = yield* dataMember(bytes, start, size);
    if (data === undefined) return false;
    end = data;
  } else {
    return false;
  }
  if (skipSpace(bytes, end) !== bytes.length) throw new SyntaxError('unexpected text after the JSON document');
  return true;
}

/**
 * Yields the blocks of the `data` array of the object at `open`, and parses (and drops) every
 * other member; returns the index just past the object, or undefined (having yielded nothing)
 * when it has no `data` array, or breaks before it.
 */
function* dataMember(bytes: Buffer, open: number, size: number): Generator<Block, number | undefined> {
  let i = skipSpace(bytes, open + 1);
  if (bytes[i] === CLOSE_BRACE) return undefined;
  let found = false;
  const broken = (): undefined => {
    if (found) throw new SyntaxError('the document is not well-formed JSON');
    return undefined;
  };
  for (;;) {
    if (bytes[i] !== QUOTE) return broken();
    const keyEnd = skipString(bytes, i);
    if (keyEnd < 0) return broken();
    let key: unknown;
    try {
      key = parseSlice(bytes, i, keyEnd);
    } catch {
      return broken();
    }
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON) return broken();
    i = skipSpace(bytes, i + 1);
    let valueEnd: number;
    if (key === 'data' && bytes[i] === OPEN_BRACKET) {
      if (found) throw new SyntaxError('the response has two "data" members');
      found = true;
      valueEnd = yield* itemBlocks(bytes, i, 'data', size);
    } else if (key === 'data') {
      return broken(); // data that is not an array: not a response, one event (or a refusal) as a whole
    } else {
      valueEnd = skipValue(bytes, i);
      if (valueEnd < 0) return broken();
      try {
        parseSlice(bytes, i, valueEnd);
      } catch (error) {
        if (found) throw error;
        return undefined;
      }
    }
    i = skipSpace(bytes, valueEnd);
    const c = bytes[i];
    if (c === CLOSE_BRACE) return found ? i + 1 : undefined;
    if (c !== COMMA) return broken();
    i = skipSpace(bytes, i + 1);
  }
}

/** A block's events, normalized, and how many of them look like audit events. */
export interface DecodedBlock {
  readonly records: RecordBatch;
  /** Values taken as events (a response's events, not the response). */
  readonly events: number;
  /** Of those, the ones shaped like an audit event: an object with an `attributes` object. */
  readonly auditEvents: number;
}

/** A decoded block, or JSON.parse's complaint about it (its first line). */
export type BlockOutcome =
  | { readonly ok: true; readonly block: DecodedBlock }
  | { readonly ok: false; readonly error: string };

/** Decodes one block's bytes; the command line's is `decodeBlock` on its own thread, or a worker pool. */
export type BlockDecoder = (bytes: Uint8Array, kind: BlockKind) => Promise<BlockOutcome>;

export function isResponse(value: unknown): value is { data: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data);
}

/** An audit event has `attributes`; a malformed one may lack anything inside them, but not that. */
export function isAuditEventShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const attributes = (value as { attributes?: unknown }).attributes;
  return typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes);
}

/** Counts and normalizes events into a batch. */
export class EventBatcher {
  events = 0;
  auditEvents = 0;
  private readonly record = new EventRecord();
  private readonly builder: RecordBatchBuilder;

  constructor(expected?: number) {
    this.builder = new RecordBatchBuilder(expected);
  }

  event(raw: unknown): void {
    this.events++;
    if (isAuditEventShaped(raw)) this.auditEvents++;
    this.builder.add(this.record.read(raw), Number.NaN, false);
  }

  finish(): DecodedBlock {
    return { records: this.builder.finish(), events: this.events, auditEvents: this.auditEvents };
  }
}

/** Parses a block (its items as `kind` says) and normalizes its events. */
export function decodeBlock(bytes: Uint8Array, kind: BlockKind): BlockOutcome {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let items: unknown[];
  try {
    items = JSON.parse(`[${text}]`) as unknown[];
  } catch (error) {
    return { ok: false, error: (error as Error).message.split('\n')[0] ?? 'not JSON' };
  }
  const batcher = new EventBatcher(items.length);
  for (const item of items) {
    if (kind === 'array' && isResponse(item)) {
      for (const e of item.data) batcher.event(e);
    } else {
      batcher.event(item);
    }
  }
  return { ok: true, block: batcher.finish() };
}

/** Decodes on the calling thread. */
export const decodeBlockInProcess: BlockDecoder = (bytes, kind) => Promise.resolve(decodeBlock(bytes, kind));
