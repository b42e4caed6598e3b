/**
 * SlackSender over an injected WebClient: `chat.postMessage` at most once (a channel post, or a
 * reply in its thread with `thread_ts`), `conversations.history` to find a post whose answer was
 * lost, and `conversations.replies` to find such a thread reply.
 * - Never twice: the client (createSlackWebClient) retries a post only when the request cannot
 *   have reached Slack (a refused connection, a failed DNS lookup); a dropped connection, a
 *   timeout or a 5xx is not retried, since Slack may have posted, and fails with `answerLost`.
 * - 429s are rejected by the client so that this adapter, which knows the invocation's deadline,
 *   decides: wait `Retry-After` when it ends before the deadline, else fail (nothing was posted).
 * - Every post carries message metadata naming the report and its window (POST_EVENT_TYPE), so a
 *   later run can look for it (`find`, `include_all_metadata`) before posting again.
 * Platform errors fail with a message naming the fix; the token never appears in a message (it
 * lives only in the client's Authorization header).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ErrorCode,
  LogLevel,
  type RetryOptions,
  type Logger as SlackLogger,
  WebClient as SlackWebClient,
  type WebClient,
} from '@slack/web-api';
import { signalUntil } from '../deadline';
import { SlackDeliveryError } from '../errors';
import type {
  CallOptions,
  Logger,
  SlackPostOptions as PostOptions,
  SlackLookup,
  SlackMessage,
  SlackPostTag,
  SlackSender,
} from '../ports';
import { redirectOf, transportFailure } from './http-guard';
import { neverSent } from './never-sent';

/** More than this many consecutive 429s means Slack is not going to let us through this invocation. */
const MAX_RATE_LIMIT_WAITS = 5;
/** One HTTP request to Slack never takes longer than this, nor past the deadline of the call it belongs to. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Messages asked for per history page (Slack may return fewer: 15 for some apps, see docs/delivery.md). */
const HISTORY_PAGE_SIZE = 200;
/** A lookup that has read this many pages without reaching its start gives up (the outcome stays unknown). */
const MAX_HISTORY_PAGES = 50;

/** The message metadata `event_type` of every report post (Slack's `<resource>_<past-tense action>` style). */
export const POST_EVENT_TYPE = 'ai_activity_audit_report_posted';
/** The `event_type` of the report's reply in its post's thread: a lookup of the post never takes it for the post. */
export const THREAD_EVENT_TYPE = 'ai_activity_audit_report_thread_posted';

/** The `metadata` argument of a report post (or, `reply`, of its thread reply): `event_payload` names the report and its window. */
export function postMetadata(
  tag: SlackPostTag,
  reply = false,
): {
  event_type: string;
  event_payload: { report: string; window_from: string; window_to: string };
} {
  return {
    event_type: reply ? THREAD_EVENT_TYPE : POST_EVENT_TYPE,
    event_payload: { report: tag.report, window_from: tag.windowFrom, window_to: tag.windowTo },
  };
}

/**
 * The call being made, read by the client's fetch and retry policy (createSlackWebClient): its
 * deadline (the client's own `timeout` is fixed at construction, while each invocation has its
 * own deadline) and whether it may be repeated (a read) or not (a post).
 */
