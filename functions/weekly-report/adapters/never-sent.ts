/**
 * Whether a failed HTTP request certainly never reached the service: it failed while connecting
 * (refused, no route, DNS) or while checking the server's certificate, before one byte of the
 * request was written. Only such a request may be retried, or counted as "not sent", by a sender
 * that must send at most once; any other failure after the request left (a dropped connection, a
 * timeout, a 5xx) may have taken effect, and its outcome is unknown.
 */

/** Error codes (Node's net, dns and tls, undici's connect) raised before a request is written. */
const BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  // A header fetch refuses to build (a token holding a line break): the request was never made.
  'ERR_INVALID_HEADER_VALUE',
  'ERR_INVALID_CHAR',
]);

/** True when `error` (or what it wraps: `cause`, Slack's `original`) failed before the request was sent. */
export function neverSent(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const e = error as { code?: unknown; cause?: unknown; original?: unknown };
  if (typeof e.code === 'string' && BEFORE_SENDING.has(e.code)) return true;
  return neverSent(e.cause, depth + 1) || neverSent(e.original, depth + 1);
}
