/**
 * The shape of the report as readers see it, in no medium: what `buildReportView` (build.ts)
 * makes once from a summary and every renderer reads (the email, the Slack post, the text report;
 * any further one the same way). Figures are formatted, dates are in the report's zone, labels and
 * sentences are words; audit values are RAW (neither cleaned, escaped nor cut): each medium makes
 * them safe for itself and keeps its own layout and length limits. Nothing here is markup.
 */

import type { AiKind, AnomalyKind, GroupStatus, Severity } from '../../core/types';
import type { DeltaView } from './format';
import type { ChangeView, FlagView } from './items';

// Declared where they are made: the delta by computeDelta, the list items as classes.
export type { ChangeView, DeltaView, FlagView };

/** Where a link leads, said in words that stand on their own (never a bare "View"). */
export interface Link {
  readonly url: string;
  readonly text: string;
}

/** A medium-neutral colour of a severity: each medium maps it to its own (email hex, Slack emoji, …). */
export type Colour = 'red' | 'orange' | 'blue';

export interface ReportView {
  /** What the report is: `AI Activity Audit`. */
  readonly title: string;
  /** Whose report it is: the org, and a scoped report's scope (`Acme (team sre)`). Raw. */
  readonly subtitle: string;
  /** The one-line gist, from numbers only: `2,000 calls by 67 people, 3 anomalies (1 high)`. */
  readonly gist: string;
  readonly window: WindowView;
  /** False when some data could not be read: the figures are lower bounds (`notice` says so). */
  readonly complete: boolean;
  /** ` [partial]` after the dates of a subject or a notification when incomplete, else empty. */
  readonly partialMark: string;
  /** The banner above the figures: partial data, or notes on complete data; absent when there is nothing to say. */
  readonly notice?: NoticeView;
  readonly figures: FiguresView;
  readonly daily: DailyView;
  /** Weekly calls from the report archive; absent under two weeks. */
  readonly trend?: TrendView;
  readonly topUsers: RankedList;
  readonly actions: RankedList;
  readonly resourceTypes: RankedList;
  readonly anomalies: AnomaliesView;
  /** The flags as groups (one card each), what exceptions accept, what is resolved since last week. */
  readonly triage: TriageView;
  /** The "Tools" and "AI clients" sections (the MCP usage metric). */
  readonly usage: UsageView;
  readonly changes: ChangesView;
  /** Every kind of AI activity (`activity: all`); absent from a report of the seed's MCP tool calls alone. */
  readonly ai?: AiActivityView;
  /** Sentences on what the figures rest on: the baseline, malformed events. */
  readonly caveats: readonly string[];
  readonly links: LinksView;
}

export interface WindowView {
  /** The first and last calendar day in `zone`, `YYYY-MM-DD` (the window's end is exclusive). */
  readonly firstDay: string;
  readonly lastDay: string;
  /** `2026-11-16 to 2026-11-22`. */
  readonly days: string;
  /** The IANA zone of every date and time in the view: the summary's, or UTC when the runtime does not know it. */
  readonly zone: string;
  /** The window's start and (exclusive) end, `YYYY-MM-DD HH:mm` in `zone`. */
  readonly from: string;
  readonly to: string;
  /** The same instants as the summary holds them (ISO 8601), for lines a script reads. */
  readonly iso: { readonly from: string; readonly to: string };
}

export interface NoticeView {
  /** `partial`: some data could not be read; `note`: the data is complete but there are remarks. */
  readonly level: 'partial' | 'note';
  /** `Partial data`, `Note`. */
  readonly title: string;
  /** What it means for the figures (partial only, else empty). */
  readonly text: string;
  /** Why, one sentence each (the summary's warnings). Raw. */
  readonly reasons: readonly string[];
}

export interface Figure {
  readonly label: string;
  readonly value: number;
  /** `2,000`. */
  readonly formatted: string;
  /** Against the previous window, when that is known. */
  readonly delta?: DeltaView;
}

export interface FiguresView {
  readonly calls: Figure;
  readonly people: Figure;
  /** Flags raised: the evaluated counts, or the list when it is longer. */
  readonly anomalies: Figure;
  /** Calls that created, modified or deleted a resource. */
  readonly changes: Figure;
}

export interface DayView {
  /** `YYYY-MM-DD`, a calendar day in the report's zone. */
  readonly date: string;
  /** `Mon 16 Nov`. */
  readonly label: string;
  readonly calls: number;
  readonly formatted: string;
}

export interface DailyView {
  readonly days: readonly DayView[];
  /** `▁▂▃▄▅▆▇█` of the last `SPARKLINE_DAYS` days. */
  readonly sparkline: string;
  /** The first day with the most calls; absent without days. */
  readonly peak?: DayView;
  /** Said instead when there are no days. */
  readonly empty: string;
}

