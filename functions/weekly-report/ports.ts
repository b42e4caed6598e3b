/**
 * The small interfaces between the job and the outside world. The handler builds one real
 * adapter for each, once per cold start; tests point the same adapters at local emulators.
 */
import type { KnownBlock } from '@slack/types';
import type { TimeRange } from './core/time';
import type { Activity, McpUsageData, Mergeable, Summary } from './core/types';
import type { TeamsMessage } from './render/adaptive-card';

export type { TeamsMessage };

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
  /** The channel post and its thread (`slack.json`: `{"post": args, "thread": [args, …]}`). */
  readonly slack: SlackReport;
  /** The Teams workflow webhook's body: an Adaptive Card message within Teams' size limit (render/teams-card.ts). */
  readonly teams: TeamsMessage;
  readonly summary: Summary;
}

/** `chat.postMessage` arguments without the token: `{channel, text, blocks, unfurl_links: false}`. */
export interface SlackMessage {
  readonly channel: string;
  readonly text: string;
  readonly blocks: readonly KnownBlock[];
  readonly unfurl_links: false;
  readonly unfurl_media?: false;
}

/**
 * A report in Slack: the channel post, short, and the replies in its thread (one, holding
 * everything else). A reply's `thread_ts` is the post's `ts`, known only once the post is sent:
 * the sender adds it (SlackPostOptions.threadTs).
 */
export interface SlackReport {
  readonly post: SlackMessage;
  readonly thread: readonly SlackMessage[];
}

export interface EmailMessage {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface EmailSender {
  /** Every recipient, in order (the ledger's messages name them when an answer was lost). */
  readonly recipients: readonly string[];
  /**
   * Sends to every recipient (split into messages of at most 50). Throws EmailDeliveryError on
   * any SES error or at the deadline; `answerLost` when SES may have taken a message whose answer
   * never came (the SDK never retries such a request, so it is sent at most once).
   */
  send(message: EmailMessage, options?: CallOptions): Promise<{ readonly messageIds: readonly string[] }>;
}

/**
 * What a Slack post carries as message metadata so that a later run can find it again: which
 * report and which window (docs/delivery.md has the exact shape).
 */
export interface SlackPostTag {
  /** The report's key (its ledger items are `{report}:{windowTo}:{channel}`). */
  readonly report: string;
  readonly windowFrom: string;
  readonly windowTo: string;
}

export interface SlackPostOptions extends CallOptions {
  /** Sent as the post's message metadata. */
  readonly tag?: SlackPostTag;
  /**
   * Posts a reply in the thread of the post of this `ts`; its metadata then says it is the
   * report's thread reply (a lookup of the post never takes it for the post).
   */
  readonly threadTs?: string;
}

/** What a look through a channel's history found. */
export interface SlackLookup {
  /** The `ts` of the post carrying the tag, when there is one. */
  readonly ts?: string;
  /** History pages read and messages seen (for the log). */
  readonly pages: number;
  readonly messages: number;
}

export interface SlackSender {
  /**
   * Posts the message, never twice: the client retries only what cannot have reached Slack (a
   * refused connection, a failed DNS lookup); honours 429 `Retry-After` until `deadline`. Throws
   * SlackDeliveryError, with `answerLost` when the post may have gone out but no answer said so.
   */
  post(message: SlackMessage, options?: SlackPostOptions): Promise<{ readonly ts: string }>;
  /**
   * Looks through `channel`'s history from `oldest` (epoch ms) for a post carrying `tag`
   * (`conversations.history`, `include_all_metadata`, paging until found, the history's end or
   * `deadline`). Throws when the history cannot be read to its end (a missing scope, the deadline).
   */
  find(channel: string, tag: SlackPostTag, oldest: number, options?: CallOptions): Promise<SlackLookup>;
  /**
   * Looks through the replies of the thread of `threadTs` from `oldest` (epoch ms) for the report's
   * thread reply carrying `tag` (`conversations.replies`, `include_all_metadata`, paging as `find`).
   */
  findReply(
    channel: string,
    threadTs: string,
    tag: SlackPostTag,
    oldest: number,
    options?: CallOptions,
  ): Promise<SlackLookup>;
}

/**
 * Posts the report's card to one Microsoft Teams channel through its workflow webhook (Teams
 * "Workflows": "Post to a channel when a webhook request is received"). A webhook has no look-up,
 * so a post whose answer was lost is never repeated by the sender, and never found again later.
 */
export interface TeamsSender {
  /** The channel's name in the report definition and the secret (`teamsWebhooks.<channel>`), for messages. */
  readonly channel: string;
  /**
   * Posts the message once: retries only what cannot have reached the workflow (a refused
   * connection, a failed DNS lookup) and a 429 whose `Retry-After` ends before `deadline`. Throws
   * a ChannelDeliveryError (`teams`) naming the fix, with `answerLost` when the post may have been
   * taken (a 5xx, a timeout, a dropped connection); never quoting the webhook's URL.
   */
  post(message: TeamsMessage, options?: CallOptions): Promise<{ readonly status: number }>;
}

/** A send whose outcome is unknown: it may have happened, but its answer was lost (or its sender died). */
export interface LostAnswer {
  /** When the first such send began (epoch ms, its claim): no trace of it can be older. */
  readonly since: number;
  /** What the run that lost the answer recorded (`error`, …); empty when its sender died. */
  readonly detail: Readonly<Record<string, string>>;
}

/** What `DeliveryLedger.claim` found. */
export type ClaimResult =
  /** This caller may send now; with `lost` when it took over a send whose outcome is unknown. */
  | { readonly status: 'claimed'; readonly lost?: LostAnswer }
  /** Recorded delivered; `detail` is what the run that delivered it recorded (a Slack post's `ts`). */
  | { readonly status: 'delivered'; readonly detail?: Readonly<Record<string, string>> }
  /** Another caller holds an unexpired claim. */
  | { readonly status: 'in_progress' }
  /** An earlier send may have happened (not taken: `takeUnknown` was not set). */
  | { readonly status: 'unknown'; readonly lost: LostAnswer };

export interface ClaimOptions extends CallOptions {
  /**
   * Take a key whose outcome is unknown (→ `claimed` with `lost`), for a caller that will look
   * for the earlier send first or was told to send it again on purpose.
   */
  readonly takeUnknown?: boolean;
}

/**
 * Remembers which channel of which report was delivered, so a retry never sends it twice, and
 * lets only one of two concurrent invocations send a channel: claim → send → recordDelivered;
 * release after a send that certainly did not happen, so the next attempt sends it;
 * recordUnknown after a send that may have happened but whose answer was lost, so no later
 * attempt sends it blindly. A claim whose lease lapsed (its holder died mid-send) is unknown too.
 */
export interface DeliveryLedger {
  /**
   * Claims `key` until `leaseUntil` (epoch ms): `claimed` when this caller may send now;
   * `delivered` when it was recorded as delivered; `in_progress` when another caller holds an
   * unexpired claim; `unknown` when an earlier send's outcome is unknown (unless `takeUnknown`).
   */
  claim(key: string, leaseUntil: number, options?: ClaimOptions): Promise<ClaimResult>;
  /** Records `key` as delivered (after a successful send, or after finding the earlier one). */
  recordDelivered(key: string, detail: Readonly<Record<string, string>>, options?: CallOptions): Promise<void>;
  /** Records that this caller's send of `key` may have happened but its answer was lost. */
  recordUnknown(key: string, detail: Readonly<Record<string, string>>, options?: CallOptions): Promise<void>;
  /**
   * Drops this caller's claim on `key` after a send that did not happen, so the next attempt
   * sends it; a claim taken over an unknown outcome goes back to unknown.
   */
  release(key: string, options?: CallOptions): Promise<void>;
}

/** How one object is read from a BlobStore. */
export interface BlobGetOptions extends CallOptions {
  /**
   * The largest object the caller takes, in bytes: a larger one is refused (BlobTooLargeError)
   * from its size alone, before its body is read, so a huge object never reaches memory.
   */
  readonly maxBytes?: number;
}

/** The object is larger than the caller's `maxBytes`: nothing of it was read. */
export class BlobTooLargeError extends Error {
  constructor(
    readonly key: string,
    /** Its size in bytes, or at least this many when the store did not say (its body ran past the cap). */
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      `${key} is ${size.toLocaleString('en-US')} bytes or more, over the cap of ${maxBytes.toLocaleString('en-US')}`,
    );
    this.name = 'BlobTooLargeError';
  }
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
  /**
   * The object's bytes, or undefined when there is no such key. With `maxBytes`, a larger object
   * throws BlobTooLargeError, checked on its size (S3's ContentLength, the file's size) before its
   * body is read, and again while reading it.
   */
  get(key: string, options?: BlobGetOptions): Promise<Uint8Array | undefined>;
  /** Writes (or overwrites) `key`. */
  put(key: string, body: Uint8Array, contentType: string, options?: CallOptions): Promise<void>;
}

