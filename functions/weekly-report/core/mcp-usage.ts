/**
 * The report's second source, the `datadog.mcp.tool.usage` metric (one point per MCP tool call,
 * tagged `tool_name`, `client`, `user_id`, `user_email`), turned into the summary's `tools` and
 * `clients` and the facts the `new_client` rule needs; or, when it could not be read, the reason
 * the sections are empty. Audit Trail stays the source of who did what to which resource: a metric
 * point has no event id and no resource, so a tool name never joins a single audit event. Pure.
 *
 * Matching people. The audit keys a person by id, then e-mail (core/normalize.ts); the metric
 * tags `user_id` and `user_email`. A caller is the audit person whose id is its `user_id`, else
 * whose e-mail is its `user_email` (any case: Datadog lower-cases tag values), else a person of
 * its own keyed the same way (an e-mail seen with an id elsewhere in the metric takes that id).
 * The metric's user is the caller: Datadog's docs do not say whom it names when an AI agent acts
 * for a person (Audit Trail puts the agent in `usr` and the person in `delegator`), and we assume
 * the agent, so an agent's calls count for the agent here while the audit sections name the
 * person it acted for.
 */
import { MCP_USAGE_METRIC, metricExplorerLink } from './links';
import { compareCodePoints } from './order';
import type { ClientUsage, McpCaller, McpUsage, McpUsageData, McpUsageRead, ToolUsage, ToolUsageSource } from './types';
import { UNKNOWN } from './types';

/** An audit person as the window aggregate knows them. */
export interface KnownPerson {
  readonly key: string;
  readonly display: string;
}

/** The caller × client rows of the window and the baseline, when `new_client` can be evaluated. */
export interface ClientHistory {
  readonly window: McpUsage['callerClients'];
  readonly baseline: McpUsage['callerClients'];
}

/** What the metric adds to a summary. */
export interface UsageSections {
  readonly tools: ToolUsage[] | null;
  readonly clients: ClientUsage[] | null;
  readonly source: ToolUsageSource;
  /** Notes for `summary.warnings`: the metric could not be read, or new_client could not run. */
  readonly warnings: string[];
  /** Present when `new_client` can be evaluated. */
  readonly clientHistory?: ClientHistory;
}

/** Says why no metric was read when the caller gives no reason. */
export const NOT_FETCHED_REASON = `not read: tools and MCP clients come from the ${MCP_USAGE_METRIC} metric, which this report did not query`;

const lower = (value: string | undefined): string | undefined => value?.toLowerCase();

/** Matches the metric's callers to the audit's people (see the file comment), one rule for every row. */
export class CallerIndex {
  private readonly byId = new Map<string, KnownPerson>();
  private readonly byEmail = new Map<string, KnownPerson>();
  /** An e-mail the metric also showed with a user id: rows without the id join that id's person. */
  private readonly idOfEmail = new Map<string, string>();

  constructor(people: Iterable<KnownPerson>, rows: Iterable<McpCaller> = []) {
    for (const person of people) {
      const at = person.key.indexOf(':');
      const field = person.key.slice(0, at);
      const value = person.key.slice(at + 1);
      if (field === 'id') this.byId.set(value, person);
      if (field === 'email') this.byEmail.set(value.toLowerCase(), person);
      if (person.display.includes('@') && !this.byEmail.has(person.display.toLowerCase())) {
        this.byEmail.set(person.display.toLowerCase(), person);
      }
    }
    for (const row of rows) {
      const email = lower(row.email);
      if (row.userId !== undefined && email !== undefined && !this.idOfEmail.has(email)) {
        this.idOfEmail.set(email, row.userId);
      }
    }
  }

  resolve(caller: McpCaller): KnownPerson {
    const email = lower(caller.email);
    const id = caller.userId ?? (email !== undefined ? this.idOfEmail.get(email) : undefined);
    const known =
      (id !== undefined ? this.byId.get(id) : undefined) ?? (email !== undefined ? this.byEmail.get(email) : undefined);
    if (known) return known;
    if (id !== undefined) return { key: `id:${id}`, display: caller.email ?? id };
    if (caller.email !== undefined) return { key: `email:${email}`, display: caller.email };
    return { key: UNKNOWN, display: UNKNOWN };
  }
}

/** Count-descending, then name-ascending by code point: the order of every list in the summary. */
function ranked<T extends { calls: number }>(items: T[], name: (item: T) => string): T[] {
  return items.sort((a, b) => b.calls - a.calls || compareCodePoints(name(a), name(b)));
}