export interface WeekView {
  /** The week's exclusive end, as archived (ISO 8601). */
  readonly weekEnd: string;
  /** The week's last day, `Sun 22 Nov`. */
  readonly label: string;
  /** `null`: no archived report for that week (a gap, never a guess). */
  readonly calls: number | null;
  readonly complete: boolean | null;
  /** The week's AI actions of every kind and the autonomous ones; `null` where the week has none (a gap, never a zero). */
  readonly aiTotal: number | null;
  readonly autonomous: number | null;
}

export interface TrendView {
  /** Oldest first, ending with this week: every week, each labelled. */
  readonly weeks: readonly WeekView[];
  /** Some week has AI figures: the trend shows them beside the calls. */
  readonly hasAi: boolean;
  /** `8 weeks: 1,542 → 2,133 calls a week; 1 week has no archived report`. */
  readonly caption: string;
  /** `▃▅·▇█`: a week without an archived report is a dot. */
  readonly sparkline: string;
}

/** How a list counts its items: `person`/`people`. */
export interface Noun {
  readonly one: string;
  readonly many: string;
}

export interface RankedItem {
  /** Raw. */
  readonly name: string;
  readonly count: number;
  readonly formatted: string;
  /** Share of all calls, `43%` or `<1%`; empty when there were no calls. */
  readonly share: string;
}

/** Top users, actions, resource types: every item, most first; each medium shows as many as it has room for. */
export interface RankedList {
  readonly items: readonly RankedItem[];
  readonly noun: Noun;
}

export interface SeverityView {
  readonly severity: Severity;
  /** `High`. */
  readonly label: string;
  readonly colour: Colour;
  /** Flags of this severity in the list. */
  readonly count: number;
  readonly formatted: string;
}

export interface KindView {
  readonly kind: AnomalyKind;
  /** `Destructive action`. */
  readonly label: string;
  /** Flags of this kind; `null` when the rule was not evaluated. */
  readonly count: number | null;
  readonly formatted: string;
  /** Why the rule was not evaluated (`no baseline`, `no usage metric`), when it was not. */
  readonly notEvaluated?: string;
}

export interface AnomaliesView {
  readonly total: number;
  readonly formatted: string;
  /** High, medium, low, each with its count in the list (zero included). */
  readonly severities: readonly SeverityView[];
  /** Every rule, in the order of the core's ANOMALY_KINDS. */
  readonly kinds: readonly KindView[];
  /** Rules not evaluated, counted by why, in the order the reasons first occur. */
  readonly unevaluated: ReadonlyArray<{ readonly reason: string; readonly rules: number }>;
  /** Every flag, in the summary's order (severity, then time). */
  readonly flags: readonly FlagView[];
  /** Said when no flag was raised. */
  readonly empty: string;
}

export interface ToolRow {
  readonly name: string;
  readonly calls: number;
  readonly formatted: string;
  /** `43%`, `<1%`: of the metric's calls in the window. */
  readonly share: string;
  /** Calls in the previous window; `null` when it is not known. */
  readonly previous: number | null;
  readonly delta?: DeltaView;
}

export interface ClientRow {
  readonly name: string;
  readonly calls: number;
  readonly people: number;
  readonly previous: number | null;
  /** `12 calls`, `3 people`. */
  readonly callsLabel: string;
  readonly peopleLabel: string;
}

export interface UsageView {
  /** The metric the sections count: `datadog.mcp.tool.usage`. */
  readonly metric: string;
  /** Why the sections are empty, when they are. */
  readonly unavailable?: string;
  /** The top tools (`TOOLS_SHOWN`) and what is left of the rest. */
  readonly tools: readonly ToolRow[];
  readonly moreTools: number;
  readonly moreToolCalls: number;
  /** The top clients (`CLIENTS_SHOWN`) and what is left of the rest. */
  readonly clients: readonly ClientRow[];
  readonly moreClients: number;
  readonly moreClientCalls: number;
}

export interface ChangesView {
  /** Create/modify/delete calls in the window (every kind of AI activity under `activity: all`). */
  readonly total: number;
  readonly formatted: string;
  /** The newest of them, newest first. */
  readonly items: readonly ChangeView[];
  /** Said when there were none. */
  readonly empty: string;
}

/** One kind of AI activity: its count, what it counts, the query that finds it. */
export interface AiKindRow {
  readonly kind: AiKind;
  /** `Actions through the MCP server`. */
  readonly label: string;
  /** What it counts, in words. */
  readonly what: string;
  /** The Audit Trail query of the kind: `is_mcp_call:true`. */
  readonly query: string;
  readonly count: number;
  readonly formatted: string;
}

/** One Datadog AI agent: its actions, by mode, and the people it acted for. Its name is raw. */
export interface AgentRow {
  readonly name: string;
  readonly events: number;
  readonly interactive: number;
  readonly autonomous: number;
  readonly people: number;
  readonly formatted: string;
  /** `316 interactive, 82 autonomous`. */
  readonly split: string;
  /** `for 39 people`, `for nobody named`. */
  readonly peopleLabel: string;
}

