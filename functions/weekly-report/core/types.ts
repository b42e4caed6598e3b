/**
 * Types of the pure core: the normalized call record, the report settings, and the
 * summary JSON (schema 1, see DESIGN.md "Summary JSON"). No I/O lives here.
 */

import type { DataGap, SummaryGap } from './gaps';
import type { IsoRange, TimeRange } from './time';

/** What every missing or unusable field becomes, so nothing is dropped. */
export const UNKNOWN = '(unknown)';
/** The action/resource of a flag that covers many calls (a `high_volume` burst). */
export const MULTIPLE = '(multiple)';
/** The `evt.name` of an MCP server tool call (the seed's query `@evt.name:"MCP Server"`). */
export const MCP_EVENT_NAME = 'MCP Server';
/** Who acted when a Datadog AI agent's event does not say its name (the attribute is not documented). */
export const UNNAMED_AGENT = 'unnamed agent';

/**
 * What a report reads of the AI activity Datadog records (docs/ai-activity.md): `all` (the
 * default), the three kinds of AI_KINDS; `mcp`, the seed's query alone (`@evt.name:"MCP Server"`),
 * exactly the report as it was before the other kinds were read.
 */
export const ACTIVITIES = ['all', 'mcp'] as const;
export type Activity = (typeof ACTIVITIES)[number];

/**
 * The kinds of AI activity in Audit Trail (Datadog's guide "Track Agentic Usage in Your
 * Organization"), in the order an event is counted under the first that applies:
 * `mcp_tool_call`, an MCP server tool call (`@evt.name:"MCP Server"`, the seed's query);
 * `mcp_action`, an action taken through the MCP server on any product (`is_mcp_call:true`);
 * `agent_action`, an action of a Datadog AI agent (`@evt.actor.mode:*`).
 */
export const AI_KINDS = ['mcp_tool_call', 'mcp_action', 'agent_action'] as const;
export type AiKind = (typeof AI_KINDS)[number];

/** One MCP tool call, normalized from a raw Datadog audit event. */
export interface CallRecord {
  /** The event's `id` as text; absent when it has none usable (malformed events are counted, never de-duplicated). */
  readonly id?: string;
  /** Epoch milliseconds from the outer `attributes.timestamp`; NaN when absent or unparsable. */
  readonly time: number;
  /** Stable key of the responsible person: delegator first, by id → email → name. */
  readonly personKey: string;
  /** How the person is shown: email → name → id, or `(unknown)`. */
  readonly person: string;
  /** True when an AI agent acted on behalf of the person (`delegator` present). */
  readonly delegated: boolean;
  readonly actorType: string;
  /** `evt.actor.mode`: `interactive` or `autonomous` when a Datadog AI agent acted, else `(unknown)`. */
  readonly actorMode: string;
  /**
   * The agent of an AI agent's event (a mode present): `evt.actor.name`, else the `usr` it acted
   * as when it acted for a delegator or autonomously, else UNNAMED_AGENT; `(unknown)` otherwise.
   */
  readonly agentName: string;
  /** The event carries `is_mcp_call: true`, as an attribute or as a tag: it was taken through the MCP server. */
  readonly mcpCall: boolean;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly resourceName: string;
  readonly clientIp: string;
  /** Country name, or `(unknown)`. Unknown countries never trigger `new_country`. */
  readonly country: string;
  /** Name of the event (`evt.name`), to tell MCP calls from other audit events. */
  readonly eventName: string;
  /** False when the event was not an object of the expected shape (it still counts). */
  readonly wellFormed: boolean;
}

/** A partial result that takes audit events and combines with others of its kind. */
export interface Mergeable<T> {
  /**
   * Adds one audit event, normalized (normalize.ts) from a `data[]` item of a search
   * response. The record may be reused for the next event once this returns: copy what is kept.
   * Never throws.
   */
  addRecord(record: CallRecord): void;
  /** Folds `other` into this one and returns this. Associative: any slicing gives the same result. */
  merge(other: T): T;
  /**
   * Records that the data this partial saw is incomplete: the cause and the time range it cost
   * (a gap), or a free-text reason without a range. Shown in the report, grouped by cause.
   */
  markIncomplete(reason: string | DataGap): void;
}

