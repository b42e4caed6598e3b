/**
 * TeamsSender over a Microsoft Teams workflow webhook (Teams "Workflows" → "Post to a channel when
 * a webhook request is received"; the older Office 365 connectors are retired): one plain `fetch`
 * POST of the card message, at most once.
 * - The URL is a secret (its `sig` parameter is the workflow's only credential): it comes from the
 *   credentials secret, goes to its own host and nowhere else (`redirect: 'manual'`, a 3xx fails,
 *   adapters/http-guard.ts), and no message quotes it: errors name the channel
 *   (`teamsWebhooks.<channel>`) and, at most, the host.
 * - Retried: a 429 (waiting `Retry-After` while that ends before the deadline; the workflow did not
 *   take the request), and a request that never left (a refused connection, a failed DNS lookup;
 *   twice, quickly). Nothing else: a 5xx, a timeout or a dropped connection may come after the
 *   workflow took the post, so the error says `answerLost` and the channel's outcome is unknown
 *   (docs/delivery.md, docs/teams.md): a webhook has no way to look the post up again.
 * - Errors name the fix: a deleted or turned-off workflow (404, 410), a refused signature (401,
 *   403), a payload too large (413, or a 400 saying so), any other refusal.
 * Each request ends by the call's deadline and after REQUEST_TIMEOUT_MS at most.
 */
import { signalUntil } from '../deadline';
import { ChannelDeliveryError } from '../errors';
import type { CallOptions, Logger, TeamsMessage, TeamsSender } from '../ports';
import { redirectOf, transportFailure } from './http-guard';
import { neverSent } from './never-sent';

/** One request never takes longer than this, nor past the deadline of its call. */
const REQUEST_TIMEOUT_MS = 15_000;
/** More 429s in a row than this: the workflow will not take it in this invocation. */
const MAX_RATE_LIMIT_WAITS = 3;
/** A 429 without a usable Retry-After waits this long. */
const DEFAULT_RETRY_AFTER_S = 5;
/** Retries of a request that never left, and the first wait between them. */
const CONNECT_RETRIES = 2;
const CONNECT_BACKOFF_MS = 250;
/** How much of an error answer is read (to tell a size refusal and its code). */
const ERROR_BODY_BYTES = 4_096;

/** A Teams post failed: `code` says how (`not_found`, `too_large`, `rate_limited`, `answer_lost`, …). */
export class TeamsDeliveryError extends ChannelDeliveryError {
  readonly code: string;
  constructor(message: string, options: ErrorOptions & { code: string; answerLost?: boolean }) {
    super('teams', message, options);
    this.name = 'TeamsDeliveryError';
    this.code = options.code;
  }
}

