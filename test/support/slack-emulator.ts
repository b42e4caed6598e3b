/**
 * A Slack Web API stand-in for `chat.postMessage` on 127.0.0.1 (port 0), speaking what
 * @slack/web-api sends: a form-encoded body (objects such as `blocks` as JSON strings) or JSON,
 * the token as `Authorization: Bearer`. It checks the token, the channel (known IDs; a known
 * channel the bot is not in gives `not_in_channel`), Block Kit limits per block (`invalid_blocks`)
 * and in total (`msg_blocks_too_long`, as Slack answers at about 13,200 characters), can
 * answer 429 with Retry-After or any error for the next N calls, and records accepted messages.
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
}

export type SlackFault =
  /** HTTP 429 with this Retry-After (seconds). */
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  /** HTTP 200 `{ok: false, error}`. */
  | { readonly kind: 'error'; readonly error: string }
  /** This HTTP status with a plain body (e.g. 500, 503). */
  | { readonly kind: 'http'; readonly status: number };

export interface SlackEmulatorOptions {
  /** The accepted bot token. @default 'xoxb-test-token' */
  readonly token?: string;
  /** Channels the bot is a member of. @default ['C0123456789'] */
  readonly channels?: readonly string[];
  /** Channels that exist but the bot was not invited to (`not_in_channel`). @default [] */
  readonly channelsWithoutBot?: readonly string[];
  /** The token's scopes, as `auth.test` lists them. @default chat:write, channels:read, groups:read */
  readonly scopes?: readonly string[];
}

export interface SlackEmulator {
  readonly url: string;
  /** Accepted messages, oldest first. */
  readonly messages: readonly SlackPostedMessage[];
  /** Every chat.postMessage request seen, accepted or not. */
  readonly requests: number;
  /** The next `times` calls answer with `fault`, then normal service resumes. */
  failNext(fault: SlackFault, times?: number): void;
  /** Every call answers with `fault` until `clearFaults`. */
  failAlways(fault: SlackFault): void;
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const token = options.token ?? 'xoxb-test-token';
  const channels = new Set(options.channels ?? ['C0123456789']);
  const channelsWithoutBot = new Set(options.channelsWithoutBot ?? []);
  const messages: SlackPostedMessage[] = [];
  const queued: SlackFault[] = [];
  let always: SlackFault | undefined;
  let requests = 0;
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
    if (req.method !== 'POST' || !path.endsWith('/chat.postMessage')) {
      return send(res, 404, { ok: false, error: 'unknown_method' });
    }
    const body = await readBody(req);
    requests++;
    const fault = queued.shift() ?? always;
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

    const args = parseArgs(req.headers['content-type'] ?? '', body);
    const auth = req.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : '');
    if (auth === '') return send(res, 200, { ok: false, error: 'not_authed' });
    if (auth !== `Bearer ${token}`) return send(res, 200, { ok: false, error: 'invalid_auth' });
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (channelsWithoutBot.has(channel)) return send(res, 200, { ok: false, error: 'not_in_channel' });
    if (!channels.has(channel)) return send(res, 200, { ok: false, error: 'channel_not_found' });

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
    counter++;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
    messages.push({ channel, text, blocks: (blocks as unknown[]) ?? [], ts, unfurl_links: args.unfurl_links });
    send(res, 200, { ok: true, channel, ts, message: { text, ts } });
  }

  function reset(): void {
    messages.length = 0;
    queued.length = 0;
    always = undefined;
    requests = 0;
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
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) queued.push(fault);
    },
    failAlways(fault) {
      always = fault;
    },
    clearFaults() {
      queued.length = 0;
      always = undefined;
    },
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

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