export type Severity = 'high' | 'medium' | 'low';

export const ANOMALY_KINDS = [
  'destructive_action',
  'support_user',
  'first_time_user',
  'high_volume',
  'out_of_scope',
  'new_country',
  'new_client',
  'autonomous_change',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
/** Rules that exist only when the report reads more than the seed's MCP tool calls (`activity: all`). */
export const ACTIVITY_KINDS: readonly AnomalyKind[] = ['autonomous_change'];

/** Rules that compare the window with the audit baseline and so need one. */
export const BASELINE_KINDS: readonly AnomalyKind[] = ['first_time_user', 'out_of_scope', 'new_country'];

export interface Thresholds {
  /** `high_volume` fires above this many calls (so at burstCalls + 1) within `burstMinutes`. @default 100 */
  readonly burstCalls: number;
  /** @default 10 */
  readonly burstMinutes: number;
  /** `out_of_scope` only for people with at least this many baseline calls. @default 20 */
  readonly scopeMinBaselineCalls: number;
  /** `destructive_action` is `high` on these resource types, else `medium`. @default ['monitor','dashboard'] */
  readonly highSeverityResourceTypes: readonly string[];
  /** Severity of a `new_client` flag. @default 'low' */
  readonly newClientSeverity: Severity;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  burstCalls: 100,
  burstMinutes: 10,
  scopeMinBaselineCalls: 20,
  highSeverityResourceTypes: ['monitor', 'dashboard'],
  newClientSeverity: 'low',
};

/** Drops flags of `kind` whose other given fields all match (exact, case-insensitive for user and client). */
export interface SuppressRule {
  readonly kind: AnomalyKind;
  readonly user?: string;
  readonly resource_type?: string;
  readonly action?: string;
  /** The MCP client of a `new_client` flag (a rule with it matches no other kind's flags). */
  readonly client?: string;
  /** The Datadog AI agent of a flag (case-insensitive; a rule with it matches only flags of an agent's event). */
  readonly agent?: string;
}

/**
 * An exception (the `exceptions` setting): accepts, until `expires`, the flags it matches as a
 * suppress rule would match them (kind plus any of user, resource_type, action, client, agent),
 * naming who accepted them and why. A group all of whose flags an exception accepts is not a
 * card: the report says "N accepted (owner, until date)". From the day after `expires` it stops
 * matching, and the group says the exception expired (docs/triage.md).
 */
export interface ExceptionRule extends SuppressRule {
  /** Who accepted it (an e-mail or a team), shown with the group. */
  readonly owner: string;
  readonly reason: string;
  /** The last day it holds, `YYYY-MM-DD`, a calendar day in the report's zone. */
  readonly expires: string;
}

/**
 * What the analysis of a report reads of its definition (config/report-definition.ts extends it):
 * whose report it is, its zone and site, and how flags are raised. A setting the core reads is
 * declared here once, parsed once (config/parse-reports.ts), and read where it is used.
 */
export interface AnalysisSettings {
  readonly org: string;
  /** IANA zone of the calendar days in `daily_calls`. @default 'UTC' */
  readonly timezone: string;
  /** Datadog site, for the deep links. @default 'datadoghq.com' */
  readonly site: string;
  readonly thresholds: Thresholds;
  readonly suppress: readonly SuppressRule[];
  /** @default 5 (the seed's `.[:5]`) */
  readonly topUsers: number;
  /** How many of the newest changes `changes.items` keeps. @default 200 */
  readonly changesLimit: number;
  /**
   * What AI activity the report reads and counts: `all` (MCP tool calls, actions taken through
   * the MCP server, Datadog AI agents) or `mcp` (the seed's query alone). Optional, so settings
   * written before it existed stay valid. @default 'all'
   */
  readonly activity?: Activity;
  /**
   * Accepted groups of flags, each until a date (docs/triage.md). Optional, so settings written
   * before it existed stay valid. @default []
   */
  readonly exceptions?: readonly ExceptionRule[];
}

/** The defaults of every analysis setting but the org: the one place they are written. */
export const ANALYSIS_DEFAULTS: Required<Omit<AnalysisSettings, 'org'>> = {
  timezone: 'UTC',
  site: 'datadoghq.com',
  thresholds: DEFAULT_THRESHOLDS,
  suppress: [],
  topUsers: 5,
  changesLimit: 200,
  activity: 'all',
  exceptions: [],
};

/** Report settings with the defaults (ANALYSIS_DEFAULTS) for everything not given (the CLI, tests). */
export function reportSettings(given: Partial<ReportSettings> & Pick<ReportSettings, 'org'>): ReportSettings {
  return { ...ANALYSIS_DEFAULTS, ...given };
}

/** The analysis settings of one run: the report's, and what this run is about. */
export interface ReportSettings extends AnalysisSettings {
  /** The report window; when absent (CLI without --from/--to) the data's own span is used. */
  readonly window?: TimeRange;
  /** The baseline window that was asked for (for reporting), when a baseline is given. */
  readonly baselineWindow?: TimeRange;
  /** A scoped report's scope ("team sre"): shown in its title and subject. Absent: the whole org. */
  readonly scopeLabel?: string;
}

export interface AnomalyFlag {
  readonly kind: AnomalyKind;
  readonly severity: Severity;
  /** ISO time of the (first) call that raised the flag. */
  readonly timestamp: string;
  readonly user: string;
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string;
  /** Calls the flag covers (1 for per-event flags). */
  readonly count: number;
  readonly detail: string;
  /**
   * Datadog deep link narrowed to the person/resource and time range: Audit Trail, or for a
   * `new_client` flag the Metrics Explorer on `datadog.mcp.tool.usage`.
   */
  readonly link: string;
  /** The MCP client, on `new_client` flags only. */
  readonly client?: string;
  /** The Datadog AI agent that acted and its mode, on flags of an agent's event (`activity: all` only). */
  readonly agent?: string;
  readonly mode?: string;
}

/** How a group of flags stands against the previous week's report (docs/triage.md). */
export type GroupStatus = 'new' | 'recurring';

/** What an exception that accepts (or accepted) a group says: who, why, until when. */
export interface GroupException {
  readonly owner: string;
  readonly reason: string;
  /** `YYYY-MM-DD`, the exception's last day. */
  readonly expires: string;
}

/**
 * Flags of one kind for one person (and, where the rule has one, the same resource type, country
 * or client) form one group: one card, one Slack line, one text line. Its `id` is stable across
 * weeks (docs/triage.md "Group identity"), so a group is `new` or `recurring` against the
 * previous week's report.
 */
export interface AnomalyGroup {
  /** 16 hexadecimal digits of sha256 of the kind, the person's key and the rule's qualifier. */
  readonly id: string;
  readonly kind: AnomalyKind;
  /** The person as shown (email, else name, else id; an agent acting for nobody is the agent). */
  readonly person: string;
  /** The rule's qualifier, for the kinds that have one: out_of_scope's resource type, new_country's country, new_client's client. */
  readonly resource_type?: string;
  readonly country?: string;
  readonly client?: string;
  /** The highest severity of its flags. */
  readonly severity: Severity;
  /** Why it has that severity, in words. */
  readonly severity_reason: string;
  /** Events the group covers (the sum of its flags' counts). */
  readonly count: number;
  /** Its flags (a burst, a deletion, …). */
  readonly flags: number;
  /** ISO time of its first and last flagged event (`(unknown)` without a usable time). */
  readonly first: string;
  readonly last: string;
  /** The resource types of its flags with how many flags each, most first (the first 10). */
  readonly resource_types: ReadonlyArray<{ readonly type: string; readonly count: number }>;
  /** Its distinct resources: how many, and the first few. */
  readonly resources: {
    readonly total: number;
    readonly items: ReadonlyArray<{ readonly type: string; readonly id: string; readonly name?: string }>;
  };
  readonly status: GroupStatus;
  /** Consecutive weekly reports it was flagged in, this one included (1 when new). */
  readonly weeks: number;
  /** Datadog (Audit Trail, or the Metrics Explorer for new_client) on exactly its events. */
  readonly link: string;
  /** The flag's own detail, for a group of one flag (a first use, a new country: why it was flagged). */
  readonly detail?: string;
  /** The Datadog AI agent of an agent's flags, when all of them name the same one. */
  readonly agent?: string;
  /** Set when exceptions accept every flag of it: it is not a card, only counted as accepted. */
  readonly accepted?: GroupException;
  /** Set when an exception that matched it has expired (and none accepts it now). */
  readonly exception_expired?: GroupException;
}

/** A group flagged in the previous week's report and not in this one. */
export interface ResolvedGroup {
  readonly id: string;
  readonly kind: AnomalyKind;
  readonly person: string;
  readonly severity: Severity;
  /** Consecutive weeks it had been flagged, up to the previous week. */
  readonly weeks: number;
}

/** What the groups' statuses were compared with: the previous week's report, or why there was none. */
export interface GroupHistory {
  /** The window end of the previous week's report; null when there was none to compare with. */
  readonly previous_week_end: string | null;
  /** Said when there was no previous week to compare with (every group is then `new`). */
  readonly note?: string;
}

export interface ChangeItem {
  readonly timestamp: string;
  /** The person responsible, or the agent when an agent acted autonomously for nobody. */
  readonly user: string;
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly resource_name: string;
  /** Which kind of AI activity made the change (`activity: all` only). */
  readonly kind?: AiKind;
  /** The Datadog AI agent and its mode, when an agent made the change. */
  readonly agent?: string;
  readonly mode?: string;
}

/** One Datadog AI agent of `ai_activity.agents`: its events, by mode, and the people it acted for. */
export interface AgentActivity {
  readonly agent: string;
  readonly events: number;
  readonly interactive: number;
  readonly autonomous: number;
  /** Distinct people (delegators) it acted for. */
  readonly people: number;
}

/**
 * Every kind of AI activity of the window (`activity: all`), each event counted once by its id
 * whatever kinds it is of (docs/ai-activity.md).
 */
export interface AiActivitySummary {
  /** The Audit Trail query read: the three kinds' terms joined by OR. */
  readonly query: string;
  /** Distinct events of any of the three kinds. */
  readonly total: number;
  /** Each event under the first kind that applies, in AI_KINDS order: the three add up to `total`. */
  readonly by_kind: Readonly<Record<AiKind, number>>;
  /** Events of a Datadog AI agent acting on a trigger with no user present (`evt.actor.mode: autonomous`). */
  readonly autonomous: number;
  /** Events of a Datadog AI agent acting while a user was present and approved (`interactive`). */
  readonly interactive: number;
  /** Per agent (by events, most first; ties by name). Empty: no Datadog AI agent activity recorded. */
  readonly agents: readonly AgentActivity[];
  /** Agent events (`evt.actor.mode` present) that name the user who authorised them (`delegator`). */
  readonly attribution: {
    readonly agent_events: number;
    readonly with_delegator: number;
    /** `with_delegator / agent_events`, 0–1 with 4 decimals; null without agent events. */
    readonly share: number | null;
  };
  /** Per calendar day of the report's zone: events of any kind, and the autonomous ones. */
  readonly daily: ReadonlyArray<{ readonly date: string; readonly events: number; readonly autonomous: number }>;
  /** The same figures over the previous window; null where the baseline could not say (archived before AI activity was read). */
  readonly previous_window?: { readonly total: number; readonly autonomous: number } | null;
  /** Audit Trail on every AI event of the window. */
  readonly link: string;
}

// ---------------------------------------------------------------------------------------------
// MCP tool and client usage: the `datadog.mcp.tool.usage` metric, the report's second source.

/** Who made calls, as the metric tags them (`user_id`, `user_email`); either may be missing. */
export interface McpCaller {
  readonly userId?: string;
  readonly email?: string;
}

/** What the metric counts over one time range: calls by tool, by client, and by caller × each. */
export interface McpUsage {
  readonly tools: ReadonlyArray<{ readonly tool: string; readonly calls: number }>;
  readonly clients: ReadonlyArray<{ readonly client: string; readonly calls: number }>;
  readonly callerTools: ReadonlyArray<McpCaller & { readonly tool: string; readonly calls: number }>;
  readonly callerClients: ReadonlyArray<McpCaller & { readonly client: string; readonly calls: number }>;
  /** A query came back at its row limit: its smallest groups may be missing. */
  readonly truncated?: boolean;
}

/**
 * One range's usage, or why there is none: `unavailable` when reading the metric failed (403 for a
 * key without `timeseries_query`, errors, the deadline: the report notes it), `not_fetched` when
 * nothing asked for it (a report from a file).
 */
export type McpUsageRead =
  | { readonly status: 'ok'; readonly usage: McpUsage }
  | { readonly status: 'unavailable' | 'not_fetched'; readonly reason: string };

/** The metric's side of one report: the window, and the previous window and baseline when the report has them. */
export interface McpUsageData {
  readonly window: McpUsageRead;
  readonly previous?: McpUsageRead;
  readonly baseline?: McpUsageRead;
  /** Set when the usage was narrowed to one person (`--user`): none of theirs is then no fault of the metric. */
  readonly person?: string;
}

/** A tool of the summary: calls this window and in the previous one (`null` where that is unknown). */
export interface ToolUsage {
  readonly tool: string;
  readonly calls: number;
  readonly previous_calls: number | null;
  /** `calls − previous_calls`. */
  readonly change: number | null;
}

/** An MCP client of the summary: its calls and the distinct people calling through it. */
export interface ClientUsage {
  readonly client: string;
  readonly calls: number;
  readonly people: number;
  readonly previous_calls: number | null;
  readonly previous_people: number | null;
}

/** Where `tools` and `clients` come from, and why they are `null` when they are. */
export interface ToolUsageSource {
  readonly metric: 'datadog.mcp.tool.usage';
  /** `ok`: the sections are there; `unavailable`: reading the metric failed or it has no data; `not_fetched`: no metric was read. */
  readonly status: 'ok' | 'unavailable' | 'not_fetched';
  /** Why the sections are `null`. */
  readonly reason?: string;
  /** Calls in the window by the metric (need not equal `total_tool_calls`, see the README). */
  readonly total_calls?: number;
  /** Datadog Metrics Explorer on the metric over the window. */
  readonly link: string;
  /** A query came back at its row limit: the smallest tools, clients or callers may be missing. */
  readonly truncated?: boolean;
}

/** Flags per kind; ACTIVITY_KINDS only where the report reads them. */
export type AnomalyCounts = Readonly<Record<Exclude<AnomalyKind, 'autonomous_change'>, number | null>> & {
  readonly autonomous_change?: number | null;
};

/** Summary JSON, schema 1 (DESIGN.md). Keys of the seed keep their names and meaning. */
export interface Summary {
  readonly schema: 1;
  readonly org: string;
  /** Set on a scoped report: whose calls it counts ("team sre"); the whole org when absent. */
  readonly scope?: {
    readonly label: string;
    /**
     * The membership it counted, read when the report ran (a team's from the Datadog Teams API):
     * how many people (null when not known) and a fingerprint of their ids and e-mails. Archived
     * weeks of another membership are fetched again, not folded into the baseline.
     */
    readonly membership?: {
      readonly people: number | null;
      readonly fingerprint: string;
      readonly read: 'at run time';
    };
  };
  readonly window: IsoRange;
  readonly timezone: string;
  /** False when any page timed out or warned, or a fetch gave up; `warnings` says why. */
  readonly complete: boolean;
  readonly total_tool_calls: number;
  readonly unique_users: number;
  readonly top_users: ReadonlyArray<{ readonly user: string; readonly calls: number }>;
  readonly actions_breakdown: ReadonlyArray<{ readonly action: string; readonly count: number }>;
  readonly resource_types: ReadonlyArray<{ readonly type: string; readonly count: number }>;
  readonly daily_calls: ReadonlyArray<{ readonly date: string; readonly calls: number }>;
  readonly previous_window?: { readonly total_tool_calls: number; readonly unique_users: number };
  readonly baseline?: {
    readonly from: string;
    readonly to: string;
    readonly events: number;
    /** Where the baseline came from: days folded in from archived weeks, days fetched from Datadog. */
    readonly sources?: { readonly archive_days: number; readonly fetched_days: number };
  };
  readonly anomalies: readonly AnomalyFlag[];
  /**
   * Every kind, zero included; `null` for a kind that could not be evaluated (no baseline). A
   * report of `activity: mcp` has no `autonomous_change` (it reads no agent events).
   */
  readonly anomaly_counts: AnomalyCounts;
  /**
   * The flags grouped (core/groups.ts), in the order of the cards: accepted last, then by
   * severity, first time. Absent from summaries made before groups.
   */
  readonly anomaly_groups?: readonly AnomalyGroup[];
  /** Groups of the previous week's report not flagged this week. */
  readonly resolved_groups?: readonly ResolvedGroup[];
  /** What the groups' statuses were compared with. */
  readonly group_history?: GroupHistory;
  readonly changes: { readonly total: number; readonly items: readonly ChangeItem[] };
  /** Events that were not well-formed audit events; they are counted everywhere as `(unknown)`. */
  readonly malformed_events: number;
  /**
   * What could not be read, one entry per cause with the time ranges it cost (`lost`: not read
   * at all; `partial`: read, but Datadog said events may be missing). Empty lists when complete.
   */
  readonly data_gaps: {
    readonly window: readonly SummaryGap[];
    readonly baseline?: readonly SummaryGap[];
  };
  /** Audit Trail link for the whole window. */
  readonly link: string;
  /**
   * MCP tools by calls, most first (every tool the metric saw this window), with the week-over-week
   * change; `null` when the metric could not be read (`tool_usage.reason`). Absent in summaries
   * made before the metric was read.
   */
  readonly tools?: readonly ToolUsage[] | null;
  /** MCP clients by calls, with the people calling through each; `null` as `tools`. */
  readonly clients?: readonly ClientUsage[] | null;
  /** Where `tools` and `clients` come from. */
  readonly tool_usage?: ToolUsageSource;
  /** Human-readable caveats: partial data, short or missing baseline, unavailable rules. */
  readonly warnings: readonly string[];
  /** Every kind of AI activity (`activity: all`); absent from a report of the seed's MCP tool calls alone. */
  readonly ai_activity?: AiActivitySummary;
  /**
   * Up to 12 weekly points ending with this week, from the report archive (present only with an
   * archive); a week without an archived report has null figures, never an estimate.
   */
  readonly trend?: ReadonlyArray<{
    readonly week_end: string;
    readonly calls: number | null;
    readonly people: number | null;
    readonly anomalies: Readonly<Record<Severity, number>> | null;
    readonly complete: boolean | null;
    /**
     * The week's AI actions of every kind and the autonomous ones (`ai_activity.total`,
     * `.autonomous`); null for a week that did not read them (a gap, never a zero). Absent from
     * trends made before it was kept.
     */
    readonly ai_activity?: { readonly total: number; readonly autonomous: number } | null;
  }>;
}
