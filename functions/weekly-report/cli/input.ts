/**
 * Reads audit events from a file or stdin, whatever shape they come in, detected from the
 * content: a Datadog search response `{"data":[…]}` (what `pup audit-logs search -o json`
 * prints), a JSON array of events or of responses, or NDJSON (one event or response per line).
 * Files and stdin go through the same code, in one pass over the text: detection looks at each
 * character at most once (a 100 MB response on one line costs what reading it costs), and NDJSON is
 * streamed line by line, so memory stays flat however many events there are.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { streamElements } from './json-elements';

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

function isResponse(value: unknown): value is { data: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data);
}

/** An audit event has `attributes`; a malformed one may lack anything inside them, but not that. */
function isAuditEventShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const attributes = (value as { attributes?: unknown }).attributes;
  return typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes);
}

/** Hands events on and counts them, so an audit export can be told from any other JSON. */
class EventSink {
  events = 0;
  auditEvents = 0;
  unparsableLines = 0;

  constructor(private readonly onEvent: (raw: unknown) => void) {}

  event(raw: unknown): void {
    this.events++;
    if (isAuditEventShaped(raw)) this.auditEvents++;
    this.onEvent(raw);
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

/** The offset of the first character that is not JSON whitespace (space, tab, line feed, carriage return). */
function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
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

/**
 * Reads every chunk of `chunks` once. The first non-blank line decides the format: NDJSON when
 * it is a whole JSON object on its own line, else one JSON document. Detection stops at the
 * first newline after the first non-blank byte, or at once when that byte is not `{`.
 */
async function readChunks(chunks: AsyncIterator<string>, name: string, sink: EventSink): Promise<ReadResult> {
  const head: string[] = [];
  let headLength = 0;
  let first = -1; // offset of the first non-blank character in the head
  let lineEnd = -1; // offset of the newline that ends the first non-blank line
  let done = false;
  for (;;) {
    const next = await chunks.next();
    if (next.done) {
      done = true;
      break;
    }
    const text = next.value;
    head.push(text);
    const start = headLength;
    headLength += text.length;
    let from = 0;
    if (first < 0) {
      from = firstNonSpace(text);
      if (from < 0) continue;
      first = start + from;
      if (text[from] !== '{') break; // an array (or not JSON): one document either way
    }
    const end = text.indexOf('\n', from);
    if (end >= 0) {
      lineEnd = start + end;
      break;
    }
  }
  if (first < 0) throw new InputError(`${name} is empty: expected ${EXPECTED}`);

  if (lineEnd >= 0) {
    const headText = head.join('');
    let value: unknown;
    let isLine = true;
    try {
      value = JSON.parse(headText.slice(first, lineEnd));
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
      lines.push(headText.slice(lineEnd + 1));
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) lines.push(next.value);
      lines.end();
      return sink.result('ndjson');
    }
    head.length = 0;
    head.push(headText);
  }

  if (!done) for (let next = await chunks.next(); !next.done; next = await chunks.next()) head.push(next.value);
  const text = head.join('');
  head.length = 0;
  // One event at a time where the shape allows (json-elements.ts): one small tree alive at a time.
  let streamed: boolean;
  try {
    streamed = streamElements(text, {
      arrayItem: (value) => (isResponse(value) ? sink.document(value) : sink.event(value)),
      dataItem: (value) => sink.event(value),
    });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw notJson(name, error);
  }
  if (!streamed) sink.document(parseDocument(text, name));
  return sink.result('json');
}

/**
 * The chunks of `stream` as text, each decoded once (a character split between two chunks is
 * kept whole); file-system errors become one-line InputErrors naming `path`.
 */
function textChunks(stream: AsyncIterable<Buffer | string>, path: string): AsyncIterator<string> {
  const iterator = stream[Symbol.asyncIterator]();
  const decoder = new StringDecoder('utf8');
  let ended = false;
  return {
    async next(): Promise<IteratorResult<string>> {
      if (ended) return { done: true, value: undefined };
      let next: IteratorResult<Buffer | string>;
      try {
        next = await iterator.next();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== undefined) throw describeFsError(path, error);
        throw error;
      }
      if (next.done) {
        ended = true;
        const rest = decoder.end();
        return rest === '' ? { done: true, value: undefined } : { done: false, value: rest };
      }
      return { done: false, value: typeof next.value === 'string' ? next.value : decoder.write(next.value) };
    },
  };
}

/**
 * Reads `path` (or stdin when `path` is `-`) and hands every event to `onEvent`. Malformed events
 * inside an audit export are handed on and counted; an input in which no value looks like an
 * audit event (`package.json`, an array of numbers) is refused rather than reported as calls.
 * An empty response or array is not refused: it holds no events at all.
 * @throws InputError when the input cannot be read, is empty, is not JSON, or holds no audit event
 */
export async function readEvents(
  path: string,
  onEvent: (raw: unknown) => void,
  stdin: Readable = process.stdin,
): Promise<ReadResult> {
  const name = path === '-' ? 'stdin' : path;
  const stream = path === '-' ? stdin : createReadStream(path);
  const result = await readChunks(textChunks(stream, path), name, new EventSink(onEvent));
  if (result.events > 0 && result.auditEvents === 0) {
    const found = `found ${result.events} value${result.events === 1 ? '' : 's'}, none with "attributes"`;
    throw new InputError(
      `${name} holds no audit events: expected ${EXPECTED}, each event an object with "attributes" (${found})`,
    );
  }
  return result;
}
