/**
 * The small interfaces between the job and the outside world. The handler builds one real
 * adapter for each, once per cold start; tests point the same adapters at local emulators.
 */
import type { KnownBlock } from '@slack/types';
import type { TimeRange } from './core/time';
import type { Activity, McpUsageData, Mergeable, Summary } from './core/types';

/**
 * The job's one logger: one structured (JSON) line per call, never a secret or a raw payload in
 * `extra`. The handler adapts Powertools' Logger to it; tests collect the lines.
 */
export interface Logger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface FetchOptions {
  /** Epoch ms after which no new request or sleep may start; the fetch then stops with `complete: false`. */
  readonly deadline?: number;
  /**
   * How many events the range probably holds (from the archived weeks before it): lets the source
   * cut a quiet range into fewer time slices, and so spend fewer requests of the org's rate limit.
   */
  readonly expectedEvents?: number;
  /**
   * The range may well be empty and nothing says how busy it is (a baseline with no archived
   * weeks): ask once over the whole range before cutting it into slices, so an empty or quiet
   * range costs one request instead of one per slice. Ignored with `expectedEvents`.
   */
  readonly probeFirst?: boolean;
  /**
   * What AI activity to read (core/activity.ts): `all`, MCP tool calls, actions taken through the
   * MCP server and Datadog AI agents' events, in one query; `mcp`, the seed's query alone.
   * @default 'mcp'
   */
  readonly activity?: Activity;
}

/** Bounds one outgoing call: it is abandoned (and fails) at `deadline`, epoch ms. */
export interface CallOptions {
  readonly deadline?: number;
}

/** Where MCP audit events come from (Datadog Audit Trail in production). */
export interface AuditEventSource {
  /**
   * Feeds every AI audit event of `options.activity` (MCP server tool calls by default) with a timestamp in `[from, to)` into partials made by
   * `create` (one per time slice) and returns them merged. A slice that could not be read
   * completely is marked incomplete with the reason; authentication errors throw.
   */
  collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, options?: FetchOptions): Promise<T>;
}

/** The time ranges of one report that the MCP usage metric is read over. */
export interface McpUsageRanges {
  readonly window: TimeRange;
  /** The week-over-week comparison range. */
  readonly previous?: TimeRange;
  /** The baseline, for `new_client`. */
  readonly baseline?: TimeRange;
}

/** Where MCP tool and client usage comes from (Datadog's `datadog.mcp.tool.usage` metric in production). */
export interface McpUsageSource {
  /**
   * Calls by tool, client and caller over each range. Never throws: a range that could not be
   * read comes back `unavailable` with the reason, since the audit report stands without it.
   */
  usage(ranges: McpUsageRanges, options?: FetchOptions): Promise<McpUsageData>;
}

/** One member of a Datadog team, as the Teams API names them (the user's id is what audit events carry as `usr.id`). */
export interface TeamMember {
  readonly userId: string;
  readonly email?: string;
  readonly name?: string;
  readonly handle?: string;
}

/** A team handle resolved to the team and every one of its members at the time of the run. */
export interface ResolvedTeam {
  /** The team's handle as Datadog spells it. */
  readonly handle: string;
  readonly id: string;
  /** The team's display name. */
  readonly name: string;
  readonly members: readonly TeamMember[];
}

/** Who belongs to which team (Datadog Teams in production), for reports scoped to teams. */
export interface TeamDirectory {
  /**
   * Every member of each team handle (exact handle match). Throws TeamResolutionError naming
   * every handle it could not resolve and why: a scoped report must never widen to the whole org.
   */
  resolve(handles: readonly string[], options?: CallOptions): Promise<ResolvedTeam[]>;
}

/** The rendered report, one value per medium. */
export interface RenderedReport {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** `chat.postMessage` arguments without the token: `{channel, text, blocks, unfurl_links: false}`. */
  readonly slack: SlackMessage;
  readonly summary: Summary;
}

export interface SlackMessage {
  readonly channel: string;
  readonly text: string;
  readonly blocks: readonly KnownBlock[];
  readonly unfurl_links: false;
  readonly unfurl_media?: false;
}

export interface EmailMessage {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface EmailSender {
  /** Sends to every configured recipient (split into messages of at most 50). Throws on any SES error or at the deadline. */
  send(message: EmailMessage, options?: CallOptions): Promise<{ readonly messageIds: readonly string[] }>;
}

export interface SlackSender {
  /** Posts the message; honours 429 `Retry-After` until `deadline`; throws a clear error otherwise or at the deadline. */
  post(message: SlackMessage, options?: CallOptions): Promise<{ readonly ts: string }>;
}

/** What `DeliveryLedger.claim` found. */
export type ClaimResult = 'claimed' | 'delivered' | 'in_progress';

/**
 * Remembers which channel of which report was delivered, so a retry never sends it twice, and
 * lets only one of two concurrent invocations send a channel: claim → send → recordDelivered,
 * or release after a failed send so the next attempt retries.
 */
export interface DeliveryLedger {
  /**
   * Claims `key` until `leaseUntil` (epoch ms): `claimed` when this caller may send now;
   * `delivered` when it was recorded as delivered; `in_progress` when another caller holds an
   * unexpired claim.
   */
  claim(key: string, leaseUntil: number, options?: CallOptions): Promise<ClaimResult>;
  /** Records `key` as delivered (after a successful send). */
  recordDelivered(key: string, detail: Readonly<Record<string, string>>, options?: CallOptions): Promise<void>;
  /** Drops this caller's claim on `key` after a failed send, so the next attempt sends it. */
  release(key: string, options?: CallOptions): Promise<void>;
}

/**
 * Where the report archive lives: keys and bytes, nothing else (S3 in production, a local
 * directory for the CLI). The archive's layout and formats are archive/report-archive.ts.
 */
export interface BlobStore {
  /** Where it is, for messages: `s3://bucket/prefix` or a directory path. */
  readonly location: string;
  /** Every key under `prefix`, in no particular order. */
  list(prefix: string, options?: CallOptions): Promise<string[]>;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string, options?: CallOptions): Promise<Uint8Array | undefined>;
  /** Writes (or overwrites) `key`. */
  put(key: string, body: Uint8Array, contentType: string, options?: CallOptions): Promise<void>;
}

/** Credentials, from one Secrets Manager secret. */
export interface Credentials {
  readonly ddApiKey: string;
  readonly ddAppKey: string;
  readonly slackBotToken?: string;
}
