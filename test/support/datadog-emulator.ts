/**
 * Emulator of Datadog's Audit Logs search API, written from the official OpenAPI spec and the
 * recorded real responses in test/fixtures/datadog/: `POST /api/v2/audit/events/search` and `GET /api/v2/audit/events`
 * on 127.0.0.1, with the metric query of the same events mounted beside it on the same port, keys
 * and faults (`POST /api/v2/query/scalar`, datadog-metrics-emulator.ts), and the Teams API of the
 * teams passed in (`GET /api/v2/team`, `GET /api/v2/team/{team_id}/memberships`,
 * datadog-teams-emulator.ts), and the API key validation `GET /api/v1/validate`. It checks the API and
 * application keys (403 otherwise) and, for a key given `appKeyScopes`, the scope each endpoint
 * needs (403 without it: `audit_logs_read`, `timeseries_query`, `teams_read`), filters by the
 * search syntax the report uses (`parseQuery`: `@attr:value` facets, `key:value` tags or
 * attributes such as `is_mcp_call:true`, `field:*`, `OR`, parentheses, `-`) and time range, sorts
 * both ways, pages with opaque base64
 * cursors, validates `page.limit` (1–1000), ends with `{"data":[]}` and no `meta` like the real
 * API, sends `X-RateLimit-*` headers, and injects faults (429, 503, latency, short pages,
 * `meta.status: "timeout"`, `meta.warnings`, 200s that are not search responses, cursors that
 * repeat or cycle, answers out of the order asked for) decided by a hash of (seed, request,
 * attempt), so a run is repeatable whatever order concurrent requests arrive in; and a redirect
 * of every request to another base URL (`redirectTo`), as a compromised proxy would answer.
 *
 * Standalone: `npx tsx test/support/datadog-emulator.ts --port 0` serves a generated scenario.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  answerScalar,
  MetricsRequestError,
  malformedScalarBody,
  metricPointsOf,
  parseScalarRequest,
  SCALAR_PATH,
} from './datadog-metrics-emulator';
import {
  answerTeams,
  type EmulatedTeam,
  isTeamsPath,
  malformedTeamsBody,
  parseTeamsRequest,
  TeamsRequestError,
} from './datadog-teams-emulator';
import { generateScenario, type RawAuditEvent } from './generator';

export interface EmulatorFaults {
  /** Share of requests answered 429 (with `X-RateLimit-Reset`). */
  readonly rate429?: number;
  /** Share of requests answered 503. */
  readonly rate503?: number;
  /** Seconds in `X-RateLimit-Reset` of injected 429s. @default 1 */
  readonly resetSeconds?: number;
  /** Extra delay of every response, ms. */
  readonly latencyMs?: number;
  /** Share of responses delayed by `slowMs` more. */
  readonly slowRate?: number;
  readonly slowMs?: number;
  /** Share of pages cut short (they still carry a cursor, nothing is lost). */
  readonly shortPageRate?: number;
  /** Share of pages answered with `meta.status: "timeout"`: a partial page whose cursor skips what it missed. */
  readonly timeoutRate?: number;
  /** Share of pages carrying `meta.warnings`. */
  readonly warningRate?: number;
  /** Answer every request with 429 (a rate limit that never lifts), `X-RateLimit-Reset` = `resetSeconds`. */
  readonly always429?: boolean;
  /** Share of searches answered 200 with a body that is not a search response, of the `malformedShape` given. */
  readonly malformedRate?: number;
  /** @default 'data-null' */
  readonly malformedShape?: 'null' | 'data-null' | 'data-object' | 'not-json' | 'cursor-number';
  /**
   * Cursor faults of a misbehaving API or proxy: `repeat-page` answers a request carrying cursor C
   * with the very response that handed out C (same events, same cursor); `cycle` hands out cursors
   * A → B → A → B … (each page is the real next one, but the cursors loop).
   */
  readonly cursorFault?: 'repeat-page' | 'cycle';
  /**
   * Answers out of the order asked for (a proxy, an API change), the same for the same request:
   * `page` returns each page's events (the very events of the page in order) in a shuffled order;
   * `range` serves the query's events in a shuffled order across its pages, as if `sort` were not
   * honoured, so each page is a sample of the whole range. Cursors page through either completely.
   */
  readonly shuffle?: 'page' | 'range';
  /** Serve newest first whatever `sort` asks (Datadog's default order: a proxy that drops the field). */
  readonly ignoreSort?: boolean;
  /** Answer 503 to every search whose time range overlaps `[from, to)` (epoch ms): an outage of part of the data. */
  readonly failRange?: { readonly from: number; readonly to: number };
  /** Answer 403 to the metric query only (an application key without the `timeseries_query` scope). */
  readonly metricsForbidden?: boolean;
  /** The metric has no data (an org whose MCP server does not emit it): empty scalar answers. */
  readonly metricsEmpty?: boolean;
  /** Answer 403 to the Teams API only (an application key without the `teams_read` scope). */
  readonly teamsForbidden?: boolean;
  /** The metric query takes the connection and never answers (a hanging dependency; the client's deadline ends it). */
  readonly metricsHang?: boolean;
  /** The Teams API takes the connection and never answers. */
  readonly teamsHang?: boolean;
  /**
   * Answer every request, before its keys are checked, with a redirect (`redirectStatus`) to this
   * base URL plus the request's path and query: a compromised proxy, or a DD_API_URL pointing at
   * something that sends the client elsewhere.
   */
  readonly redirectTo?: string;
  /** @default 307 */
  readonly redirectStatus?: 301 | 302 | 303 | 307 | 308;
}