const currentCall = new AsyncLocalStorage<{ readonly deadline: number; readonly repeatable: boolean }>();

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
 * The WebClient as this adapter needs it. A read is retried after transport failures and 5xx
 * responses, twice and quickly (Slack's default policy retries for ~30 minutes, far beyond a
 * Lambda's time); a post only when the request never left (neverSent), since any other failure
 * may come after Slack took it. 429s are rejected so the sender can weigh Retry-After against the
 * deadline.
 */
export function createSlackWebClient(
  token: string,
  options: { readonly slackApiUrl?: string; readonly log?: SlackClientLog; readonly fetch?: typeof fetch } = {},
): WebClient {
  const transport = options.fetch ?? globalThis.fetch;
  const retryConfig: RetryOptions & { onFailedAttempt: (error: Error) => void } = {
    retries: 2,
    factor: 2,
    minTimeout: 250,
    maxTimeout: 1000,
    randomize: true,
    // p-retry, under the client, gives up with whatever this throws.
    onFailedAttempt: (error) => {
      if (currentCall.getStore()?.repeatable || neverSent(error)) return;
      throw error;
    },
  };
  return new SlackWebClient(token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig,
    // Each request ends by its call's deadline or after 15 s (the client's own `timeout` stays off).
    fetch: (url, init) => {
      const bound = signalUntil(currentCall.getStore()?.deadline, REQUEST_TIMEOUT_MS);
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

  /** One API call, waiting out 429s while Retry-After ends before `deadline`. */
  async function call<T>(
    method: string,
    deadline: number,
    repeatable: boolean,
    channel: string,
    request: () => Promise<T>,
  ): Promise<T> {
    for (let waits = 0; ; waits++) {
      try {
        if (now() >= deadline) {
          throw new SlackDeliveryError(`Slack ${method} was not sent: the invocation's deadline passed`, {
            code: 'deadline',
          });
        }
        return await currentCall.run({ deadline, repeatable }, request);
      } catch (error) {
        if (error instanceof SlackDeliveryError) throw error;
        const retryAfter = rateLimitRetryAfter(error);
        if (retryAfter === undefined) throw toSlackError(error, method, channel, !repeatable);
        const waitMs = retryAfter * 1000;
        if (waits >= MAX_RATE_LIMIT_WAITS || now() + waitMs > deadline) {
          throw new SlackDeliveryError(
            `Slack rate-limited ${method} (Retry-After ${retryAfter}s) ${
              waits >= MAX_RATE_LIMIT_WAITS ? `${waits + 1} times in a row` : 'beyond the time left in this invocation'
            }; the next attempt will ${repeatable ? 'try again' : 'post it'}`,
            { cause: error, code: 'ratelimited' },
          );
        }
        options.logger?.warn('slack_rate_limited', { method, retryAfterSeconds: retryAfter, attempt: waits + 1 });
        await sleep(waitMs);
      }
    }
  }

  return {
    async post(message: SlackMessage, postOptions?: PostOptions) {
      const deadline = postOptions?.deadline ?? Number.POSITIVE_INFINITY;
      const tag = postOptions?.tag;
      const threadTs = postOptions?.threadTs;
      const result = await call('chat.postMessage', deadline, false, message.channel, () =>
        options.client.chat.postMessage({
          channel: message.channel,
          text: message.text,
          // The renderer builds Block Kit within Slack's limits.
          blocks: [...message.blocks],
          unfurl_links: false,
          unfurl_media: false,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(tag ? { metadata: postMetadata(tag, threadTs !== undefined) } : {}),
        }),
      );
      return { ts: result.ts ?? '' };
    },

    find(channel: string, tag: SlackPostTag, oldest: number, callOptions?: CallOptions): Promise<SlackLookup> {
      return lookUp('conversations.history', channel, tag, POST_EVENT_TYPE, oldest, callOptions, (cursor) =>
        options.client.conversations.history({
          channel,
          // Slack's timestamps are seconds with microseconds.
          oldest: (oldest / 1000).toFixed(6),
          include_all_metadata: true,
          limit: HISTORY_PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        }),
      );
    },

    findReply(
      channel: string,
      threadTs: string,
      tag: SlackPostTag,
      oldest: number,
      callOptions?: CallOptions,
    ): Promise<SlackLookup> {
      return lookUp('conversations.replies', channel, tag, THREAD_EVENT_TYPE, oldest, callOptions, (cursor) =>
        options.client.conversations.replies({
          channel,
          ts: threadTs,
          oldest: (oldest / 1000).toFixed(6),
          include_all_metadata: true,
          limit: HISTORY_PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        }),
      );
    },
  };

  /**
   * Pages through `read` (a channel's history or a thread's replies) until a message carries
   * `tag` with `eventType`, the pages end, MAX_HISTORY_PAGES were read, or the deadline comes.
   */
  async function lookUp(
    method: 'conversations.history' | 'conversations.replies',
    channel: string,
    tag: SlackPostTag,
    eventType: string,
    oldest: number,
    callOptions: CallOptions | undefined,
    read: (cursor: string | undefined) => Promise<{
      messages?: Array<{ ts?: string; metadata?: { event_type?: string; event_payload?: unknown } }>;
      response_metadata?: { next_cursor?: string };
    }>,
  ): Promise<SlackLookup> {
    const deadline = callOptions?.deadline ?? Number.POSITIVE_INFINITY;
    let cursor: string | undefined;
    let pages = 0;
    let messages = 0;
    for (;;) {
      if (pages >= MAX_HISTORY_PAGES) {
        throw new SlackDeliveryError(
          `Slack ${method}: read ${pages} pages (${messages} messages) of ${channel} back to ${new Date(oldest).toISOString()} without reaching the end; the message whose answer was lost may still be there`,
          { code: 'lookup_too_long' },
        );
      }
      const page = await call(method, deadline, true, channel, () => read(cursor));
      pages++;
      for (const m of page.messages ?? []) {
        messages++;
        if (carries(m.metadata, tag, eventType) && m.ts) return { ts: m.ts, pages, messages };
      }
      cursor = page.response_metadata?.next_cursor || undefined;
      if (!cursor) return { pages, messages };
    }
  }
}

/** Whether a message's metadata is that of a message of `eventType` of `tag`'s report and window. */
function carries(
  metadata: { event_type?: string; event_payload?: unknown } | undefined,
  tag: SlackPostTag,
  eventType: string,
): boolean {
  if (metadata?.event_type !== eventType) return false;
  const payload = (metadata.event_payload ?? {}) as Record<string, unknown>;
  return payload.report === tag.report && payload.window_to === tag.windowTo;
}

function rateLimitRetryAfter(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; retryAfter?: unknown };
  return e.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
}

/**
 * Turns a @slack/web-api error into one that says what to fix. For a post (`mayHaveTakenEffect`),
 * any failure but a refusal (Slack's `ok: false`) or a request that never left may come after Slack
 * took the post: its answer is lost (`answerLost`), and the next run looks before posting again.
 */
function toSlackError(
  error: unknown,
  method: string,
  channel: string,
  mayHaveTakenEffect: boolean,
): SlackDeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    original?: { message?: unknown; cause?: { message?: unknown } };
  };
  const lost = mayHaveTakenEffect
    ? ': the post may have gone out, so it is not posted again blindly (the next run looks for it in the channel first)'
    : '';
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') {
    const code = e.data.error;
    return new SlackDeliveryError(`Slack ${method} failed: ${code} — ${fixFor(code, channel, method)}`, {
      cause: error,
      code,
    });
  }
  if (e.code === ErrorCode.HTTPError) {
    return new SlackDeliveryError(
      `Slack answered HTTP ${String(e.statusCode)} to ${method}${mayHaveTakenEffect ? lost : ' (after retries)'}`,
      { cause: error, code: `http_${String(e.statusCode)}`, answerLost: mayHaveTakenEffect },
    );
  }
  if (e.code === ErrorCode.RequestError) {
    const why = String(e.original?.cause?.message ?? e.original?.message ?? 'request failed');
    if (neverSent(error) || !mayHaveTakenEffect) {
      return new SlackDeliveryError(`Could not reach Slack for ${method} (after retries): ${why}`, {
        cause: error,
        code: 'request_error',
      });
    }
    return new SlackDeliveryError(`Slack did not answer ${method} (${why})${lost}`, {
      cause: error,
      code: 'answer_lost',
      answerLost: true,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(`Slack ${method} failed: ${message}${lost}`, {
    cause: error,
    answerLost: mayHaveTakenEffect,
  });
}

function fixFor(code: string, channel: string, method: string): string {
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
      return method === 'conversations.history' || method === 'conversations.replies'
        ? 'the bot token lacks channels:history (public channels) or groups:history (private ones), needed to look for a post whose answer was lost: add it to the Slack app and reinstall, or post again on purpose with "resend": ["slack"] (docs/delivery.md)'
        : 'the bot token lacks the chat:write scope: add it to the Slack app and reinstall';
    case 'invalid_blocks':
    case 'invalid_blocks_format':
    case 'msg_too_long':
      return 'Slack refused the message layout (a renderer bug): see the cause';
    default:
      return `see https://api.slack.com/methods/${method}#errors`;
  }
}
