/**
 * The small vocabulary the archive's readers are written in: a check takes an unknown value (parsed
 * JSON) and returns it typed, or throws Invalid naming where and what is wrong, in the words a
 * warning uses ("anomalies is not a list", "total_tool_calls is not a whole number"). A check
 * returns a fresh value of its own making, never the object it was given: keys it does not know
 * are dropped, so nothing unchecked reaches a report. Hand-written, no schema library: the
 * function's bundle stays small and the messages stay ours.
 */

/** What is wrong at one place in a document: `at` is the path ("anomalies[3].severity"), `problem` the rest. */
export class Invalid extends Error {
  constructor(
    readonly at: string,
    readonly problem: string,
  ) {
    super(at === '' ? problem.replace(/^is /, '') : `${at} ${problem}`);
    this.name = 'Invalid';
  }
}

/** Why an archived object cannot be used: its file name and the first problem ("summary.json: anomalies is not a list"). */
export class ArchiveObjectError extends Error {
  constructor(
    readonly object: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${object}: ${problem}`, options);
    this.name = 'ArchiveObjectError';
  }
}

/** Checks a value found at `at` and returns it typed (a copy of it), or throws Invalid. */
export type Check<T> = (value: unknown, at: string) => T;

const where = (at: string, key: string | number): string =>
  typeof key === 'number' ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of at most `max` characters. */
export function text(max = 1 << 20): Check<string> {
  return (value, at) => {
    if (typeof value !== 'string') throw new Invalid(at, 'is not text');
    if (value.length > max) throw new Invalid(at, `is longer than ${max.toLocaleString('en-US')} characters`);
    return value;
  };
}

/** A count: a whole number, 0 or more. */
export const count: Check<number> = (value, at) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Invalid(at, 'is not a whole number');
  return value;
};

/** A finite number. */
export const finite: Check<number> = (value, at) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid(at, 'is not a number');
  return value;
};

/** A whole number, possibly negative (a change). */
export const integer: Check<number> = (value, at) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Invalid(at, 'is not a whole number');
  return value;
};

export const bool: Check<boolean> = (value, at) => {
  if (typeof value !== 'boolean') throw new Invalid(at, 'is not true or false');
  return value;
};

/** An ISO 8601 instant as the job writes them (`2026-11-23T00:00:00.000Z`). */
export const isoTime: Check<string> = (value, at) => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value))
    throw new Invalid(at, 'is not an ISO time');
  if (!Number.isFinite(Date.parse(value))) throw new Invalid(at, 'is not an ISO time');
  return value;
};

/** A calendar day, `YYYY-MM-DD`. */
export const isoDay: Check<string> = (value, at) => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !Number.isFinite(Date.parse(value)))
    throw new Invalid(at, 'is not a day (YYYY-MM-DD)');
  return value;
};

const knownZones = new Set<string>();

/** An IANA time zone this runtime knows (dates are shown in it). */
export const timeZone: Check<string> = (value, at) => {
  const zone = text(100)(value, at);
  if (knownZones.has(zone)) return zone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new Invalid(at, 'is not a time zone');
  }
  knownZones.add(zone);
  return zone;
};

/** One of `values`, exactly. */
export function oneOf<T extends string | number | boolean>(values: readonly T[]): Check<T> {
  return (value, at) => {
    const found = values.find((v) => v === value);
    if (found === undefined) throw new Invalid(at, `is not one of ${values.join(', ')}`);
    return found;
  };
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, at) => (value === null ? null : check(value, at));
}

/** A list of at most `max` items, each checked. */
export function list<T>(item: Check<T>, max = Number.POSITIVE_INFINITY): Check<T[]> {
  return (value, at) => {
    if (!Array.isArray(value)) throw new Invalid(at, 'is not a list');
    if (value.length > max) throw new Invalid(at, `has more than ${max.toLocaleString('en-US')} items`);
    return value.map((v, i) => item(v, where(at, i)));
  };
}

type Shape = Readonly<Record<string, Check<unknown>>>;
type Checked<S extends Shape> = { -readonly [K in keyof S]: S[K] extends Check<infer T> ? T : never };

/**
 * An object with the `required` keys and any of the `optional` ones, each checked; other keys are
 * dropped. An optional key that is present must pass its check (`null` only if its check allows).
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Check<Checked<R> & Partial<Checked<O>>> {
  return (value, at) => {
    if (!isPlainObject(value)) throw new Invalid(at, 'is not an object');
    for (const key of Object.keys(required)) {
      if (!Object.hasOwn(value, key)) throw new Invalid(where(at, key), 'is missing');
    }
    // In the document's own order, so a checked copy reads like what was archived.
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const check = Object.hasOwn(required, key)
        ? required[key]
        : optional && Object.hasOwn(optional, key)
          ? optional[key]
          : undefined;
      if (check !== undefined) out[key] = check(v, where(at, key));
    }
    return out as Checked<R> & Partial<Checked<O>>;
  };
}

/** An object whose keys are any text and whose values pass `item` (at most `max` keys). */
export function record<T>(item: Check<T>, max = Number.POSITIVE_INFINITY): Check<Record<string, T>> {
  return (value, at) => {
    if (!isPlainObject(value)) throw new Invalid(at, 'is not an object');
    const entries = Object.entries(value);
    if (entries.length > max) throw new Invalid(at, `has more than ${max.toLocaleString('en-US')} keys`);
    const out: Record<string, T> = {};
    for (const [key, v] of entries) out[key] = item(v, where(at, key));
    return out;
  };
}

/** Any JSON value, copied as it is: for parts that are someone else's format (Slack's blocks), checked elsewhere. */
export const json: Check<unknown> = (value) => value;

/** UTF-8 text of `bytes`, or Invalid when it is not well-formed UTF-8. */
export function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Invalid('', 'is not UTF-8 text');
  }
}

/** The JSON document in `bytes` (UTF-8), or Invalid. */
export function parseJson(bytes: Uint8Array): unknown {
  const source = utf8(bytes);
  try {
    return JSON.parse(source);
  } catch {
    throw new Invalid('', 'is not JSON');
  }
}

/** A size for messages: `41.2 MB`, `812 KB`, `97 bytes`. */
export function size(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} KB`;
  return `${bytes} bytes`;
}