function sumBy<T>(rows: Iterable<T>, key: (row: T) => string, calls: (row: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) out.set(key(row), (out.get(key(row)) ?? 0) + calls(row));
  return out;
}

/** Distinct people per client among caller × client rows with calls. */
function peopleByClient(rows: McpUsage['callerClients'], index: CallerIndex): Map<string, number> {
  const people = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!(row.calls > 0)) continue;
    let set = people.get(row.client);
    if (!set) {
      set = new Set();
      people.set(row.client, set);
    }
    set.add(index.resolve(row).key);
  }
  return new Map([...people].map(([client, set]) => [client, set.size]));
}

function totalCalls(usage: McpUsage): number {
  return usage.tools.reduce((sum, t) => sum + t.calls, 0);
}

const usable = (read: McpUsageRead | undefined): McpUsage | undefined =>
  read?.status === 'ok' ? read.usage : undefined;

export interface UsageInput {
  /** What the metric source read; absent: nothing was asked (as `not_fetched`). */
  readonly usage?: McpUsageData;
  /** The audit window's people, for matching callers and counting people per client. */
  readonly people: Iterable<KnownPerson>;
  /** MCP calls Audit Trail holds for the window: a metric without data is "no data" only when these are not 0. */
  readonly auditCalls: number;
  readonly site: string;
  /** The report window, epoch ms. */
  readonly range: { readonly from: number; readonly to: number };
  /** Whether the report has a baseline range at all (else `new_client` is "no baseline", like the audit rules). */
  readonly hasBaseline: boolean;
}

/** The summary's `tools`, `clients` and `tool_usage`, the notes they need, and the rows `new_client` runs on. */
export function usageSections(input: UsageInput): UsageSections {
  const link = metricExplorerLink(input.site, input.range.from, input.range.to, {}, 'tool_name');
  const window: McpUsageRead = input.usage?.window ?? { status: 'not_fetched', reason: NOT_FETCHED_REASON };
  const empty = (status: 'unavailable' | 'not_fetched', reason: string, warnings: string[]): UsageSections => ({
    tools: null,
    clients: null,
    source: { metric: MCP_USAGE_METRIC, status, reason, link },
    warnings,
  });
  if (window.status !== 'ok') {
    // A reason from the transport ("Datadog did not answer in time") says nothing of which read failed.
    const reason =
      window.status === 'unavailable' && !/metric/i.test(window.reason)
        ? `the ${MCP_USAGE_METRIC} metric could not be read: ${window.reason}`
        : window.reason;
    const warnings =
      window.status === 'unavailable'
        ? [`Tools and MCP clients are not shown, and new_client was not evaluated: ${reason}.`]
        : [];
    return empty(window.status, reason, warnings);
  }
  const usage = window.usage;
  const calls = totalCalls(usage);
  if (calls === 0 && input.auditCalls > 0 && input.usage?.person === undefined) {
    const reason =
      `the ${MCP_USAGE_METRIC} metric holds no calls for this window while Audit Trail holds ` +
      `${input.auditCalls.toLocaleString('en-US')}: the org's MCP server may not emit it (yet)`;
    return empty('unavailable', reason, [
      `Tools and MCP clients are not shown, and new_client was not evaluated: ${reason}.`,
    ]);
  }

  const people = [...input.people];
  const previous = usable(input.usage?.previous);
  const baseline = usable(input.usage?.baseline);
  const index = new CallerIndex(people, [
    ...usage.callerClients,
    ...(previous?.callerClients ?? []),
    ...(baseline?.callerClients ?? []),
  ]);

  const previousTools = previous
    ? sumBy(
        previous.tools,
        (t) => t.tool,
        (t) => t.calls,
      )
    : undefined;
  const tools = ranked(
    [
      ...sumBy(
        usage.tools,
        (t) => t.tool,
        (t) => t.calls,
      ),
    ]
      .filter(([, n]) => n > 0)
      .map(([tool, n]): ToolUsage => {
        const before = previousTools ? (previousTools.get(tool) ?? 0) : null;
        return { tool, calls: n, previous_calls: before, change: before === null ? null : n - before };
      }),
    (t) => t.tool,
  );

  const peopleNow = peopleByClient(usage.callerClients, index);
  const previousClients = previous
    ? sumBy(
        previous.clients,
        (c) => c.client,
        (c) => c.calls,
      )
    : undefined;
  const peopleBefore = previous ? peopleByClient(previous.callerClients, index) : undefined;
  const clients = ranked(
    [
      ...sumBy(
        usage.clients,
        (c) => c.client,
        (c) => c.calls,
      ),
    ]
      .filter(([, n]) => n > 0)
      .map(
        ([client, n]): ClientUsage => ({
          client,
          calls: n,
          people: peopleNow.get(client) ?? 0,
          previous_calls: previousClients ? (previousClients.get(client) ?? 0) : null,
          previous_people: peopleBefore ? (peopleBefore.get(client) ?? 0) : null,
        }),
      ),
    (c) => c.client,
  );

  const truncated = [usage, previous, baseline].some((u) => u?.truncated === true);
  const warnings: string[] = [];
  if (truncated) {
    warnings.push(
      `A ${MCP_USAGE_METRIC} query came back at its row limit: the smallest tools, clients or callers may be missing.`,
    );
  }
  if (input.usage?.previous?.status === 'unavailable') {
    warnings.push(`The tools' and clients' week-over-week change is not shown: ${input.usage.previous.reason}.`);
  }

  let clientHistory: ClientHistory | undefined;
  const baselineRead = input.usage?.baseline;
  if (!input.hasBaseline || baselineRead === undefined) {
    // Said with the other baseline rules ("no baseline").
  } else if (baselineRead.status !== 'ok') {
    warnings.push(`new_client was not evaluated: the metric's baseline could not be read (${baselineRead.reason}).`);
  } else if (totalCalls(baselineRead.usage) === 0 && baselineRead.usage.callerClients.length === 0) {
    warnings.push(
      `new_client was not evaluated: the ${MCP_USAGE_METRIC} metric holds no calls in the baseline, so every client would look new.`,
    );
  } else {
    clientHistory = { window: usage.callerClients, baseline: baselineRead.usage.callerClients };
  }

  return {
    tools,
    clients,
    source: {
      metric: MCP_USAGE_METRIC,
      status: 'ok',
      total_calls: calls,
      link,
      ...(truncated ? { truncated } : {}),
    },
    warnings,
    ...(clientHistory ? { clientHistory } : {}),
  };
}