/** Holds a request open until the client gives up (or the emulator closes): a dependency that hangs. */
function hang(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.on('close', () => resolve()));
}

export interface EmulatorOptions {
  readonly events: Iterable<RawAuditEvent> | readonly RawAuditEvent[];
  /** The org's Datadog Teams the Teams API serves (e.g. the generator's `scenario.teams`). @default none */
  readonly teams?: readonly EmulatedTeam[];
  /** @default 'test-api-key' */
  readonly apiKey?: string;
  /** @default 'test-app-key' */
  readonly appKey?: string;
  /** Delay of every response, ms (same as `faults.latencyMs`). */
  readonly latencyMs?: number;
  /** Seed of the fault decisions. @default 1 */
  readonly seed?: number;
  readonly faults?: EmulatorFaults;
  /** Real rate limiting: at most `limit` requests per `periodSeconds` (then 429). @default 6000 per 60 s */
  readonly rateLimit?: { readonly limit: number; readonly periodSeconds: number };
  /** Serve events at exactly `to` too (Datadog's inclusiveness of `to` is not documented; sources must not care). */
  readonly inclusiveTo?: boolean;
  /** Port to listen on. @default 0 */
  readonly port?: number;
  /**
   * The application key's scopes, as a scoped key of Datadog has them: a request of an endpoint
   * whose scope is missing is refused 403 (scopeOfRequest). @default unrestricted (every scope)
   */
  readonly appKeyScopes?: readonly EmulatedScope[];
}

