/**
 * The command line's transport for @datadog/datadog-api-client: a `fetch` over node:http and
 * node:https (their global agents: keep-alive, and on Node 24 the proxy settings that
 * NODE_USE_ENV_PROXY turns on), with what the client reads of a response and nothing more:
 * `status`, `headers.forEach`, `text()` and `arrayBuffer()`.
 *
 * Why: measured on a live 60k-event week (1000-event pages of ~950 KB at 8 in flight, bench/cli.ts),
 * undici's fetch moves each body through web streams, and the run took ~0.25 s longer and more
 * CPU than over node:http; the undici module also costs ~50 ms to load at the first request.
 *
 * As fetch does: `init.signal` aborts the request or the body with the signal's reason (a
 * TimeoutError from AbortSignal.timeout); a network error rejects with TypeError('fetch failed')
 * whose `cause` is the socket's error (ECONNREFUSED, ECONNRESET…); a gzip, deflate or br body is
 * decompressed (the client asks for gzip and deflate). Redirects are never followed, so the keys
 * in a request's headers go to its URL's host only: with `redirect: 'error'` a 3xx rejects as
 * fetch's does (TypeError('fetch failed') caused by 'unexpected redirect'); otherwise (what the
 * client asks for, `'manual'`, and even `'follow'`) the 3xx is the answer, which client.ts refuses
 * naming the redirect (the Datadog API does not redirect).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Transport, TransportResponse } from './client';

type Decoder = (input: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;

/** `Content-Encoding` values we undo; any other is passed through as it came, as fetch does. */
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: inflate,
  br: brotliDecompress,
};

/** The request headers as plain pairs: a record (what the client passes), pairs, or a Headers. */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers) if (name !== undefined && value !== undefined) out[name] = value;
  } else if (typeof (headers as Headers).forEach === 'function') {
    (headers as Headers).forEach((value, name) => {
      out[name] = value;
    });
  } else {
    Object.assign(out, headers);
  }
  return out;
}

function bodyBytes(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('http-transport: a request body must be a string or bytes');
}

/** An ArrayBuffer holding exactly `bytes`: the Buffer's own when it has one to itself, else a copy. */
function exactArrayBuffer(bytes: Buffer): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
    ? buffer
    : buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** The response of `res`: its body is read at once (so the socket frees), decoded, and kept until asked for. */
function responseOf(res: IncomingMessage, signal: AbortSignal | undefined, done: () => void): TransportResponse {
  const body = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: unknown): void => {
      done();
      reject(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: error }));
    };
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    let ended = false;
    res.on('error', fail);
    // A connection closed before the body's end (without an 'error' on every Node version).
    res.on('close', () => {
      if (!ended) fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
    res.on('end', () => {
      ended = true;
      done();
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      const coding = String(res.headers['content-encoding'] ?? '')
        .trim()
        .toLowerCase();
      const decode = DECODERS[coding];
      if (decode === undefined || raw.length === 0) {
        resolve(raw);
        return;
      }
      decode(raw, (error, decoded) =>
        error ? reject(new TypeError('terminated', { cause: error })) : resolve(decoded),
      );
    });
  });
  // Whoever asks for the body sees a failure; nobody asking must not make it an unhandled rejection.
  body.catch(() => undefined);
  const headers = res.headers;
  return {
    status: res.statusCode ?? 0,
    headers: {
      forEach(callback) {
        // Node joins repeated headers but keeps Set-Cookie's values apart; fetch's Headers gives each on its own.
        for (const [name, value] of Object.entries(headers)) {
          if (Array.isArray(value)) for (const one of value) callback(one, name);
          else if (value !== undefined) callback(value, name);
        }
      },
    },
    text: async () => (await body).toString('utf8'),
    arrayBuffer: async () => exactArrayBuffer(await body),
  };
}

/** A fetch for the Datadog client over node:http(s); see the file's header. */
export const nodeHttpTransport: Transport = (url, init = {}) =>
  new Promise<TransportResponse>((resolve, reject) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let target: URL;
    let payload: Buffer | undefined;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new TypeError(`http-transport: unsupported protocol ${target.protocol}`);
      }
      payload = bodyBytes(init.body);
    } catch (error) {
      reject(error);
      return;
    }
    const headers = headerRecord(init.headers);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['Content-Length'] = String(payload.length);
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method ?? 'GET', headers });
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (init.redirect === 'error' && status >= 300 && status <= 399) {
        done();
        res.resume();
        reject(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
        return;
      }
      resolve(responseOf(res, signal, done));
    });
    req.on('error', (error) => {
      done();
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    });
    req.end(payload);
  });
