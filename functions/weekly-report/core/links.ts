/**
 * Deep links into the Datadog app for the configured site: the Audit Trail explorer narrowed to a
 * person, a resource and a time range, and the Metrics Explorer on the MCP usage metric narrowed
 * to tags. Pure: built from values, no clock.
 */
import { type Activity, UNKNOWN } from './types';

/** The web app host of each Datadog site (the API lives on `api.<site>`). */
const APP_HOSTS: Readonly<Record<string, string>> = {
  'datadoghq.com': 'app.datadoghq.com',
  'us3.datadoghq.com': 'us3.datadoghq.com',
  'us5.datadoghq.com': 'us5.datadoghq.com',
  'datadoghq.eu': 'app.datadoghq.eu',
  'ap1.datadoghq.com': 'ap1.datadoghq.com',
  'ap2.datadoghq.com': 'ap2.datadoghq.com',
  'uk1.datadoghq.com': 'uk1.datadoghq.com',
  'ddog-gov.com': 'app.ddog-gov.com',
};

export function appHost(site: string): string {
  return APP_HOSTS[site] ?? `app.${site}`;
}

/** MCP server tool calls: the seed's query, and all a report of `activity: mcp` reads. */
export const MCP_QUERY = '@evt.name:"MCP Server"';
/** Actions taken through the Datadog MCP server, on any product (Datadog writes it without `@`: a tag or an attribute). */
export const MCP_ACTION_QUERY = 'is_mcp_call:true';
/** Actions of Datadog's own AI agents, interactive or autonomous. */
export const AGENT_QUERY = '@evt.actor.mode:*';
/**
 * Every kind of AI activity in one query (`activity: all`): one read, each event once, whatever
 * kinds it is of. Parenthesized, so terms ANDed after it (a link narrowed to a person) bind to all.
 */
export const AI_ACTIVITY_QUERY = `(${MCP_QUERY} OR ${MCP_ACTION_QUERY} OR ${AGENT_QUERY})`;

/** The Audit Trail query of what a report of `activity` reads. */
export function activityQuery(activity: Activity = 'mcp'): string {
  return activity === 'all' ? AI_ACTIVITY_QUERY : MCP_QUERY;
}

/** Quotes a value for the Datadog search syntax. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Query terms matching a person by the field their key came from, acting directly or through an agent. */
export function personQuery(personKey: string): string | undefined {
  if (personKey === UNKNOWN) return undefined;
  const at = personKey.indexOf(':');
  const field = personKey.slice(0, at);
  const value = quote(personKey.slice(at + 1));
  return `(@usr.${field}:${value} OR @delegator.${field}:${value})`;
}

/**
 * Query terms matching the person a command line's `--user` names, acting directly or through an
 * agent, by the fields core/scope.ts `isPerson` matches: an id or e-mail for a value with `@` (ids
 * can be e-mail addresses), else an id or name. For the link of a report narrowed to that person.
 */
export function namedPersonQuery(who: string): string {
  const value = quote(who.trim());
  const fields = who.includes('@') ? ['id', 'email'] : ['id', 'name'];
  const terms = ['usr', 'delegator'].flatMap((actor) => fields.map((field) => `@${actor}.${field}:${value}`));
  return `(${terms.join(' OR ')})`;
}

export interface LinkFilter {
  readonly personKey?: string;
  readonly action?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly country?: string;
  readonly actorType?: string;
  /** `evt.actor.mode` of an AI agent's event (`autonomous`). */
  readonly mode?: string;
  /** What the report reads: the base of the query. @default 'mcp' (the seed's query) */
  readonly activity?: Activity;
}

export function auditQuery(filter: LinkFilter = {}): string {
  const terms = [activityQuery(filter.activity)];
  const person = filter.personKey ? personQuery(filter.personKey) : undefined;
  if (person) terms.push(person);
  const add = (field: string, value: string | undefined): void => {
    if (value !== undefined && value !== UNKNOWN) terms.push(`@${field}:${quote(value)}`);
  };
  add('evt.actor.type', filter.actorType);
  add('evt.actor.mode', filter.mode);
  add('action', filter.action);
  add('asset.type', filter.resourceType);
  add('asset.id', filter.resourceId);
  add('network.client.geoip.country.name', filter.country);
  return terms.join(' ');
}

/** Audit Trail explorer URL for `filter` over `[fromMs, toMs)`. */
export function auditTrailLink(site: string, fromMs: number, toMs: number, filter: LinkFilter = {}): string {
  const params = new URLSearchParams({
    query: auditQuery(filter),
    from_ts: String(Math.floor(fromMs)),
    to_ts: String(Math.ceil(toMs)),
    live: 'false',
  });
  return `https://${appHost(site)}/audit-trail?${params.toString()}`;
}

/**
 * One of our Audit Trail links narrowed by more query terms (ANDed), keeping its host and time
 * range: the "and N more" of a list links to exactly the calls it did not show. A link that is
 * not a URL comes back unchanged.
 */
export function narrowAuditLink(base: string, terms: readonly string[]): string {
  if (terms.length === 0) return base;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return base;
  }
  url.searchParams.set('query', [url.searchParams.get('query') ?? MCP_QUERY, ...terms].join(' '));
  return url.toString();
}

/**
 * Query terms that leave out the calls whose `field` has one of `values`; `(unknown)` stands for
 * calls without the attribute, so leaving it out means requiring the attribute (`@field:*`).
 */
export function excludeTerms(field: string, values: readonly string[]): string[] {
  return values.map((v) => (v === UNKNOWN ? `@${field}:*` : `-@${field}:${quote(v)}`));
}

/** A query term matching any of `values` of `field`: `(@action:"created" OR @action:"deleted")`. */
export function anyOfTerm(field: string, values: readonly string[]): string {
  const terms = values.map((v) => `@${field}:${quote(v)}`);
  return terms.length === 1 ? (terms[0] ?? '') : `(${terms.join(' OR ')})`;
}

/** The metric of MCP tool calls: one point per call, tagged `tool_name`, `client`, `user_id`, `user_email`. */
export const MCP_USAGE_METRIC = 'datadog.mcp.tool.usage';

/**
 * Metrics Explorer URL for `datadog.mcp.tool.usage` over `[fromMs, toMs)`, counted (`count`, as
 * the metric is a distribution), narrowed to `scope` (`{client: "cursor"}`) and split by `groupBy`.
 */
export function metricExplorerLink(
  site: string,
  fromMs: number,
  toMs: number,
  scope: Readonly<Record<string, string>> = {},
  groupBy?: string,
): string {
  const terms = Object.entries(scope).map(([tag, value]) => `${tag}:${value}`);
  const params = new URLSearchParams({
    exp_metric: MCP_USAGE_METRIC,
    exp_scope: terms.length > 0 ? terms.join(',') : '*',
    exp_agg: 'count',
    exp_row_type: 'metric',
    ...(groupBy ? { exp_group: groupBy } : {}),
    from_ts: String(Math.floor(fromMs)),
    to_ts: String(Math.ceil(toMs)),
    live: 'false',
  });
  return `https://${appHost(site)}/metric/explorer?${params.toString()}`;
}
