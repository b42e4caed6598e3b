/**
 * Reads audit events from a file or stdin, whatever shape they come in, detected from the
 * content: a Datadog search response `{"data":[…]}` (what `pup audit-logs search -o json`
 * prints), a JSON array of events or of responses, or NDJSON (one event or response per line).
 * NDJSON is streamed, so memory stays flat however many events there are.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

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
  /** NDJSON lines that were not JSON: each was handed to `onEvent` as a malformed event. */
  readonly unparsableLines: number;
}

function isResponse(value: unknown): value is { data: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data);
}

/** Hands every event of a parsed JSON value (response, array of events/responses, or one event) to `onEvent`. */
function emitValue(value: unknown, onEvent: (raw: unknown) => void): number {
  if (isResponse(value)) {
    for (const e of value.data) onEvent(e);
    return value.data.length;
  }
  if (Array.isArray(value)) {
    let count = 0;
    for (const item of value) {
      if (isResponse(item)) {
        count += emitValue(item, onEvent);
      } else {
        onEvent(item);
        count++;
      }
    }
    return count;
  }
  onEvent(value);
  return 1;
}

/** NDJSON when the first non-blank line is a whole JSON value on its own and is an object. */
function looksLikeNdjson(head: string): boolean {
  const start = head.search(/\S/);
  if (start < 0 || head[start] !== '{') return false;
  const end = head.indexOf('\n', start);
  if (end < 0) return false; // One line only: a single document either way.
  try {
    JSON.parse(head.slice(start, end));
    return true;
  } catch {
    return false;
  }
}

async function readHead(path: string, bytes = 1 << 20): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
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

function parseDocument(text: string, name: string): unknown {
  if (text.trim() === '')
    throw new InputError(`${name} is empty: expected a Datadog search response, a JSON array or NDJSON`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name} is not JSON, a JSON array or NDJSON (${(error as Error).message.split('\n')[0]})`, {
      cause: error,
    });
  }
}

/** Streams NDJSON lines from `stream`, starting with the already-read `head`. */
async function streamLines(
  stream: AsyncIterable<Buffer | string>,
  head: string,
  onEvent: (raw: unknown) => void,
): Promise<ReadResult> {
  const decoder = new StringDecoder('utf8');
  let pending = head;
  let events = 0;
  let unparsableLines = 0;
  const flush = (final: boolean): void => {
    let start = 0;
    for (;;) {
      const end = pending.indexOf('\n', start);
      if (end < 0) break;
      handle(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
    if (final && pending.trim() !== '') {
      handle(pending);
      pending = '';
    }
  };
  const handle = (line: string): void => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // An unreadable line is still an event we were given: count it as malformed rather than lose it.
      unparsableLines++;
      onEvent(line);
      events++;
      return;
    }
    // A line is one event or one response page; an array on a line is one (malformed) event.
    if (isResponse(value)) {
      events += emitValue(value, onEvent);
    } else {
      onEvent(value);
      events++;
    }
  };
  flush(false);
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    flush(false);
  }
  pending += decoder.end();
  flush(true);
  return { format: 'ndjson', events, unparsableLines };
}

/** Reads `path` (or stdin when `path` is `-`) and hands every event to `onEvent`. */
export async function readEvents(
  path: string,
  onEvent: (raw: unknown) => void,
  stdin: Readable = process.stdin,
): Promise<ReadResult> {
  if (path === '-') {
    const iterator = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    const decoder = new StringDecoder('utf8');
    let head = '';
    // Read until the first line is complete (or the input ends) to tell NDJSON from one document.
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        head += decoder.end();
        break;
      }
      head += typeof next.value === 'string' ? next.value : decoder.write(next.value);
      if (/\S[^\n]*\n/.test(head)) break;
    }
    const rest: AsyncIterable<Buffer | string> = { [Symbol.asyncIterator]: () => iterator };
    if (looksLikeNdjson(head)) return streamLines(rest, head, onEvent);
    const parts = [head];
    for await (const chunk of rest) parts.push(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    parts.push(decoder.end());
    return { format: 'json', events: emitValue(parseDocument(parts.join(''), 'stdin'), onEvent), unparsableLines: 0 };
  }

  let head: string;
  try {
    head = await readHead(path);
  } catch (error) {
    throw describeFsError(path, error);
  }
  if (looksLikeNdjson(head)) return streamLines(createReadStream(path), '', onEvent);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw describeFsError(path, error);
  }
  return { format: 'json', events: emitValue(parseDocument(text, path), onEvent), unparsableLines: 0 };
}
