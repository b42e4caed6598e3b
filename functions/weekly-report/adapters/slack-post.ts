/**
 * SlackSender over an injected WebClient (`chat.postMessage`). The client must be built with
 * `rejectRateLimitedCalls: true` (see createSlackWebClient) so that this adapter, which knows the
 * invocation's deadline, decides about a 429: wait `Retry-After` when it ends before the
 * deadline, else fail. Platform errors fail with a message naming the fix; the token never
 * appears in a message (it lives only in the client's Authorization header).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ErrorCode,
  LogLevel,
  type Logger as SlackLogger,
  WebClient as SlackWebClient,
  type WebClient,
} from '@slack/web-api';
import { signalUntil } from '../deadline';
import { SlackDeliveryError } from '../errors';
import type { CallOptions, Logger, SlackMessage, SlackSender } from '../ports';
import { redirectOf, transportFailure } from './http-guard';

/** More than this many consecutive 429s means Slack is not going to let us through this invocation. */
const MAX_RATE_LIMIT_WAITS = 5;
/** One HTTP request to Slack never takes longer than this, nor past the deadline of the post it belongs to. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The deadline of the post being made, read by the client's fetch (createSlackWebClient): the
 * client's own `timeout` is fixed at construction, while each invocation has its own deadline.
 */
const postDeadline = new AsyncLocalStorage<number>();

/** Where the client's log lines go instead of the console (which would break a JSON log stream). */
type SlackClientLog = Pick<Logger, 'warn' | 'error'>;

/** The client's logger interface over ours: warnings and errors only, as structured lines. */
function clientLogger(log: SlackClientLog | undefined): SlackLogger {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]): string =>
    msg
      .map((m) => (m instanceof Error ? `${m.name}: ${m.message}` : typeof m === 'string' ? m : ''))
      .join(' ')
      .slice(0, 300);
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => log?.warn('slack_client_log', { message: text(msg) }),
    error: (...msg: unknown[]) => log?.error('slack_client_log', { message: text(msg) }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export interface SlackPostOptions {
  readonly client: WebClient;
  /** For tests: how to wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'warn'>;
}

/**
 * The WebClient as this adapter needs it. Only transport failures and 5xx responses are retried
 * by the client, twice and quickly: Slack's default policy retries for ~30 minutes, far beyond a
 * Lambda's time. 429s are rejected so `post` can weigh Retry-After against the deadline.
 */
export function createSlackWebClient(
  token: string,
  options: { readonly slackApiUrl?: string; readonly log?: SlackClientLog; readonly fetch?: typeof fetch } = {},
): WebClient {
  const transport = options.fetch ?? globalThis.fetch;
  return new SlackWebClient(token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 1000, randomize: true },
    // Each request ends by the post's deadline or after 15 s (the client's own `timeout` stays off).
    fetch: (url, init) => {
      const bound = signalUntil(postDeadline.getStore(), REQUEST_TIMEOUT_MS);
      const signal = init?.signal ? AbortSignal.any([init.signal, bound]) : bound;
      return sendToSlackOnly(transport, String(url), { ...init, signal } as RequestInit);
    },
    logger: clientLogger(options.log),
  });
}

/**
 * One request of the client, the token going to the Slack API URL and nowhere else: no redirect
 * is followed (the client asks fetch for `redirect: 'error'` already; `'manual'` here fails a 3xx
 * naming it, whatever a later client version asks), and a transport's error is passed on without
 * its message (adapters/http-guard.ts: undici's invalid-header message quotes the token).
 */
async function sendToSlackOnly(transport: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await transport(url, { ...init, redirect: 'manual' });
  } catch (error) {
    throw init.signal?.aborted && error === init.signal.reason ? error : transportFailure(error);
  }
  const redirect = redirectOf(response, url);
  if (redirect === undefined) return response;
  await response.body?.cancel().catch(() => undefined);
  throw new Error(
    `Slack answered with a redirect (HTTP ${response.status}, ${redirect}), which is never followed: the token is sent to ${new URL(url).host} only; check SLACK_API_URL`,
  );
}

