/**
 * What the HTTP adapters that carry credentials (the Datadog client, adapters/datadog/client.ts;
 * the Slack client, adapters/slack-post.ts) share so that a key goes to its API and nowhere else,
 * and no message quotes it:
 * - `redirectOf`: whether an answer is a redirect, and where to in words the report may show
 *   (another origin or the same; never the Location itself, which is the redirecting party's
 *   text). Both clients ask fetch for `redirect: 'manual'` and fail on a 3xx, naming it.
 * - `transportFailure`: a transport's error without its message. undici's `Headers.append:
 *   "<value>" is an invalid header value` quotes the whole header, key included; what is kept is
 *   `fetch failed` and the error's code (ECONNREFUSED, UND_ERR_SOCKET…), which is what the
 *   retries and the report show.
 * A leaf: it imports nothing.
 */

/** What of an HTTP answer is read here: the global fetch's Response is one. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: { forEach(callback: (value: string, name: string) => void): void };
}

/**
 * When `answer` (to a request to `url`) is a redirect (any 3xx), where it pointed, in words:
 * `to another origin`, `within the same origin`, `without a Location`; else undefined.
 */
export function redirectOf(answer: HttpAnswer, url: string): string | undefined {
  if (answer.status < 300 || answer.status > 399) return undefined;
  let location: string | undefined;
  answer.headers.forEach((value, name) => {
    if (name.toLowerCase() === 'location') location = value;
  });
  if (location === undefined) return 'without a Location';
  try {
    return new URL(location, url).origin === new URL(url).origin ? 'within the same origin' : 'to another origin';
  } catch {
    return 'to a Location that is not a URL';
  }
}

/**
 * `error`, thrown by a transport, as an error that says nothing the request held: a timeout or
 * an abort as it is (its message is the platform's own), anything else as `fetch failed` (or
 * `terminated`: a body cut short) whose cause carries only the original's code.
 */
export function transportFailure(error: unknown): Error {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return error as Error;
  const code =
    typeof e?.cause?.code === 'string'
      ? e.cause.code
      : typeof e?.code === 'string'
        ? e.code
        : typeof e?.message === 'string' && /header/i.test(e.message)
          ? 'ERR_INVALID_HEADER_VALUE'
          : 'ERR_REQUEST_FAILED';
  const cause = Object.assign(new Error(`the request failed (${code})`), { code });
  return new TypeError(e?.message === 'terminated' ? 'terminated' : 'fetch failed', { cause });
}