export interface EmulatorStats {
  requests: number;
  /** Responses by HTTP status. */
  byStatus: Record<number, number>;
  /** Events sent in `data[]`, all pages. */
  eventsServed: number;
  /** Metric queries (`POST /api/v2/query/scalar`) asked, whatever their answer. */
  metricQueries: number;
  /** Teams API requests (`GET /api/v2/team`, `…/{team_id}/memberships`) asked, whatever their answer. */
  teamRequests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface DatadogEmulator {
  readonly url: string;
  readonly apiKey: string;
  readonly appKey: string;
  readonly stats: EmulatorStats;
  setFaults(faults: EmulatorFaults): void;
  /** Gives the application key these scopes (undefined: unrestricted again). */
  setAppKeyScopes(scopes: readonly EmulatedScope[] | undefined): void;
  close(): Promise<void>;
}

/** The scopes of an application key that the emulated endpoints need. */
export type EmulatedScope = 'audit_logs_read' | 'timeseries_query' | 'teams_read';

/** The scope a request needs, as Datadog's API reference names it per endpoint; undefined for one that needs none. */
export function scopeOfRequest(method: string | undefined, pathname: string): EmulatedScope | undefined {
  if (pathname === '/api/v2/audit/events/search' || pathname === '/api/v2/audit/events') return 'audit_logs_read';
  if (method === 'POST' && pathname === SCALAR_PATH) return 'timeseries_query';
  if (method === 'GET' && isTeamsPath(pathname)) return 'teams_read';
  return undefined;
}

/**
 * `GET /api/v1/validate`, Datadog's check of an API key (the application key plays no part):
 * `{"valid": true}`, or 403 `{"errors": ["Forbidden"]}` for a key it does not know. Answers and
 * returns true for that path only.
 */
export function answerKeyValidation(
  req: IncomingMessage,
  pathname: string,
  apiKey: string,
  reply: (status: number, body: unknown) => void,
): boolean {
  if (req.method !== 'GET' || pathname !== '/api/v1/validate') return false;
  if (header(req, 'dd-api-key') === apiKey) reply(200, { valid: true });
  else reply(403, { errors: ['Forbidden'] });
  return true;
}

const DEFAULT_LIMIT = 10; // the spec's default for page[limit]
const MAX_LIMIT = 1000;
const RATE_LIMIT_NAME = 'audit_logs_search';
const DATA_OPEN = Buffer.from('{"data":[');
const COMMA = Buffer.from(',');

interface StoredEvent {
  readonly time: number;
  readonly event: RawAuditEvent;
  /** The event as UTF-8 JSON, made at its first page: the emulator's CPU is not the client's to pay (benches). */
  bytes?: Buffer;
}

interface SearchRequest {
  readonly query: string;
  readonly from: number;
  readonly to: number;
  readonly sort: 'timestamp' | '-timestamp';
  readonly cursor: string | undefined;
  readonly limit: number;
}

class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

/** Datadog date math: ISO dates, epoch milliseconds, `now`, `now-15m` (s, m, h, d, w). */
export function parseDatadogTime(value: unknown, fallback: string, now: number): number {
  const text = value === undefined || value === null || value === '' ? fallback : value;
  if (typeof text === 'number' && Number.isFinite(text)) return text;
  if (typeof text !== 'string') throw new BadRequestError(`Invalid time: ${JSON.stringify(value)}`);
  if (/^\d+$/.test(text)) return Number(text);
  const math = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(text);
  if (math) {
    if (!math[1]) return now;
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[math[3] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now + (math[1] === '-' ? -1 : 1) * Number(math[2]) * unit;
  }
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new BadRequestError(`Invalid time: ${JSON.stringify(text)}`);
  return ms;
}

type Matcher = (event: RawAuditEvent) => boolean;

function attributeAt(event: RawAuditEvent, path: readonly string[]): unknown {
  let value: unknown = (event.attributes as { attributes?: unknown } | undefined)?.attributes;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Whether an event's outer `tags` hold `key:value` (Datadog's tags are `key:value` strings). */
function hasTag(event: RawAuditEvent, key: string, value: string): boolean {
  const tags = (event.attributes as { tags?: unknown } | undefined)?.tags;
  if (!Array.isArray(tags)) return false;
  return tags.some((t) => typeof t === 'string' && (value === '*' ? t.startsWith(`${key}:`) : t === `${key}:${value}`));
}

/** A value matches when it is the string or number given (a boolean as `true`/`false`); `*` when present at all. */
function matchesValue(v: unknown, values: readonly string[]): boolean {
  if (values.includes('*')) return v !== undefined && v !== null;
  return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && values.includes(String(v));
}

/**
 * The part of Datadog's search syntax the report and its links use, as Datadog reads it:
 * - `@path:value`, `@path:"quoted value"`, `@path:(a OR b)`: a facet (an attribute) by path;
 * - `key:value` without `@`: a tag `key:value`, or (Datadog's reserved and promoted attributes,
 *   and the guide's `is_mcp_call:true` is written so) the attribute of that path: either matches;
 * - `field:*`: the field is present (any value, not null);
 * - `*` alone: everything; terms side by side or with `AND` are ANDed, `OR` between them ORs
 *   (AND binds tighter), `-term` or `NOT term` negates, parentheses group.
 */
export function parseQuery(query: string): Matcher {
  const tokens = tokenize(query);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (): never => {
    const rest = tokens
      .slice(pos)
      .map((t) => t.text)
      .join(' ');
    throw new BadRequestError(`Unsupported query syntax at ${JSON.stringify(rest.slice(0, 30))}`);
  };

  function orExpr(): Matcher {
    const parts = [andExpr()];
    while (peek()?.kind === 'or') {
      pos++;
      parts.push(andExpr());
    }
    return parts.length === 1 ? (parts[0] as Matcher) : (e) => parts.some((m) => m(e));
  }
  function andExpr(): Matcher {
    const parts = [unary()];
    for (;;) {
      const next = peek();
      if (next === undefined || next.kind === 'or' || next.kind === 'close') break;
      if (next.kind === 'and') pos++;
      parts.push(unary());
    }
    return parts.length === 1 ? (parts[0] as Matcher) : (e) => parts.every((m) => m(e));
  }
  function unary(): Matcher {
    const next = peek();
    if (next?.kind === 'not') {
      pos++;
      const inner = unary();
      return (e) => !inner(e);
    }
    return primary();
  }
  function primary(): Matcher {
    const next = peek();
    if (next === undefined) return fail();
    pos++;
    if (next.kind === 'open') {
      const inner = orExpr();
      if (peek()?.kind !== 'close') return fail();
      pos++;
      return inner;
    }
    if (next.kind === 'all') return () => true;
    if (next.kind !== 'term') return fail();
    const { facet, path, values } = next;
    const keys = path.split('.');
    if (facet) return (event) => matchesValue(attributeAt(event, keys), values);
    return (event) => values.some((v) => hasTag(event, path, v)) || matchesValue(attributeAt(event, keys), values);
  }

  if (tokens.length === 0) return () => true;
  const matcher = orExpr();
  if (pos < tokens.length) fail();
  return matcher;
}

type Token =
  | { readonly kind: 'open' | 'close' | 'or' | 'and' | 'not' | 'all'; readonly text: string }
  | {
      readonly kind: 'term';
      readonly text: string;
      readonly facet: boolean;
      readonly path: string;
      readonly values: readonly string[];
    };

/** The query as tokens: parentheses, `OR`/`AND`/`NOT`/`-`, `*`, and `[@]path:value` terms. */
function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const term = /(@?)([\w.]+):(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|([^\s()"]+))/y;
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      tokens.push({ kind: 'open', text: c });
      i++;
      continue;
    }
    if (c === ')') {
      tokens.push({ kind: 'close', text: c });
      i++;
      continue;
    }
    if (c === '-') {
      tokens.push({ kind: 'not', text: c });
      i++;
      continue;
    }
    const word = /^(OR|AND|NOT)(?=[\s()]|$)/.exec(query.slice(i));
    if (word) {
      tokens.push({ kind: (word[1] as string).toLowerCase() as 'or' | 'and' | 'not', text: word[1] as string });
      i += (word[1] as string).length;
      continue;
    }
    if (c === '*' && (i + 1 === query.length || /[\s)]/.test(query[i + 1] as string))) {
      tokens.push({ kind: 'all', text: c });
      i++;
      continue;
    }
    term.lastIndex = i;
    const m = term.exec(query);
    if (!m) throw new BadRequestError(`Unsupported query syntax at ${JSON.stringify(query.slice(i, i + 30))}`);
    const values =
      m[3] !== undefined
        ? [m[3].replace(/\\(.)/g, '$1')]
        : m[4] !== undefined
          ? m[4].split(/\s+OR\s+/).map((v) => v.trim().replace(/^"|"$/g, ''))
          : [m[5] as string];
    tokens.push({ kind: 'term', text: m[0], facet: m[1] === '@', path: m[2] as string, values });
    i = term.lastIndex;
  }
  return tokens;
}

/** FNV-1a over a string, then mixed with the seed: a stable number in [0, 1). */
function unitHash(seed: number, text: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

function encodeCursor(payload: { p: number; k: string }): string {
  return Buffer.from(JSON.stringify({ after: Buffer.from(JSON.stringify(payload)).toString('base64url') })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { p: number; k: string } {
  try {
    const outer = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    const inner = JSON.parse(Buffer.from(String(outer.after), 'base64url').toString('utf8')) as {
      p?: unknown;
      k?: unknown;
    };
    if (typeof inner.p === 'number' && Number.isInteger(inner.p) && typeof inner.k === 'string') {
      return { p: inner.p, k: inner.k };
    }
  } catch {
    // fall through
  }
  throw new BadRequestError('Invalid page cursor');
}

function lowerBound(times: Float64Array, value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(times: Float64Array, value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `items` in a shuffled order decided by `hash` (in [0, 1)): Fisher–Yates over mulberry32. */
function shuffled<T>(items: readonly T[], hash: number): T[] {
  let state = Math.floor(hash * 4294967296) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Starts the emulator on 127.0.0.1 (port 0 unless given) and resolves once it listens. */
export async function startDatadogEmulator(options: EmulatorOptions): Promise<DatadogEmulator> {
  const apiKey = options.apiKey ?? 'test-api-key';
  const appKey = options.appKey ?? 'test-app-key';
  const seed = options.seed ?? 1;
  let faults: EmulatorFaults = { ...options.faults };
  if (options.latencyMs !== undefined && faults.latencyMs === undefined)
    faults = { ...faults, latencyMs: options.latencyMs };
  const rateLimit = options.rateLimit ?? { limit: 6000, periodSeconds: 60 };
  let appKeyScopes = options.appKeyScopes;

  // Events without a usable outer timestamp cannot be found by a time-ranged search; keep the rest time-sorted.
  const stored: StoredEvent[] = [];
  for (const event of options.events) {
    const ts = (event as { attributes?: { timestamp?: unknown } } | null)?.attributes?.timestamp;
    const time = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
    if (Number.isFinite(time)) stored.push({ time, event });
  }
  stored.sort((a, b) => a.time - b.time);
  const times = Float64Array.from(stored, (s) => s.time);
  const points = metricPointsOf(stored.map((s) => s.event));
  /**
   * Scalar answers (JSON) by request body: the points never change, and a report's ~9 metric queries
   * scan every point (~75 ms of this event loop for 60k events), which would hold back the audit
   * pages answered beside them, as real Datadog, answering on its own machines, does not.
   */
  const scalarAnswers = new Map<string, string>();

  const stats: EmulatorStats = {
    requests: 0,
    byStatus: {},
    eventsServed: 0,
    metricQueries: 0,
    teamRequests: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const attempts = new Map<string, number>();
  /** The response that handed out each cursor, and each query's first cursor (for the cursor faults). */
  const issued = new Map<string, { readonly events: number; readonly body: Buffer }>();
  const firstCursor = new Map<string, string>();
  /** Under the `range` shuffle: each query's matching events (indices into `stored`) in the order served. */
  const shuffledRanges = new Map<string, readonly number[]>();
  let periodStart = Date.now();
  let periodCount = 0;
  let requestCounter = 0;
  let baseUrl = '';

  function rateLimitHeaders(now: number): Record<string, string> {
    if (now - periodStart >= rateLimit.periodSeconds * 1000) {
      periodStart = now;
      periodCount = 0;
    }
    periodCount++;
    const reset = Math.max(1, Math.ceil((periodStart + rateLimit.periodSeconds * 1000 - now) / 1000));
    return {
      'X-RateLimit-Limit': String(rateLimit.limit),
      'X-RateLimit-Period': String(rateLimit.periodSeconds),
      'X-RateLimit-Remaining': String(Math.max(0, rateLimit.limit - periodCount)),
      'X-RateLimit-Reset': String(reset),
      'X-RateLimit-Name': RATE_LIMIT_NAME,
    };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    sendJson(res, status, JSON.stringify(body), headers);
  }

  function sendJson(res: ServerResponse, status: number, text: string | Buffer, headers: Record<string, string>): void {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(typeof text === 'string' ? Buffer.byteLength(text) : text.length),
      ...headers,
    });
    res.end(text);
  }

  function parseSearch(req: IncomingMessage, url: URL, bodyText: string): SearchRequest {
    const now = Date.now();
    let filter: Record<string, unknown> = {};
    let page: Record<string, unknown> = {};
    let sort: unknown;
    if (req.method === 'POST') {
      let body: unknown = {};
      if (bodyText.trim() !== '') {
        try {
          body = JSON.parse(bodyText);
        } catch {
          throw new BadRequestError('Request body is not valid JSON');
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new BadRequestError('Body must be an object');
      const b = body as Record<string, unknown>;
      filter = (b.filter as Record<string, unknown>) ?? {};
      page = (b.page as Record<string, unknown>) ?? {};
      sort = b.sort;
      if (typeof filter !== 'object' || typeof page !== 'object') throw new BadRequestError('Invalid filter or page');
    } else {
      const q = url.searchParams;
      filter = { query: q.get('filter[query]') ?? undefined, from: q.get('filter[from]'), to: q.get('filter[to]') };
      const limitText = q.get('page[limit]');
      page = {
        cursor: q.get('page[cursor]') ?? undefined,
        limit: limitText === null ? undefined : /^-?\d+$/.test(limitText) ? Number(limitText) : limitText,
      };
      sort = q.get('sort') ?? undefined;
    }
    const limit = page.limit === undefined || page.limit === null ? DEFAULT_LIMIT : page.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new BadRequestError(`page[limit] must be an integer between 1 and ${MAX_LIMIT}`);
    }
    if (sort !== undefined && sort !== null && sort !== 'timestamp' && sort !== '-timestamp') {
      throw new BadRequestError('sort must be timestamp or -timestamp');
    }
    const query = filter.query === undefined || filter.query === null ? '*' : filter.query;
    if (typeof query !== 'string') throw new BadRequestError('filter.query must be a string');
    const cursor = page.cursor === undefined || page.cursor === null ? undefined : String(page.cursor);
    return {
      query,
      from: parseDatadogTime(filter.from, 'now-15m', now),
      to: parseDatadogTime(filter.to, 'now', now),
      // Datadog's search defaults to newest first.
      sort: (sort as 'timestamp' | '-timestamp' | undefined) ?? '-timestamp',
      cursor,
      limit,
    };
  }

  function nextLink(search: SearchRequest, after: string): string {
    const params = new URLSearchParams();
    params.set('sort', search.sort);
    params.set('filter[query]', search.query);
    params.set('filter[from]', new Date(search.from).toISOString());
    params.set('filter[to]', new Date(search.to).toISOString());
    params.set('page[cursor]', after);
    params.set('page[limit]', String(search.limit));
    return `${baseUrl}/api/v2/audit/events?${params.toString()}`;
  }

  /**
   * The faults every endpoint shares, decided by a hash of the request's identity and how often
   * it was asked, not by arrival order: latency and slow answers, 429s, an outage of part of the
   * time (`failRange`, against the request's `range`; a request without one, like the Teams API's,
   * is outside it), 503s and 200s of the wrong shape (`malformed` builds those bodies). `answered`
   * when one of them answered the request.
   */
  async function injectFaults(
    res: ServerResponse,
    current: EmulatorFaults,
    rl: Record<string, string>,
    requestKey: string,
    range: { readonly from: number; readonly to: number } | undefined,
    malformed: (shape: NonNullable<EmulatorFaults['malformedShape']>) => string,
  ): Promise<{ answered: boolean; roll: (what: string) => number; slow: number }> {
    const attempt = (attempts.get(requestKey) ?? 0) + 1;
    attempts.set(requestKey, attempt);
    const roll = (what: string): number => unitHash(seed, `${what}|${requestKey}|${attempt}`);
    const slow = current.slowRate && roll('slow') < current.slowRate ? (current.slowMs ?? 1000) : 0;
    await sleep((current.latencyMs ?? 0) + slow);
    const answer = (status: number, body: unknown, headers: Record<string, string> = rl) => {
      send(res, status, body, headers);
      return { answered: true, roll, slow };
    };

    if (current.always429) {
      return answer(
        429,
        { errors: ['Too many requests'] },
        { ...rl, 'X-RateLimit-Reset': String(current.resetSeconds ?? 1) },
      );
    }
    if (periodCount > rateLimit.limit) return answer(429, { errors: ['Too many requests'] });
    if (current.rate429 && roll('429') < current.rate429) {
      return answer(
        429,
        { errors: ['Too many requests'] },
        { ...rl, 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(current.resetSeconds ?? 1) },
      );
    }
    if (current.failRange && range && range.from < current.failRange.to && range.to > current.failRange.from) {
      return answer(503, { errors: ['Service Unavailable'] });
    }
    if (current.rate503 && roll('503') < current.rate503) return answer(503, { errors: ['Service Unavailable'] });
    if (current.malformedRate && roll('malformed') < current.malformedRate) {
      stats.byStatus[200] = (stats.byStatus[200] ?? 0) + 1;
      res.writeHead(200, { 'Content-Type': 'application/json', ...rl });
      res.end(malformed(current.malformedShape ?? 'data-null'));
      return { answered: true, roll, slow };
    }
    return { answered: false, roll, slow };
  }

  /** `POST /api/v2/query/scalar`: the metric of the stored events, with the shared faults and its own. */
  async function handleScalar(
    res: ServerResponse,
    bodyText: string,
    current: EmulatorFaults,
    rl: Record<string, string>,
  ): Promise<void> {
    stats.metricQueries++;
    if (current.metricsHang) return hang(res);
    if (current.metricsForbidden) {
      await sleep(current.latencyMs ?? 0);
      send(res, 403, { errors: ['Forbidden'] }, rl);
      return;
    }
    let request: ReturnType<typeof parseScalarRequest>;
    try {
      request = parseScalarRequest(bodyText);
    } catch (error) {
      if (!(error instanceof MetricsRequestError)) throw error;
      await sleep(current.latencyMs ?? 0);
      send(res, 400, { errors: [error.message] }, rl);
      return;
    }
    const { answered } = await injectFaults(res, current, rl, `scalar|${bodyText}`, request, malformedScalarBody);
    if (answered) return;
    const key = `${current.metricsEmpty === true}|${bodyText}`;
    let answer = scalarAnswers.get(key);
    if (answer === undefined) {
      answer = JSON.stringify(answerScalar(request, points, current.metricsEmpty));
      if (scalarAnswers.size < 256) scalarAnswers.set(key, answer);
    }
    sendJson(res, 200, answer, rl);
  }

  /** The Teams API: the teams passed in, with the shared faults and its own. */
  async function handleTeams(
    res: ServerResponse,
    url: URL,
    current: EmulatorFaults,
    rl: Record<string, string>,
  ): Promise<void> {
    stats.teamRequests++;
    if (current.teamsHang) return hang(res);
    if (current.teamsForbidden) {
      await sleep(current.latencyMs ?? 0);
      send(res, 403, { errors: ['Forbidden'] }, rl);
      return;
    }
    let request: ReturnType<typeof parseTeamsRequest>;
    try {
      request = parseTeamsRequest(url);
    } catch (error) {
      if (!(error instanceof TeamsRequestError)) throw error;
      await sleep(current.latencyMs ?? 0);
      send(res, error.status, { errors: [error.message] }, rl);
      return;
    }
    const { answered } = await injectFaults(
      res,
      current,
      rl,
      `teams|${url.pathname}${url.search}`,
      undefined,
      (shape) => malformedTeamsBody(request.kind, shape),
    );
    if (answered) return;
    let body: unknown;
    try {
      body = answerTeams(request, options.teams ?? [], `${baseUrl}${url.pathname}${url.search}`);
    } catch (error) {
      if (!(error instanceof TeamsRequestError)) throw error;
      send(res, error.status, { errors: [error.message] }, rl);
      return;
    }
    send(res, 200, body, rl);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const bodyText = await readBody(req);
    const now = Date.now();
    const rl = rateLimitHeaders(now);
    const current = faults;
    const latency = current.latencyMs ?? 0;

    if (current.redirectTo !== undefined) {
      await sleep(latency);
      sendJson(res, current.redirectStatus ?? 307, '', {
        Location: `${current.redirectTo.replace(/\/+$/, '')}${url.pathname}${url.search}`,
      });
      return;
    }
    const isSearch = req.method === 'POST' && url.pathname === '/api/v2/audit/events/search';
    const isList = req.method === 'GET' && url.pathname === '/api/v2/audit/events';
    const isScalar = req.method === 'POST' && url.pathname === SCALAR_PATH;
    const isTeams = req.method === 'GET' && isTeamsPath(url.pathname);
    if (answerKeyValidation(req, url.pathname, apiKey, (status, body) => send(res, status, body, rl))) return;
    if (!isSearch && !isList && !isScalar && !isTeams) {
      await sleep(latency);
      send(res, 404, { errors: ['Not found'] }, {});
      return;
    }
    // Datadog answers 403 Forbidden for a missing or wrong key alike (the spec lists no 401 here).
    if (header(req, 'dd-api-key') !== apiKey || header(req, 'dd-application-key') !== appKey) {
      await sleep(latency);
      send(res, 403, { errors: ['Forbidden'] }, rl);
      return;
    }
    const scope = scopeOfRequest(req.method, url.pathname);
    if (scope !== undefined && appKeyScopes !== undefined && !appKeyScopes.includes(scope)) {
      await sleep(latency);
      send(res, 403, { errors: ['Forbidden'] }, rl);
      return;
    }
    if (isScalar) {
      await handleScalar(res, bodyText, current, rl);
      return;
    }
    if (isTeams) {
      await handleTeams(res, url, current, rl);
      return;
    }
    let search: SearchRequest;
    let matcher: Matcher;
    try {
      search = parseSearch(req, url, bodyText);
      matcher = parseQuery(search.query);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      await sleep(latency);
      send(res, 400, { errors: [error.message] }, rl);
      return;
    }

    const key = `${search.query}|${search.from}|${search.to}|${search.sort}|${search.limit}`;
    const requestKey = `${key}|${search.cursor ?? ''}`;
    const { answered, roll, slow } = await injectFaults(res, current, rl, requestKey, search, (shape) =>
      shape === 'null'
        ? 'null'
        : shape === 'not-json'
          ? '<html><body>Gateway says hello</body></html>'
          : JSON.stringify(
              shape === 'data-null'
                ? { data: null, meta: { status: 'done' } }
                : shape === 'data-object'
                  ? { data: { events: [] }, meta: { status: 'done' } }
                  : { data: [], meta: { page: { after: 12345 } } },
            ),
    );
    if (answered) return;
    if (current.cursorFault === 'repeat-page' && search.cursor !== undefined) {
      const previous = issued.get(search.cursor);
      if (previous) {
        stats.eventsServed += previous.events;
        sendJson(res, 200, previous.body, rl);
        return;
      }
    }

    const ascending = search.sort === 'timestamp' && !current.ignoreSort;
    const first = lowerBound(times, search.from);
    const last = options.inclusiveTo ? upperBound(times, search.to) : lowerBound(times, search.to); // exclusive
    // Under the `range` shuffle a cursor's position counts in the query's shuffled matches, else in `stored`.
    let servedOrder: readonly number[] | undefined;
    if (current.shuffle === 'range') {
      servedOrder = shuffledRanges.get(key);
      if (servedOrder === undefined) {
        const matches: number[] = [];
        for (let i = first; i < last; i++) if (matcher((stored[i] as StoredEvent).event)) matches.push(i);
        servedOrder = shuffled(matches, unitHash(seed, `shuffle|${key}`));
        shuffledRanges.set(key, servedOrder);
      }
    }
    let position: number;
    if (search.cursor !== undefined) {
      let decoded: { p: number; k: string };
      try {
        decoded = decodeCursor(search.cursor);
        if (decoded.k !== unitHash(0, key).toString(36)) throw new BadRequestError('Cursor does not match the query');
      } catch (error) {
        if (!(error instanceof BadRequestError)) throw error;
        send(res, 400, { errors: [error.message] }, rl);
        return;
      }
      position = decoded.p;
    } else {
      position = servedOrder ? 0 : ascending ? first : last - 1;
    }

    // Collect up to `limit` matches from `position` in sort order.
    let want = search.limit;
    const shortPage = current.shortPageRate && roll('short') < current.shortPageRate;
    const timeout = current.timeoutRate && roll('timeout') < current.timeoutRate;
    if (shortPage) want = Math.max(1, Math.floor(want * roll('short-size')));
    const data: StoredEvent[] = [];
    const step = ascending ? 1 : -1;
    let p = position;
    if (servedOrder) {
      for (; data.length < want && p < servedOrder.length; p++)
        data.push(stored[servedOrder[p] as number] as StoredEvent);
    } else {
      while (data.length < want && (ascending ? p < last : p >= first)) {
        const s = stored[p] as StoredEvent;
        if (matcher(s.event)) data.push(s);
        p += step;
      }
    }
    // A timed-out query returns part of the page, and the cursor goes past what it did not return.
    const kept = timeout ? data.slice(0, Math.floor(data.length / 2)) : data;
    const served = current.shuffle === 'page' ? shuffled(kept, unitHash(seed, `shuffle|${requestKey}`)) : kept;
    if (served.length === 0 && !timeout) {
      // The real API's last page: `{"data":[]}`, no `meta`, no `links`.
      send(res, 200, { data: [] }, rl);
      return;
    }
    stats.eventsServed += served.length;
    let after = encodeCursor({ p, k: unitHash(0, key).toString(36) });
    if (current.cursorFault === 'cycle' && search.cursor !== undefined) {
      // The first cursor of this query (A) leads on to the real next cursor (B); every other one back to A.
      const a = firstCursor.get(key);
      if (a !== undefined && search.cursor !== a) after = a;
    }
    if (current.cursorFault === 'cycle' && search.cursor === undefined && !firstCursor.has(key)) {
      firstCursor.set(key, after);
    }
    const meta: Record<string, unknown> = {
      elapsed: latency + slow,
      page: { after },
      request_id: `req-${(++requestCounter).toString(36)}`,
      status: timeout ? 'timeout' : 'done',
    };
    if (current.warningRate && roll('warning') < current.warningRate) {
      meta.warnings = [
        {
          code: 'unknown_index',
          detail: 'indexes: audit-archive',
          title: 'One or more indexes are missing or invalid',
        },
      ];
    }
    // JSON.stringify of `{ data, meta, links }` as UTF-8, from each event's bytes made once.
    const parts: Buffer[] = [DATA_OPEN];
    served.forEach((s, i) => {
      if (i > 0) parts.push(COMMA);
      s.bytes ??= Buffer.from(JSON.stringify(s.event));
      parts.push(s.bytes);
    });
    parts.push(
      Buffer.from(`],"meta":${JSON.stringify(meta)},"links":${JSON.stringify({ next: nextLink(search, after) })}}`),
    );
    const body = Buffer.concat(parts);
    if (current.cursorFault === 'repeat-page') issued.set(after, { events: served.length, body });
    sendJson(res, 200, body, rl);
  }

  const server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.on('close', () => {
      stats.inFlight--;
    });
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: [`Emulator error: ${String(error)}`] }, {});
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    apiKey,
    appKey,
    stats,
    setFaults(next: EmulatorFaults) {
      faults = { ...next };
      attempts.clear();
      issued.clear();
      firstCursor.clear();
      shuffledRanges.clear();
    },
    setAppKeyScopes(scopes) {
      appKeyScopes = scopes;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(arg('seed') ?? 1);
  const scenario = generateScenario({ seed, end: new Date(arg('end') ?? Date.now()) });
  startDatadogEmulator({
    events: [...scenario.baseline, ...scenario.window],
    teams: scenario.teams,
    port: Number(arg('port') ?? 0),
    seed,
    latencyMs: Number(arg('latency') ?? 0),
  }).then(
    (emulator) => {
      console.log(emulator.url);
      console.error(
        `Datadog audit emulator: ${scenario.window.length} window + ${scenario.baseline.length} baseline events ` +
          `(and their datadog.mcp.tool.usage metric at ${SCALAR_PATH}; teams ${scenario.teams.map((t) => t.handle).join(', ')} at /api/v2/team); ` +
          `DD_API_URL=${emulator.url} DD_API_KEY=${emulator.apiKey} DD_APP_KEY=${emulator.appKey}`,
      );
      const stop = (): void => {
        void emulator.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`Datadog audit emulator failed to start: ${String(error)}`);
      process.exit(1);
    },
  );
}
