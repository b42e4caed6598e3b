/**
 * Parses a large JSON document one element at a time: the items of a top-level array, or of the
 * `data` array of a top-level object (a Datadog search response). `JSON.parse` of a 100 MB
 * response builds one tree of 200k events that stays alive until the last one was counted, and
 * the collector then has to trace all of it; parsing each event on its own keeps only one small
 * tree alive at a time. A linear scan (each character looked at once) finds where each value
 * ends; every value is then parsed by `JSON.parse`, so nothing is accepted that it would refuse.
 * Any other shape, or a document whose structure the scan cannot follow, returns `undefined`,
 * and the caller parses the whole document the usual way (which then also words the error).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The index just past the string whose opening quote is at `i`, or -1 when it does not end.
 * Jumps from quote to quote with the native `indexOf` (strings are most of a document's text);
 * a quote after an odd run of backslashes is escaped.
 */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let b = q - 1;
    while (b > i && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * The index just past the JSON value that starts at `i` (no leading space), or -1 when its
 * brackets or strings do not close. Scalars end at the next delimiter; their validity is left to
 * JSON.parse, which every value goes through.
 */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j) - 1;
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
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/**
 * Hands each item of the array whose `[` is at `open` to `onItem`, parsed; returns the index just
 * past its `]`, or -1 when the array's structure is broken (nothing after the break was handed on).
 */
function eachItem(text: string, open: number, onItem: (value: unknown) => void): number {
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    const end = skipValue(text, i);
    if (end < 0) return -1;
    onItem(JSON.parse(text.slice(i, end)));
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACKET) return i + 1;
    if (c !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/** What a document held, told element by element. */
export interface ElementSink {
  /** One item of a top-level array (an event, or a whole response to unfold). */
  arrayItem(value: unknown): void;
  /** One event of a top-level response's `data` array. */
  dataItem(value: unknown): void;
}

/**
 * Streams the elements of `text` into `sink` when it is a top-level array or an object with a
 * `data` array (its other members are parsed too, so the document is validated whole). Returns
 * true when it did; false, having handed nothing on, when the document has another shape and
 * must be parsed whole. Throws what JSON.parse throws for an element that is not JSON (the
 * command then fails, so elements handed on before it do not matter).
 */
export function streamElements(text: string, sink: ElementSink): boolean {
  const start = skipSpace(text, 0);
  const first = text.charCodeAt(start);
  let end: number;
  if (first === OPEN_BRACKET) {
    end = eachItem(text, start, (v) => sink.arrayItem(v));
  } else if (first === OPEN_BRACE) {
    const data = dataMember(text, start, (v) => sink.dataItem(v));
    if (data === undefined) return false;
    end = data;
  } else {
    return false;
  }
  if (end < 0) throw new SyntaxError('the document is not well-formed JSON');
  if (skipSpace(text, end) !== text.length) throw new SyntaxError('unexpected text after the JSON document');
  return true;
}

/**
 * Hands on each item of the `data` array of the object at `open`, and parses (and drops) every
 * other member; returns the index just past the object, -1 when its structure breaks after
 * `data` was found, or undefined (having handed nothing on) when it has no `data` array, or
 * breaks before it. A second `data` member is refused: JSON.parse would keep the last one, and
 * the first was already handed on.
 */
function dataMember(text: string, open: number, onItem: (value: unknown) => void): number | undefined {
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return undefined;
  let found = false;
  const broken = (): number | undefined => (found ? -1 : undefined);
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return broken();
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return broken();
    const key: unknown = JSON.parse(text.slice(i, keyEnd));
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return broken();
    i = skipSpace(text, i + 1);
    let valueEnd: number;
    if (key === 'data' && text.charCodeAt(i) === OPEN_BRACKET) {
      if (found) throw new SyntaxError('the response has two "data" members');
      found = true;
      valueEnd = eachItem(text, i, onItem);
    } else if (key === 'data') {
      return broken(); // data that is not an array: not a response, one event (or a refusal) as a whole
    } else {
      valueEnd = skipValue(text, i);
      if (valueEnd >= 0) JSON.parse(text.slice(i, valueEnd));
    }
    if (valueEnd < 0) return broken();
    i = skipSpace(text, valueEnd);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) return found ? i + 1 : undefined;
    if (c !== COMMA) return broken();
    i = skipSpace(text, i + 1);
  }
}
