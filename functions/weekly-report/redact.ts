/**
 * The one redaction point. Every secret value the process reads is registered here when it is
 * read (adapters/secrets.ts: each field of the credentials secret, before it is checked; the
 * command line: DD_API_KEY and DD_APP_KEY), and everything that leaves the process is masked
 * here: each log line (handler.ts wraps the logger), the invocation's final error
 * (run/invocation.ts), the handler's result, and the command line's stdout and stderr
 * (cli/masked-output.ts).
 *
 * Masking is by value, not by field name, so a secret copied into any message is caught: any run
 * of at least MIN_RUN characters of a secret (in any of the forms it is written in: as it is,
 * JSON-escaped, URL-encoded) becomes `[redacted]`. A run rather than the whole value, because a
 * message may quote a secret cut short (`slice(0, 120)`) or split at a line break it holds.
 * Values shorter than MIN_SECRET are not registered: masking them would garble ordinary text,
 * and the credential checks refuse them anyway. The registry lives for the process (a Lambda
 * execution environment, a command-line run): a secret read once stays masked.
 *
 * A leaf: it imports nothing, so any part of the code may use it without a circle.
 */

/** What a masked run of text becomes. */
export const REDACTED = '[redacted]';

/**
 * Any run of this many characters of a secret is masked wherever it appears. Twelve hex digits
 * of a Datadog key turn up by chance once in 2^48 places; a shorter run would start masking ids.
 */
const MIN_RUN = 12;
/** Values shorter than this are not registered (see the file's header). */
const MIN_SECRET = 8;
/** How deep redactValue walks an object before it gives up on the rest (log extras are shallow). */
const MAX_DEPTH = 32;

/** Every MIN_RUN-character substring of every registered form. */
const runs = new Set<string>();
/** Registered forms (or pieces) shorter than MIN_RUN: matched whole. */
const shortForms = new Set<string>();
/** The UTF-16 code units that occur in some run: a window holding any other cannot match, and is skipped. */
const inRuns = new Uint8Array(65_536);

/** The ways a value is written out: as it is, JSON-escaped (a log line), URL-encoded; and its pieces between control characters. */
function formsOf(value: string): string[] {
  const forms = new Set([value, value.trim(), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  // A secret holding a line break may be printed one piece per line.
  for (const piece of value.split(/[\p{Cc}\s]+/u)) forms.add(piece);
  return [...forms];
}

/**
 * Registers a secret value: from now on, any run of it of MIN_RUN characters or more (or the whole
 * value, when shorter) is masked by `redact`. Empty, missing and very short values are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET) return;
  for (const form of formsOf(value)) {
    if (form.length >= MIN_RUN) {
      for (let i = 0; i + MIN_RUN <= form.length; i++) runs.add(form.slice(i, i + MIN_RUN));
      for (let i = 0; i < form.length; i++) inRuns[form.charCodeAt(i)] = 1;
    } else if (form.length >= MIN_SECRET) {
      shortForms.add(form);
    }
  }
}

/** True once any secret is registered (until then every function here returns its input as it is). */
export function hasSecrets(): boolean {
  return runs.size > 0 || shortForms.size > 0;
}

/** Forgets every registered secret (tests only: a process otherwise keeps them for its life). */
export function forgetSecrets(): void {
  runs.clear();
  shortForms.clear();
  inRuns.fill(0);
}

/** `text` with every run of a registered secret replaced by `[redacted]`. */
export function redact(text: string): string {
  if (!hasSecrets() || text.length < MIN_SECRET) return text;
  let masked: Uint8Array | undefined;
  const mark = (from: number, to: number): void => {
    masked ??= new Uint8Array(text.length);
    masked.fill(1, from, to);
  };
  if (runs.size > 0) {
    for (let i = 0; i + MIN_RUN <= text.length; i++) {
      // The window's last unit occurs in no secret: neither does any window up to it (a skip, as Boyer-Moore's).
      if (inRuns[text.charCodeAt(i + MIN_RUN - 1)] === 0) {
        i += MIN_RUN - 1;
        continue;
      }
      if (runs.has(text.slice(i, i + MIN_RUN))) mark(i, i + MIN_RUN);
    }
  }
  for (const form of shortForms) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) mark(at, at + form.length);
  }
  if (masked === undefined) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (masked[i] === 1) {
      out += REDACTED;
      while (i < text.length && masked[i] === 1) i++;
    } else {
      const start = i;
      while (i < text.length && masked[i] !== 1) i++;
      out += text.slice(start, i);
    }
  }
  return out;
}

/**
 * A copy of `value` with every string in it masked (keys too), for what is about to leave the
 * process: a log line's fields, the handler's result. An Error becomes an Error of the same name
 * with its message, stack and cause masked. Returns `value` itself while no secret is registered.
 */
export function redactValue<T>(value: T): T {
  return hasSecrets() ? (copyMasked(value, new WeakMap(), 0) as T) : value;
}

function copyMasked(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  // Past this depth nothing is checked, so nothing is kept.
  if (depth > MAX_DEPTH) return REDACTED;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof Error) {
    const copy = new Error(redact(value.message));
    seen.set(value, copy);
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : redact(value.stack);
    if (value.cause !== undefined) copy.cause = copyMasked(value.cause, seen, depth + 1);
    for (const [key, field] of Object.entries(value)) {
      (copy as unknown as Record<string, unknown>)[redact(key)] = copyMasked(field, seen, depth + 1);
    }
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(copyMasked(item, seen, depth + 1));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, field] of Object.entries(value)) copy[redact(key)] = copyMasked(field, seen, depth + 1);
  return copy;
}

/**
 * Masks `error` in place (its message and stack, and those of its causes and of an
 * AggregateError's errors) and returns it: the error keeps its class, so whoever catches it still
 * knows what it is, while what it says (the DLQ record, the alarm's context) holds no secret.
 */
export function redactError<E extends Error>(error: E): E {
  if (hasSecrets()) maskInPlace(error, new WeakSet(), 0);
  return error;
}

function maskInPlace(error: unknown, seen: WeakSet<object>, depth: number): void {
  if (!(error instanceof Error) || seen.has(error) || depth > MAX_DEPTH) return;
  seen.add(error);
  try {
    error.message = redact(error.message);
    if (error.stack !== undefined) error.stack = redact(error.stack);
  } catch {
    // A frozen error keeps its text; the logger masks whatever of it is logged.
  }
  maskInPlace(error.cause, seen, depth + 1);
  if (error instanceof AggregateError) for (const inner of error.errors) maskInPlace(inner, seen, depth + 1);
}