/** Credentials, from one Secrets Manager secret. */
export interface Credentials {
  readonly ddApiKey: string;
  readonly ddAppKey: string;
  readonly slackBotToken?: string;
  /** The secret's `teamsWebhooks` map, each entry checked on its own (a bad one fails only its Teams channel). */
  readonly teamsWebhooks?: TeamsWebhooks;
}

/** Microsoft Teams workflow webhook URLs by channel name (`teamsWebhooks` in the secret). */
export interface TeamsWebhooks {
  /** The usable URLs (https; plain http only to a loopback stand-in), by channel name. */
  readonly urls: Readonly<Record<string, string>>;
  /** What is wrong with each unusable entry, by channel name (never its value). */
  readonly problems: Readonly<Record<string, string>>;
  /** The map itself is unusable (not an object of URLs): what is wrong. */
  readonly problem?: string;
}

/**
 * Makes and checks MACs with a key that never leaves its keeper (a KMS HMAC key in production,
 * adapters/kms-mac.ts): the report archive's weeks are sealed with it (archive/manifest.ts).
 */
export interface MacSigner {
  /** The key as configured (an ARN, key id or alias), for messages. */
  readonly keyId: string;
  /** The key's MAC of `message` (HMAC-SHA-256), and the key's ARN as the keeper names it. */
  sign(message: Uint8Array, options?: CallOptions): Promise<{ readonly mac: Uint8Array; readonly keyArn: string }>;
  /**
   * True when `mac` is the key's MAC of `message`, false when it is not. Throws MacKeyError when
   * it cannot tell (the keeper unreachable, access denied, the key disabled or unknown).
   */
  verify(message: Uint8Array, mac: Uint8Array, options?: CallOptions): Promise<boolean>;
}

/** The MAC key could not be used: a message naming the key and the fix (never the message MACed). */
export class MacKeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MacKeyError';
  }
}
