/**
 * A Slack Web API stand-in for `chat.postMessage`, `conversations.history` and
 * `conversations.replies` on 127.0.0.1
 * (port 0), speaking what @slack/web-api sends: a form-encoded body (objects such as `blocks` and
 * `metadata` as JSON strings) or JSON, the token as `Authorization: Bearer`. It checks the token,
 * the channel (known IDs; a known channel the bot is not in gives `not_in_channel`), Block Kit
 * limits per block (`invalid_blocks`) and in total (`msg_blocks_too_long`, as Slack answers at
 * about 13,200 characters), and records accepted messages with their message metadata and, for a
 * reply, its `thread_ts` (which must be a post of that channel: `thread_not_found` otherwise).
 * A thread's replies are not in `conversations.history` (as in Slack, unless broadcast);
 * `conversations.replies` answers the thread of `ts`: its parent first, then its replies, oldest
 * first, paged like the history.
 *
 * `conversations.history` answers as Slack does: newest first, `oldest`/`latest` exclusive unless
 * `inclusive`, at most `limit` messages a page (default 100; capped at `historyPageCap`, 999 as
 * Slack's maximum, 15 to act as a non-Marketplace app) with `has_more` and an opaque
 * `response_metadata.next_cursor`, and message `metadata` only with `include_all_metadata`.
 *
 * Faults, for the next N calls of a method or all of them (`thread.reply`: a `chat.postMessage`
 * with `thread_ts` only, so a test can fail the reply and not the post): 429 with Retry-After, any `ok: false`
 * error, any HTTP status, and the two halves of a lost answer: `drop_after_post` takes the post
 * (it is recorded) and closes the connection without answering; `drop` closes it without taking
 * anything.
 *
 * Control API (for `npm start` and manual use): GET /_emulator/messages, POST /_emulator/reset.
 *
 * What `report doctor` asks (answerDoctorMethods): `auth.test` (the token; the answer's
 * `x-oauth-scopes` header lists the token's scopes, as Slack's does) and `conversations.info`
 * (`is_member` of the bot; `missing_scope` without channels:read, as Slack answers then).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blocksTotalLength, checkBlocks, LIMITS } from './slack-limits';

export interface SlackPostedMessage {
  readonly channel: string;
  readonly text: string;
  readonly blocks: unknown[];
  readonly ts: string;
  readonly unfurl_links?: unknown;
  /** The post whose thread it replies in, for a reply. */
  readonly thread_ts?: string;
  /** The message metadata it was posted with (`{event_type, event_payload}`), if any. */
  readonly metadata?: { readonly event_type: string; readonly event_payload: Record<string, unknown> };
}

export type SlackFault =
  /** HTTP 429 with this Retry-After (seconds). */
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  /** HTTP 200 `{ok: false, error}`. */
  | { readonly kind: 'error'; readonly error: string }
  /** This HTTP status with a plain body (e.g. 500, 503). */
  | { readonly kind: 'http'; readonly status: number }
  /** Takes the post (recorded, as Slack would) and then closes the connection without an answer. */
  | { readonly kind: 'drop_after_post' }
  /** Closes the connection without an answer and without taking anything. */
  | { readonly kind: 'drop' };

/** The methods the stand-in serves (`thread.reply`: a chat.postMessage with `thread_ts`, for faults). */
export type SlackMethod = 'chat.postMessage' | 'conversations.history' | 'conversations.replies' | 'thread.reply';

export interface SlackEmulatorOptions {
  /** The accepted bot token. @default 'xoxb-test-token' */
  readonly token?: string;
  /** Channels the bot is a member of. @default ['C0123456789'] */
  readonly channels?: readonly string[];
  /** Channels that exist but the bot was not invited to (`not_in_channel`). @default [] */
  readonly channelsWithoutBot?: readonly string[];
  /** The most messages one history page holds, whatever `limit` asks. @default 999 */
  readonly historyPageCap?: number;
  /** The token's scopes, as `auth.test` lists them. @default chat:write, channels:read, groups:read */
  readonly scopes?: readonly string[];
}