export interface TeamsWebhookOptions {
  /** The workflow's URL (from the credentials secret; checked there: https, or http to a loopback stand-in). */
  readonly url: string;
  /** The channel's name (`teamsWebhooks.<channel>`), which messages use instead of the URL. */
  readonly channel: string;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
  /** For tests: how to wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'warn'>;
}

/** A sender for a channel that cannot post (no URL in the secret, or an unusable one): each post fails naming `problem`. */
export function unusableTeamsSender(channel: string, problem: string): TeamsSender {
  return {
    channel,
    post: () => Promise.reject(new TeamsDeliveryError(`Teams channel ${channel}: ${problem}`, { code: 'no_webhook' })),
  };
}

export function createTeamsSender(options: TeamsWebhookOptions): TeamsSender {
  const transport = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const { url, channel } = options;
  const host = hostOf(url);
  const where = `the Teams workflow webhook of channel ${channel} (teamsWebhooks.${channel}, at ${host})`;
  const fixUrl = `copy the URL of the workflow's trigger ("When a Teams webhook request is received") into teamsWebhooks.${channel} of the credentials secret (docs/teams.md)`;
  const failed = (message: string, code: string, cause?: unknown): TeamsDeliveryError =>
    new TeamsDeliveryError(message, { code, ...(cause !== undefined ? { cause } : {}) });
  const lost = (why: string, code: string, cause?: unknown): TeamsDeliveryError =>
    new TeamsDeliveryError(
      `${why}: the card may have been posted, so it is not posted again blindly (a webhook cannot be asked whether it was)`,
      { code, answerLost: true, ...(cause !== undefined ? { cause } : {}) },
    );

  return {
    channel,
    async post(message: TeamsMessage, call?: CallOptions) {
      const deadline = call?.deadline ?? Number.POSITIVE_INFINITY;
      const body = JSON.stringify(message);
      let waits = 0;
      let connects = 0;
      for (;;) {
        if (now() >= deadline) {
          throw failed(`${where}: the card was not posted, the invocation's deadline passed`, 'deadline');
        }
        let response: Response;
        try {
          response = await transport(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body,
            redirect: 'manual',
            signal: signalUntil(deadline, REQUEST_TIMEOUT_MS),
          });
        } catch (error) {
          const safe = transportFailure(error);
          const code = (safe.cause as { code?: string } | undefined)?.code ?? safe.name;
          if (neverSent(error)) {
            if (connects < CONNECT_RETRIES && now() + CONNECT_BACKOFF_MS * 2 ** connects < deadline) {
              await sleep(CONNECT_BACKOFF_MS * 2 ** connects);
              connects++;
              continue;
            }
            throw failed(
              `Could not reach ${where} (${code}, after ${connects + 1} attempts): nothing was posted; the next attempt posts it`,
              'unreachable',
              safe,
            );
          }
          throw lost(`${where} did not answer (${code})`, 'answer_lost', safe);
        }

        const { status } = response;
        if (status >= 200 && status < 300) {
          await discard(response);
          return { status };
        }
        const redirect = redirectOf(response, url);
        if (redirect !== undefined) {
          await discard(response);
          throw failed(
            `${where} answered with a redirect (HTTP ${status}, ${redirect}), which is never followed: the card goes to the webhook's own host only; ${fixUrl}`,
            'redirect',
          );
        }
        if (status === 429) {
          const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), now()) ?? DEFAULT_RETRY_AFTER_S;
          await discard(response);
          const waitMs = retryAfter * 1000;
          if (waits >= MAX_RATE_LIMIT_WAITS || now() + waitMs >= deadline) {
            throw failed(
              `${where} rate-limited the post (HTTP 429, Retry-After ${retryAfter}s) ${
                waits >= MAX_RATE_LIMIT_WAITS
                  ? `${waits + 1} times in a row`
                  : 'beyond the time left in this invocation'
              }: nothing was posted; the next attempt posts it`,
              'rate_limited',
            );
          }
          options.logger?.warn('teams_rate_limited', { channel, retryAfterSeconds: retryAfter, attempt: waits + 1 });
          waits++;
          await sleep(waitMs);
          continue;
        }
        if (status >= 500) {
          await discard(response);
          throw lost(`${where} answered HTTP ${status}`, `http_${status}`);
        }
        const refusal = await errorAnswer(response);
        const code = refusal.code ? ` ${refusal.code}` : '';
        if (status === 413 || (status === 400 && refusal.tooLarge)) {
          throw failed(
            `${where} refused the card as too large (HTTP ${status}${code}): Teams takes about 28 KB and the card is ${Buffer.byteLength(body, 'utf8').toLocaleString('en-US')} bytes; nothing was posted. The card is cut to fit TEAMS_LIMITS.messageBytes (render/teams-card.ts): lower that limit`,
            'too_large',
          );
        }
        if (status === 404 || status === 410) {
          throw failed(
            `${where} was not found (HTTP ${status}${code}): the workflow was deleted or turned off, or its trigger URL changed; turn it on, or create it again (docs/teams.md), and ${fixUrl}`,
            'not_found',
          );
        }
        if (status === 401 || status === 403) {
          throw failed(
            `${where} refused the request (HTTP ${status}${code}): the URL is incomplete or its signature (sig) is no longer valid, or the workflow's owner may not run it any more; ${fixUrl}`,
            'refused',
          );
        }
        throw failed(
          `${where} refused the card (HTTP ${status}${code}); nothing was posted. Check the workflow's run history in Power Automate for what it expects`,
          `http_${status}`,
        );
      }
    },
  };
}

/** `prod-12.westeurope.logic.azure.com`: the one part of the URL messages may name. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an unparsable URL';
  }
}

/** Seconds to wait from a Retry-After header (seconds, or an HTTP date), or undefined when it says neither. */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d{1,6}$/.test(text)) return Number(text);
  // An HTTP date (IMF-fixdate, RFC 9110): Date.parse alone takes `-3` or `1.5` for years.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * What an error answer says, read no further than ERROR_BODY_BYTES: whether it is about the size,
 * and its error code (Logic Apps answers `{"error":{"code":"…","message":"…"}}`). The message
 * itself is never kept: only a code of letters, digits and `._-`.
 */
async function errorAnswer(response: Response): Promise<{ readonly code?: string; readonly tooLarge: boolean }> {
  let text = '';
  try {
    const reader = response.body?.getReader();
    if (reader) {
      const chunks: Uint8Array[] = [];
      let size = 0;
      while (size < ERROR_BODY_BYTES) {
        const { done, value } = await reader.read();
        if (done || !value) break;
        chunks.push(value);
        size += value.byteLength;
      }
      await reader.cancel().catch(() => undefined);
      text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_BYTES);
    }
  } catch {
    // An answer we cannot read says nothing more than its status.
  }
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    const raw = parsed.error?.code;
    if (typeof raw === 'string' && /^[A-Za-z0-9_.-]{1,80}$/.test(raw)) code = raw;
  } catch {
    // Not JSON: no code.
  }
  return {
    ...(code !== undefined ? { code } : {}),
    tooLarge: /too large|too big|exceed|size limit|maximum size|RequestEntityTooLarge/i.test(text),
  };
}