export interface AiActivityView {
  /** `AI activity`. */
  readonly title: string;
  /** `2,342 AI actions this window, 170 autonomous (an AI agent acting with no user present)`. */
  readonly headline: string;
  /** Distinct AI events of every kind, and the autonomous ones, with the change when known. */
  readonly total: Figure;
  readonly autonomous: Figure;
  /** Agent actions with a user present and approving. */
  readonly interactive: Figure;
  /** Every kind, in the order events are counted under them. */
  readonly kinds: readonly AiKindRow[];
  /** `Each event counts once, under the first kind that applies.` */
  readonly counting: string;
  /** Every agent, most actions first; each medium shows as many as it has room for. */
  readonly agents: readonly AgentRow[];
  /** Said instead of the agents when there are none: never a blank. */
  readonly noAgents?: string;
  /** `94% of Datadog AI agent actions (788 of 837) name the user who authorised them.`; empty without agent actions. */
  readonly attribution: string;
  /** Why there is no change vs the previous window, when the baseline could not say. */
  readonly previousUnknown?: string;
  /** Audit Trail on every AI event of the window. */
  readonly link: Link;
}

export interface LinksView {
  /** Audit Trail on the MCP calls of the whole window. */
  readonly auditTrail: Link;
  /** Metrics Explorer on the usage metric over the window, by tool. */
  readonly toolsMetric: Link;
  /** The same, by client. */
  readonly clientsMetric: Link;
}

// The triage (made by groups.ts `triageView`).

/** One group as readers see it. Audit values (`person`, names, `detail`) are raw. */
export interface GroupView {
  readonly id: string;
  readonly kind: AnomalyKind;
  /** `Destructive action`. */
  readonly label: string;
  readonly person: string;
  readonly severity: Severity;
  /** `High`. */
  readonly severityLabel: string;
  readonly colour: Colour;
  /** Why it has that severity: `High: it deleted a resource of a type rated high (monitor, dashboard)`. */
  readonly severityReason: string;
  readonly status: GroupStatus;
  readonly weeks: number;
  /** `New`, `Recurring · 3 weeks`. */
  readonly statusLabel: string;
  /** Its events in words, from numbers only: `12 deletions`, `3 bursts, 450 calls`. */
  readonly countLabel: string;
  /** The resource types of its events with their counts (`monitor ×8`), raw names; none for rules of one type. */
  readonly breakdown: ReadonlyArray<{ readonly name: string; readonly count: number }>;
  /** Types it has beyond those of `breakdown`. */
  readonly moreTypes: number;
  /** What its rule keys it on besides the person, raw, with the word before it: `on security_rule`, `from Brazil`, `through cursor`. */
  readonly qualifier?: { readonly word: string; readonly value: string };
  /** `Tue 17 Nov 14:12 – Thu 19 Nov 09:30 UTC`, in the report's zone, which it names; `this week` without event times. */
  readonly when: string;
  /** Its first resources (raw) and how many more it has. */
  readonly resources: ReadonlyArray<{ readonly type: string; readonly id: string; readonly name: string }>;
  readonly moreResources: number;
  /** The flag's own detail for a group of one flag, else empty. Raw. */
  readonly detail: string;
  /** The AI agent of its events, when one. Raw. */
  readonly agent: string;
  /** Exactly its events in Datadog, with text naming them (`12 deletions by dana@… in Datadog`; the person raw). */
  readonly link: Link;
  /** `An exception expired on 2026-11-20 (owner secops@…)`, when one that matched it did. Raw. */
  readonly exceptionExpired: string;
}

/** The groups one exception accepts: `3 accepted (secops@example.com, until 2026-12-31)`. */
export interface AcceptedView {
  readonly groups: number;
  readonly owner: string;
  readonly reason: string;
  readonly expires: string;
  /** Raw (the owner is configuration, shown as written). */
  readonly text: string;
}

/** A group of last week that is gone this week. */
export interface ResolvedView {
  readonly label: string;
  readonly person: string;
  readonly severity: Severity;
  /** `flagged 1 week`, `flagged 3 weeks running`. */
  readonly weeksLabel: string;
}

export interface TriageView {
  /** Every group no exception accepts, in card order (severity, then time). */
  readonly groups: readonly GroupView[];
  /** Of them, the high and medium ones (new or recurring): what needs a look first. */
  readonly attention: number;
  readonly accepted: readonly AcceptedView[];
  /** Groups the exceptions accept, in all. */
  readonly acceptedGroups: number;
  readonly resolved: readonly ResolvedView[];
  /** `9 groups from 10 flags: 7 new, 2 recurring`, from numbers only; empty without flags. */
  readonly summary: string;
  /** Said when there was no previous week to compare with (every group is new); else empty. */
  readonly comparison: string;
}