/** True when `caller` is the person `who` names (a user id or e-mail, any case). */
function isCaller(caller: McpCaller, who: string): boolean {
  const wanted = who.toLowerCase();
  return lower(caller.userId) === wanted || lower(caller.email) === wanted;
}

/**
 * The usage of the callers `keep` accepts: their caller × tool and caller × client rows, with tools
 * and clients summed from them (one person for `--user`, a team for a scoped report). Calls an
 * agent made for a person stay the agent's (see the file comment).
 */
export function narrowUsageBy(usage: McpUsage, keep: (caller: McpCaller) => boolean): McpUsage {
  const callerTools = usage.callerTools.filter(keep);
  const callerClients = usage.callerClients.filter(keep);
  return {
    tools: [
      ...sumBy(
        callerTools,
        (r) => r.tool,
        (r) => r.calls,
      ),
    ].map(([tool, calls]) => ({ tool, calls })),
    clients: [
      ...sumBy(
        callerClients,
        (r) => r.client,
        (r) => r.calls,
      ),
    ].map(([client, calls]) => ({ client, calls })),
    callerTools,
    callerClients,
    ...(usage.truncated ? { truncated: usage.truncated } : {}),
  };
}

/** `narrowUsageBy` over every range that was read; `who` says whose usage it now is. */
export function narrowUsageDataBy(data: McpUsageData, keep: (caller: McpCaller) => boolean, who: string): McpUsageData {
  const narrow = (read: McpUsageRead | undefined): McpUsageRead | undefined =>
    read?.status === 'ok' ? { status: 'ok', usage: narrowUsageBy(read.usage, keep) } : read;
  const previous = narrow(data.previous);
  const baseline = narrow(data.baseline);
  return {
    window: narrow(data.window) ?? data.window,
    ...(previous ? { previous } : {}),
    ...(baseline ? { baseline } : {}),
    person: who,
  };
}

/** One person's usage (`--user`): the callers with that user id or e-mail, any case. */
export function narrowUsage(usage: McpUsage, who: string): McpUsage {
  return narrowUsageBy(usage, (caller) => isCaller(caller, who));
}

/** `narrowUsage` over every range that was read. */
export function narrowUsageData(data: McpUsageData, who: string): McpUsageData {
  return narrowUsageDataBy(data, (caller) => isCaller(caller, who), who);
}
