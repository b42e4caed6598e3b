/**
 * What a Datadog answer means, as errors every Datadog adapter (audit search, metric query) and
 * the retry policy share: a refused key, a request Datadog calls invalid, any other non-2xx with
 * its rate-limit headers, and a 200 whose body is not what the operation returns. Messages carry
 * the HTTP status and Datadog's short error phrase at most, never a response body (a 401 body may
 * echo a credential).
 */
import type { ResponseContext } from './api-client';

/** Datadog refused the keys (401/403). The message names the fix, never the key values. */
export class DatadogAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatadogAuthError';
  }
}

/** Datadog answered in a way retrying cannot fix (e.g. 400 for a malformed request). */
export class DatadogApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatadogApiError';
  }
}

/** A non-2xx answer: its status, its headers (rate limits) and Datadog's error phrase when it is a safe one. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly code: string | undefined,
  ) {
    super(`HTTP ${status}${code ? ` (${code})` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** A 2xx answer whose body is not what the operation returns; `problem` says what is wrong, without the body. */
export class MalformedResponseError extends Error {
  constructor(
    readonly problem: string,
    readonly headers: Readonly<Record<string, string>>,
    /** What was expected, for the message. @default 'search response' */
    what = 'search response',
  ) {
    super(`Datadog sent a malformed ${what} (${problem})`);
    this.name = 'MalformedResponseError';
  }
}

/**
 * Datadog's error phrase (`{"errors": ["Forbidden"]}`) when it is a short phrase of letters;
 * anything else (digits, long text, key-like strings) may echo a request value and is dropped.
 */
export function safeErrorCode(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const first = (parsed as { errors?: unknown } | null)?.errors;
  const phrase = Array.isArray(first) ? first[0] : undefined;
  return typeof phrase === 'string' && /^[A-Za-z][A-Za-z ,.'-]{0,60}$/.test(phrase) ? phrase : undefined;
}

/**
 * The JSON body of a 2xx answer. A non-2xx throws HttpStatusError (with Datadog's error phrase
 * at most); a body that is not JSON throws MalformedResponseError naming `what` was expected.
 */
export async function readJsonBody(response: ResponseContext, what?: string): Promise<unknown> {
  const text = await response.body.text();
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw new HttpStatusError(response.httpStatusCode, response.headers, safeErrorCode(text));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedResponseError('the body is not JSON', response.headers, what);
  }
}

/**
 * The body of a 2xx answer as bytes, undecoded (adapters/datadog/audit-page.ts decodes it, perhaps on
 * another thread). A non-2xx throws HttpStatusError with Datadog's error phrase at most.
 */
export async function readBodyBytes(response: ResponseContext): Promise<Uint8Array> {
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw new HttpStatusError(response.httpStatusCode, response.headers, safeErrorCode(await response.body.text()));
  }
  return response.body.binary();
}

/** `null`, `an array`, `an object`, `a string`…: what a value is, for a MalformedResponseError's problem. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