export interface SlackEmulator {
  readonly url: string;
  /** Accepted messages, oldest first. */
  readonly messages: readonly SlackPostedMessage[];
  /** Every chat.postMessage request seen, accepted or not. */
  readonly requests: number;
  /** Every conversations.history request seen. */
  readonly historyRequests: number;
  /** Every conversations.replies request seen. */
  readonly repliesRequests: number;
  /** The next `times` calls of `method` answer with `fault`, then normal service resumes. */
  failNext(fault: SlackFault, times?: number, method?: SlackMethod): void;
  /** Every call of `method` answers with `fault` until `clearFaults`. */
  failAlways(fault: SlackFault, method?: SlackMethod): void;
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

const BOT_ID = 'B0EMULATOR1';
const APP_ID = 'A0EMULATOR1';

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const token = options.token ?? 'xoxb-test-token';
  const channels = new Set(options.channels ?? ['C0123456789']);
  const channelsWithoutBot = new Set(options.channelsWithoutBot ?? []);
  const pageCap = options.historyPageCap ?? 999;
  const messages: SlackPostedMessage[] = [];
  const queued: Record<SlackMethod, SlackFault[]> = {
    'chat.postMessage': [],
    'conversations.history': [],
    'conversations.replies': [],
    'thread.reply': [],
  };
  const always: Partial<Record<SlackMethod, SlackFault>> = {};
  let requests = 0;
  let historyRequests = 0;
  let repliesRequests = 0;
  let counter = 0;
  const reads: ReadMethodsState = { token, channels, channelsWithoutBot, scopes: options.scopes ?? DEFAULT_SCOPES };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/_emulator/messages') return send(res, 200, { messages });
    if (req.method === 'POST' && path === '/_emulator/reset') {
      reset();
      return send(res, 200, { ok: true });
    }
    if (await answerDoctorMethods(req, res, path, reads)) return;
    const method: SlackMethod | undefined = path.endsWith('/chat.postMessage')
      ? 'chat.postMessage'
      : path.endsWith('/conversations.history')
        ? 'conversations.history'
        : path.endsWith('/conversations.replies')
          ? 'conversations.replies'
          : undefined;
    if (req.method !== 'POST' || method === undefined) return send(res, 404, { ok: false, error: 'unknown_method' });
    const body = await readBody(req);
    const args = parseArgs(req.headers['content-type'] ?? '', body);
    if (method === 'chat.postMessage') requests++;
    else if (method === 'conversations.history') historyRequests++;
    else repliesRequests++;
    const threadTs = method === 'chat.postMessage' && typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
    // A reply's own faults first, then those of every chat.postMessage.
    const fault =
      (threadTs !== undefined ? (queued['thread.reply'].shift() ?? always['thread.reply']) : undefined) ??
      queued[method].shift() ??
      always[method];
    if (fault?.kind === 'rate_limited') {
      res.writeHead(429, { 'Retry-After': String(fault.retryAfterSeconds), 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (fault?.kind === 'http') {
      res.writeHead(fault.status, { 'Content-Type': 'text/plain' });
      res.end('upstream error');
      return;
    }
    if (fault?.kind === 'error') return send(res, 200, { ok: false, error: fault.error });
    if (fault?.kind === 'drop') return void res.socket?.destroy();

    const auth = req.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : '');
    if (auth === '') return send(res, 200, { ok: false, error: 'not_authed' });
    if (auth !== `Bearer ${token}`) return send(res, 200, { ok: false, error: 'invalid_auth' });
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channelsWithoutBot.has(channel)) return send(res, 200, { ok: false, error: 'not_in_channel' });
    if (!channels.has(channel)) return send(res, 200, { ok: false, error: 'channel_not_found' });
    if (method === 'conversations.history') return send(res, 200, history(channel, args));
    if (method === 'conversations.replies') return send(res, 200, replies(channel, args));
    if (threadTs !== undefined && !messages.some((m) => m.channel === channel && m.ts === threadTs && !m.thread_ts)) {
      return send(res, 200, { ok: false, error: 'thread_not_found' });
    }

    const blocks = typeof args.blocks === 'string' ? safeJson(args.blocks) : args.blocks;
    const text = typeof args.text === 'string' ? args.text : '';
    const problems = checkBlocks(blocks);
    if (text === '' && blocks === undefined) return send(res, 200, { ok: false, error: 'no_text' });
    if (text.length > LIMITS.text) return send(res, 200, { ok: false, error: 'msg_too_long' });
    if (problems.length > 0) {
      return send(res, 200, { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } });
    }
    if (blocksTotalLength(blocks) > LIMITS.blocksTotal)
      return send(res, 200, { ok: false, error: 'msg_blocks_too_long' });
    const metadata = metadataOf(args.metadata);
    if (metadata === 'invalid') return send(res, 200, { ok: false, error: 'invalid_metadata_format' });
    counter++;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
    messages.push({
      channel,
      text,
      blocks: (blocks as unknown[]) ?? [],
      ts,
      unfurl_links: args.unfurl_links,
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      ...(metadata ? { metadata } : {}),
    });
    // Slack took it; the answer is what gets lost.
    if (fault?.kind === 'drop_after_post') return void res.socket?.destroy();
    send(res, 200, { ok: true, channel, ts, message: { text, ts, ...(metadata ? { metadata } : {}) } });
  }

  /** One page of a channel's history, newest first, as conversations.history answers. */
  function history(channel: string, args: Record<string, unknown>): Record<string, unknown> {
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    const oldest = Number(args.oldest ?? 0);
    const latest = args.latest === undefined ? Number.POSITIVE_INFINITY : Number(args.latest);
    const withMetadata =
      args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
    const limit = Math.min(pageCap, Math.max(1, Number(args.limit ?? 100) || 100));
    const offset = typeof args.cursor === 'string' && args.cursor !== '' ? decodeCursor(args.cursor) : 0;
    const inRange = messages
      // A thread's replies are not in the channel's history (unless broadcast, which we never do).
      .filter((m) => m.channel === channel && m.thread_ts === undefined)
      .filter((m) => {
        const t = Number(m.ts);
        return (inclusive ? t >= oldest : t > oldest) && (inclusive ? t <= latest : t < latest);
      })
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    const page = inRange.slice(offset, offset + limit);
    const hasMore = offset + limit < inRange.length;
    return {
      ok: true,
      messages: page.map((m) => ({
        type: 'message',
        subtype: 'bot_message',
        text: m.text,
        ts: m.ts,
        bot_id: BOT_ID,
        app_id: APP_ID,
        blocks: m.blocks,
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      })),
      has_more: hasMore,
      pin_count: 0,
      response_metadata: { next_cursor: hasMore ? encodeCursor(offset + limit) : '' },
    };
  }

  /** One page of the thread of `args.ts`: the parent, then its replies, oldest first, as conversations.replies answers. */
  function replies(channel: string, args: Record<string, unknown>): Record<string, unknown> {
    const ts = typeof args.ts === 'string' ? args.ts : '';
    const parent = messages.find((m) => m.channel === channel && m.ts === ts && m.thread_ts === undefined);
    if (!parent) return { ok: false, error: 'thread_not_found' };
    const oldest = Number(args.oldest ?? 0);
    const withMetadata =
      args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
    const limit = Math.min(pageCap, Math.max(1, Number(args.limit ?? 100) || 100));
    const offset = typeof args.cursor === 'string' && args.cursor !== '' ? decodeCursor(args.cursor) : 0;
    const thread = [
      parent,
      ...messages.filter((m) => m.channel === channel && m.thread_ts === ts && Number(m.ts) > oldest),
    ].sort((a, b) => Number(a.ts) - Number(b.ts));
    const page = thread.slice(offset, offset + limit);
    const hasMore = offset + limit < thread.length;
    return {
      ok: true,
      messages: page.map((m) => ({
        type: 'message',
        text: m.text,
        ts: m.ts,
        ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: 'U0EMULATED' } : { thread_ts: m.ts }),
        bot_id: BOT_ID,
        app_id: APP_ID,
        blocks: m.blocks,
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      })),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? encodeCursor(offset + limit) : '' },
    };
  }

  function reset(): void {
    messages.length = 0;
    for (const list of Object.values(queued)) list.length = 0;
    for (const key of Object.keys(always) as SlackMethod[]) delete always[key];
    requests = 0;
    historyRequests = 0;
    repliesRequests = 0;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    get messages() {
      return messages;
    },
    get requests() {
      return requests;
    },
    get historyRequests() {
      return historyRequests;
    },
    get repliesRequests() {
      return repliesRequests;
    },
    failNext(fault, times = 1, method = 'chat.postMessage') {
      for (let i = 0; i < times; i++) queued[method].push(fault);
    },
    failAlways(fault, method = 'chat.postMessage') {
      always[method] = fault;
    },
    clearFaults() {
      for (const list of Object.values(queued)) list.length = 0;
      for (const key of Object.keys(always) as SlackMethod[]) delete always[key];
    },
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A post's `metadata` argument: absent, a valid `{event_type, event_payload}`, or invalid. */
function metadataOf(raw: unknown): SlackPostedMessage['metadata'] | 'invalid' | undefined {
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  if (typeof value !== 'object' || value === null) return 'invalid';
  const { event_type, event_payload } = value as { event_type?: unknown; event_payload?: unknown };
  if (typeof event_type !== 'string' || typeof event_payload !== 'object' || event_payload === null) return 'invalid';
  return { event_type, event_payload: event_payload as Record<string, unknown> };
}

const encodeCursor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64');
const decodeCursor = (cursor: string): number =>
  Number(Buffer.from(cursor, 'base64').toString('utf8').split(':')[1]) || 0;

/** The bot's name in `auth.test`, as an app's bot user is named. */
export const EMULATED_BOT_NAME = 'ai-activity-audit';
const DEFAULT_SCOPES: readonly string[] = ['chat:write', 'channels:read', 'groups:read'];

/** What the read methods answer from: the emulator's token, channels and the token's scopes. */
export interface ReadMethodsState {
  readonly token: string;
  readonly channels: ReadonlySet<string>;
  readonly channelsWithoutBot: ReadonlySet<string>;
  readonly scopes: readonly string[];
}

/**
 * `auth.test` and `conversations.info`, answered as Slack does for a bot token: an unknown token
 * gets `invalid_auth`; `conversations.info` needs channels:read (`missing_scope` with `needed`
 * otherwise) and says `is_member` for a channel the bot was or was not invited to,
 * `channel_not_found` for any other. Every answer carries `x-oauth-scopes`. True when it answered.
 */
export async function answerDoctorMethods(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  state: ReadMethodsState,
): Promise<boolean> {
  const method = path.slice(path.lastIndexOf('/') + 1);
  if (req.method !== 'POST' || (method !== 'auth.test' && method !== 'conversations.info')) return false;
  const args = parseArgs(req.headers['content-type'] ?? '', await readBody(req));
  const reply = (body: Record<string, unknown>): void => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-OAuth-Scopes': state.scopes.join(',') });
    res.end(JSON.stringify(body));
  };
  const auth = req.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : '');
  if (auth === '') reply({ ok: false, error: 'not_authed' });
  else if (auth !== `Bearer ${state.token}`) reply({ ok: false, error: 'invalid_auth' });
  else if (method === 'auth.test') {
    reply({
      ok: true,
      url: 'https://emulated.slack.com/',
      team: 'Emulated Workspace',
      user: EMULATED_BOT_NAME,
      team_id: 'T0EMULATED',
      user_id: 'U0EMULATED',
      bot_id: 'B0EMULATED',
    });
  } else if (!state.scopes.includes('channels:read')) {
    reply({ ok: false, error: 'missing_scope', needed: 'channels:read', provided: state.scopes.join(',') });
  } else {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const member = state.channels.has(channel);
    if (!member && !state.channelsWithoutBot.has(channel)) reply({ ok: false, error: 'channel_not_found' });
    else {
      reply({
        ok: true,
        channel: {
          id: channel,
          name: `channel-${channel.toLowerCase()}`,
          is_channel: true,
          is_private: false,
          is_archived: false,
          is_member: member,
        },
      });
    }
  }
  return true;
}

function parseArgs(contentType: string, body: string): Record<string, unknown> {
  if (contentType.includes('application/json')) {
    const parsed = safeJson(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return 'not json';
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