export function createSlackSender(options: SlackPostOptions): SlackSender {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  return {
    async post(message: SlackMessage, fetchOptions?: CallOptions) {
      const deadline = fetchOptions?.deadline ?? Number.POSITIVE_INFINITY;
      for (let waits = 0; ; waits++) {
        try {
          if (now() >= deadline) {
            throw new SlackDeliveryError("Slack chat.postMessage was not sent: the invocation's deadline passed", {
              code: 'deadline',
            });
          }
          const result = await postDeadline.run(deadline, () =>
            options.client.chat.postMessage({
              channel: message.channel,
              text: message.text,
              // The renderer builds Block Kit within Slack's limits.
              blocks: [...message.blocks],
              unfurl_links: false,
              unfurl_media: false,
            }),
          );
          return { ts: result.ts ?? '' };
        } catch (error) {
          if (error instanceof SlackDeliveryError) throw error;
          const retryAfter = rateLimitRetryAfter(error);
          if (retryAfter === undefined) throw toSlackError(error, message.channel);
          const waitMs = retryAfter * 1000;
          if (waits >= MAX_RATE_LIMIT_WAITS || now() + waitMs > deadline) {
            throw new SlackDeliveryError(
              `Slack rate-limited chat.postMessage (Retry-After ${retryAfter}s) ${
                waits >= MAX_RATE_LIMIT_WAITS
                  ? `${waits + 1} times in a row`
                  : 'beyond the time left in this invocation'
              }; the next attempt will post it`,
              { cause: error, code: 'ratelimited' },
            );
          }
          options.logger?.warn('slack_rate_limited', { retryAfterSeconds: retryAfter, attempt: waits + 1 });
          await sleep(waitMs);
        }
      }
    },
  };
}

function rateLimitRetryAfter(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; retryAfter?: unknown };
  return e.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
}

/** Turns a @slack/web-api error into one that says what to fix. */
function toSlackError(error: unknown, channel: string): SlackDeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    original?: { message?: unknown };
  };
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') {
    const code = e.data.error;
    return new SlackDeliveryError(`Slack chat.postMessage failed: ${code} — ${fixFor(code, channel)}`, {
      cause: error,
      code,
    });
  }
  if (e.code === ErrorCode.HTTPError) {
    return new SlackDeliveryError(`Slack answered HTTP ${String(e.statusCode)} to chat.postMessage (after retries)`, {
      cause: error,
      code: `http_${String(e.statusCode)}`,
    });
  }
  if (e.code === ErrorCode.RequestError) {
    return new SlackDeliveryError(
      `Could not reach Slack for chat.postMessage: ${String(e.original?.message ?? 'request failed')}`,
      { cause: error, code: 'request_error' },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(`Slack chat.postMessage failed: ${message}`, { cause: error });
}

function fixFor(code: string, channel: string): string {
  switch (code) {
    case 'not_in_channel':
      return `the bot is not a member of ${channel}: invite it (/invite @<app name>) in that channel`;
    case 'channel_not_found':
      return `check that SLACK_CHANNEL (${channel}) is a channel ID the bot can see; private channels need the bot invited`;
    case 'is_archived':
      return `channel ${channel} is archived: unarchive it or set another SLACK_CHANNEL`;
    case 'invalid_auth':
    case 'not_authed':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
      return 'the bot token was refused: check slackBotToken in the credentials secret';
    case 'missing_scope':
      return 'the bot token lacks the chat:write scope: add it to the Slack app and reinstall';
    case 'invalid_blocks':
    case 'invalid_blocks_format':
    case 'msg_too_long':
      return 'Slack refused the message layout (a renderer bug): see the cause';
    default:
      return 'see https://api.slack.com/methods/chat.postMessage#errors';
  }
}
