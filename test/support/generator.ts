/**
 * Seeded generator of realistic raw Datadog MCP-server audit events, shaped like the `data[]`
 * items of a real search response (see ../shared/datadog/recorded-responses.json): the outer
 * timestamp is ISO with `Z`, the inner one has no zone, some numbers arrive as strings, an AI
 * agent acting for a person fills `usr` while the person fills `delegator` (and the event carries
 * `evt.actor.mode: interactive`). Each MCP call also
 * carries the tool and the MCP client it went through (`mcp.tool.name`, `mcp.client.name`: not
 * documented audit attributes, only what the emulator computes the `datadog.mcp.tool.usage`
 * metric from); a person keeps to one client, a few heavy users to two.
 *
 * The other kinds of AI activity Datadog's guide "Track Agentic Usage in Your Organization"
 * documents (docs/ai-activity.md): actions taken through the MCP server on Dashboard, Monitor and
 * Notebook events, carrying `is_mcp_call: true` as an attribute or as a tag (`mcpActionEvent`);
 * and Datadog's own AI agents (`agentEvent`): Bits AI SRE acting interactively for people (the
 * person in `delegator`, `delegator.name` their e-mail) and autonomously on triggers (no
 * delegator), named by `evt.actor.name` (assumed: the attribute is not documented), a few with
 * no name at all.
 *
 * `generateEvents` streams (no arrays proportional to `count`), so 200k+ events are cheap.
 * `generateScenario` builds a week plus baseline holding at least one case of every anomaly kind,
 * and the Datadog Teams its people belong to (`teamsOf`). The same seed always gives the same events.
 */
import { createWriteStream } from 'node:fs';

/** A raw audit event as Datadog returns it; loose on purpose (malformed ones are anything). */
export interface RawAuditEvent {
  id?: unknown;
  type?: unknown;
  attributes?: unknown;
  [key: string]: unknown;
}

export interface GenerateOptions {
  readonly seed: number;
  readonly from: Date;
  readonly to: Date;
  /** Events yielded in total, non-MCP and malformed ones included. */
  readonly count: number;
  /** Distinct people. @default 40 */
  readonly people?: number;
  /** Share of calls an AI agent makes on a person's behalf (`delegator` set). @default 0.3 */
  readonly delegationRate?: number;
  /** Share of events carrying hostile strings (Slack/HTML/template injection, huge ids, non-Latin). @default 0 */
  readonly hostileRate?: number;
  /** Share of events with missing fields or wrong types. @default 0 */
  readonly malformedRate?: number;
  /**
   * Only malformations the API spec allows (inner attributes broken, optional fields missing),
   * as the real API can return; otherwise also outer shapes broken (numbers, null, strings as events). @default false
   */
  readonly malformedSpecValid?: boolean;
  /** Share of audit events that are not MCP tool calls (`evt.name` is e.g. `Request`). @default 0 */
  readonly nonMcpRate?: number;
  /**
   * Share of events of the other kinds of AI activity: half actions through the MCP server
   * (`is_mcp_call`), half Datadog AI agent events (`evt.actor.mode`), none deleting anything.
   * At 0 the stream is what it was before these kinds existed. @default 0
   */
  readonly aiActivityRate?: number;
  /**
   * Events the seed's jq program summarizes exactly like we do: every event has `usr.email`
   * (1:1 with `usr.id`), no delegator, `action` and `asset.type` present; no malformed,
   * hostile or non-MCP events. @default false
   */
  readonly seedCompatible?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** sfc32: small, fast, good enough for test data; seeded through splitmix32 so nearby seeds differ. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function pickWeighted<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

function hex(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const FIRST_NAMES = [
  'Ana',
  'Bruno',
  'Chen',
  'Dana',
  'Emeka',
  'Fatima',
  'Georg',
  'Hana',
  'Ivan',
  'Jia',
  'Kofi',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Viktor',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zoe',
  'Aiko',
  'Björn',
  'Chloé',
  'Diego',
];
const LAST_NAMES = [
  'Silva',
  'Okafor',
  'Müller',
  'Nakamura',
  'Kowalski',
  'Haddad',
  'Lindqvist',
  'Patel',
  'Rossi',
  'Dubois',
  'Garcia',
  'Kim',
  'Novak',
  'Adeyemi',
  'Costa',
  'Fischer',
  'Ivanova',
  'Larsen',
  'Moreau',
  'Singh',
];
const COUNTRIES: readonly (readonly [string, string])[] = [
  ['United States', '198.51.100'],
  ['Germany', '203.0.113'],
  ['France', '192.0.2'],
  ['United Kingdom', '198.18.0'],
  ['Japan', '198.18.1'],
  ['Brazil', '198.18.2'],
  ['India', '198.18.3'],
  ['Canada', '198.18.4'],
  ['Netherlands', '198.18.5'],
  ['Australia', '198.18.6'],
];
/** Resource types of the MCP tools, with how often tools touch them. */
const RESOURCE_TYPES: readonly (readonly [string, number])[] = [
  ['dashboard', 30],
  ['monitor', 25],
  ['logs_index', 10],
  ['notebook', 8],
  ['slo', 7],
  ['incident', 6],
  ['service', 5],
  ['synthetics_test', 4],
  ['metric', 3],
  ['security_rule', 2],
];
const ACTIONS: readonly (readonly [string, number])[] = [
  ['accessed', 80],
  ['modified', 11],
  ['created', 7],
  ['deleted', 2],
];
const RESOURCE_WORDS = [
  'Checkout',
  'Payments',
  'Search',
  'Login',
  'Kafka',
  'Postgres',
  'Edge',
  'Billing',
  'Inventory',
  'API gateway',
  'Mobile',
  'Fraud',
  'Recommendations',
  'CDN',
];
const RESOURCE_SUFFIX: Readonly<Record<string, readonly string[]>> = {
  dashboard: ['overview', 'latency', 'capacity', 'SLOs'],
  monitor: ['error rate high', 'p99 latency', 'disk almost full', 'queue lag'],
  notebook: ['postmortem', 'investigation', 'runbook'],
  slo: ['availability', 'latency 99.9%'],
  logs_index: ['main', 'retention-30d', 'security'],
};
const TOOLS: Readonly<Record<string, readonly string[]>> = {
  accessed: ['get_dashboard', 'search_logs', 'get_monitor', 'list_incidents', 'query_metrics', 'search_spans'],
  modified: ['update_monitor', 'update_dashboard', 'edit_notebook'],
  created: ['create_notebook', 'create_monitor', 'create_dashboard'],
  deleted: ['delete_monitor', 'delete_dashboard', 'delete_notebook'],
};

/**
 * MCP clients, as the `client` tag of the `datadog.mcp.tool.usage` metric names them (Datadog's
 * docs give `claude` and `cursor` as examples), with how often a person picks each as their own.
 */
export const MCP_CLIENTS: readonly (readonly [string, number])[] = [
  ['claude', 45],
  ['cursor', 35],
  ['codex', 12],
  ['vscode', 8],
];
/** How often a person with a second client uses it rather than their first. */
const SECOND_CLIENT_SHARE = 0.15;
/** People (by rank of activity) who use a second client besides their first. */
const PEOPLE_WITH_TWO_CLIENTS = 5;

/** Strings that try to break every medium the report is rendered to. */
export const HOSTILE_STRINGS: readonly string[] = [
  '<!channel>',
  '<!here>',
  '<@U123ABC>',
  '<https://evil.example|click>',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{template}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string on purpose
  '${x}',
  '*bold* _it_ ~s~ `code`',
  '日本語のダッシュボード',
  'Ελληνικά παρακολούθηση',
  'لوحة المعلومات العربية',
  'deploy 🚀🔥 dashboard',
  'a&b <c> "d" \'e\'',
];

// ---------------------------------------------------------------------------------------------
// People

export interface Person {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly country: string;
  readonly ipPrefix: string;
  /** Resource types this person usually touches. */
  readonly types: readonly string[];
  /** Relative activity. */
  readonly weight: number;
  /** The MCP clients this person calls through: the first most of the time, a second one for a few people. */
  readonly clients: readonly string[];
}

const AGENTS = [
  { id: 'svc-bits-ai-0001', email: 'bits-ai-agent@example.com', name: 'Bits AI agent' },
  { id: 'svc-bits-ai-0002', email: 'bits-ai-sre@example.com', name: 'Bits AI SRE' },
];
/** The client each AI agent calls through (always the same one). */
const AGENT_CLIENTS: Readonly<Record<string, string>> = {
  'svc-bits-ai-0001': 'claude',
  'svc-bits-ai-0002': 'codex',
};

/** FNV-1a of `text` as a number in [0, 1): a draw that does not move the seeded stream. */
function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

/**
 * A person's clients, drawn from their id rather than the seeded stream, so adding clients to
 * the generator left every other generated value as it was.
 */
function clientsFor(id: string, rank: number): string[] {
  const weighted = (unit: number, from: readonly (readonly [string, number])[]): string => {
    const total = from.reduce((sum, [, w]) => sum + w, 0);
    let r = unit * total;
    for (const [name, w] of from) {
      r -= w;
      if (r < 0) return name;
    }
    return from[from.length - 1]?.[0] ?? 'claude';
  };
  const first = weighted(hashUnit(`${id}#client`), MCP_CLIENTS);
  if (rank >= PEOPLE_WITH_TWO_CLIENTS) return [first];
  return [
    first,
    weighted(
      hashUnit(`${id}#second-client`),
      MCP_CLIENTS.filter(([name]) => name !== first),
    ),
  ];
}

function makePeople(random: Random, count: number): Person[] {
  const people: Person[] = [];
  const typeNames = RESOURCE_TYPES.map(([t]) => t);
  for (let i = 0; i < count; i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length] as string;
    const last = LAST_NAMES[(i * 7 + Math.floor(i / FIRST_NAMES.length)) % LAST_NAMES.length] as string;
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase();
    const [country, ipPrefix] = pickWeighted(random, [
      [COUNTRIES[0] as readonly [string, string], 5],
      [COUNTRIES[1] as readonly [string, string], 3],
      ...COUNTRIES.slice(2).map((c) => [c, 1] as const),
    ]);
    // Each person works with 2–4 resource types, drawn by popularity; always at least dashboards or monitors.
    const types = new Set<string>([random() < 0.6 ? 'dashboard' : 'monitor']);
    const wanted = 2 + Math.floor(random() * 3);
    while (types.size < wanted) types.add(pickWeighted(random, RESOURCE_TYPES));
    people.push({
      id: `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`,
      email: `${local}${i >= FIRST_NAMES.length ? i : ''}@example.com`,
      name: `${first} ${last}`,
      country,
      ipPrefix,
      types: [...types].filter((t) => typeNames.includes(t)),
      // Zipf-like: a few heavy users, a long tail.
      weight: 1 / (i + 1) ** 0.9,
      clients: [],
    });
    const person = people[people.length - 1] as Person;
    people[people.length - 1] = { ...person, clients: clientsFor(person.id, i) };
  }
  return people;
}

// ---------------------------------------------------------------------------------------------
// Teams

/** The Datadog Teams of the generated org: handle (a lower-case slug, as Datadog's) and display name. */
export const TEAMS: readonly { readonly handle: string; readonly name: string }[] = [
  { handle: 'sre', name: 'Site Reliability Engineering' },
  { handle: 'platform', name: 'Platform' },
  // Its name holds another team's handle, as real orgs' do: a keyword search for "platform" finds both.
  { handle: 'data', name: 'Data Platform' },
];
/** How often a person's first team is each one. */
const TEAM_WEIGHTS: Readonly<Record<string, number>> = { sre: 40, platform: 35, data: 25 };
/** Share of people in no team at all, and of the others in a second team. */
const NO_TEAM_SHARE = 0.15;
const SECOND_TEAM_SHARE = 0.2;

/** A Datadog team of generated people, as the Teams API (and its emulator) serve it. */
export interface Team {
  readonly handle: string;
  /** A UUID, as Datadog's team ids are; the same for a handle whatever the seed. */
  readonly id: string;
  readonly name: string;
  readonly members: readonly Person[];
}

/** `length` hex digits drawn from `text` (FNV-1a, then mixed: nearby texts differ), without moving any seeded stream. */
function hashHex(text: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) {
    let h = Math.floor(hashUnit(`${text}#${i}`) * 4294967296);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    out += ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** The id of a team: a UUID from its handle. */
function teamId(handle: string): string {
  const h = hashHex(`team#${handle}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-11ee-${(8 + (Number.parseInt(h.slice(12, 13), 16) % 4)).toString(16)}${h.slice(13, 16)}-${h.slice(16, 28)}`;
}

/** The handles of a person's teams, from a hash of their id: none, one, or two. */
function teamHandlesOf(person: Person): string[] {
  if (hashUnit(`${person.id}#team`) < NO_TEAM_SHARE) return [];
  const pickTeam = (unit: number, from: readonly string[]): string => {
    const total = from.reduce((sum, h) => sum + (TEAM_WEIGHTS[h] ?? 1), 0);
    let r = unit * total;
    for (const h of from) {
      r -= TEAM_WEIGHTS[h] ?? 1;
      if (r < 0) return h;
    }
    return from[from.length - 1] ?? 'sre';
  };
  const handles = TEAMS.map((t) => t.handle);
  const first = pickTeam(hashUnit(`${person.id}#first-team`), handles);
  if (hashUnit(`${person.id}#second-team`) >= SECOND_TEAM_SHARE) return [first];
  return [
    first,
    pickTeam(
      hashUnit(`${person.id}#other-team`),
      handles.filter((h) => h !== first),
    ),
  ];
}

/**
 * The teams of `people`: each person's teams come from a hash of their id, not from a seeded
 * stream, so adding teams to the generator left every generated event as it was. `pinned` sets
 * the teams of some people by id (the scenario's planted cases), whatever their hash says.
 */
export function teamsOf(people: readonly Person[], pinned: ReadonlyMap<string, readonly string[]> = new Map()): Team[] {
  return TEAMS.map(({ handle, name }) => ({
    handle,
    id: teamId(handle),
    name,
    members: people.filter((p) => (pinned.get(p.id) ?? teamHandlesOf(p)).includes(handle)),
  }));
}

// ---------------------------------------------------------------------------------------------
// One event

function isoInner(ms: number, micros: number): string {
  // The inner timestamp of real events has microseconds and no zone.
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}`;
}

function eventId(random: Random, seed: number, index: number): string {
  const raw = `${seed.toString(36)}.${index.toString(36)}.${hex(random, 10)}`;
  return `AQAAAZ${Buffer.from(raw).toString('base64url')}`;
}

interface CallSpec {
  time: number;
  person: Person;
  delegated: boolean;
  agent: (typeof AGENTS)[number];
  actorType: string;
  mode: string;
  action: string;
  resourceType: string;
  country: string;
  ip: string;
  /** The MCP client, when it is not the caller's usual one (a planted case). */
  client?: string;
}

function resourceFor(random: Random, type: string): { id: string | number; name: string } {
  const word = pick(random, RESOURCE_WORDS);
  const suffix = pick(random, RESOURCE_SUFFIX[type] ?? ['main']);
  const n = Math.floor(random() * 40);
  let id: string | number;
  switch (type) {
    case 'monitor':
    case 'slo':
    case 'incident':
      // Numeric ids: usually strings, sometimes numbers (both occur in real events).
      id = random() < 0.8 ? String(1_000_000 + n * 7919) : 1_000_000 + n * 7919;
      break;
    case 'dashboard':
      id = `${hex(random, 3)}-${hex(random, 3)}-${hex(random, 3)}`.slice(0, 11);
      break;
    default:
      id = `${type}-${word.toLowerCase().replace(/\s+/g, '-')}-${n}`;
  }
  return { id, name: `${word} ${suffix}` };
}

function buildEvent(random: Random, id: string, spec: CallSpec): RawAuditEvent {
  const { time, person, delegated, agent, actorType, mode, action, resourceType, country, ip } = spec;
  const usr = delegated ? { ...agent } : { id: person.id, email: person.email, name: person.name };
  const resource = resourceFor(random, resourceType);
  const tool = pick(random, TOOLS[action] ?? ['call_tool']);
  // The metric's `client` is the caller's: the agent's own when an agent acts for the person. Its
  // draw keeps its place in the stream (below, after bytes_read), so no other value moved.
  const clientOf = (roll: number): string =>
    spec.client ??
    (delegated
      ? (AGENT_CLIENTS[agent.id] ?? 'claude')
      : ((roll < SECOND_CLIENT_SHARE ? person.clients[1] : undefined) ?? person.clients[0] ?? 'claude'));
  const inner: Record<string, unknown> = {
    evt: { name: 'MCP Server', actor: mode ? { type: actorType, mode } : { type: actorType } },
    usr,
    action,
    asset: { type: resourceType, id: resource.id, name: resource.name },
    network: {
      client: { ip, geoip: { country: { name: country, iso_code: country.slice(0, 2).toUpperCase() } } },
      bytes_read: random() < 0.5 ? String(Math.floor(random() * 4000)) : Math.floor(random() * 4000),
    },
    // Not documented audit attributes: test data that the emulator's metric is computed from.
    mcp: { tool: { name: tool }, client: { name: clientOf(random()) } },
    status: 'info',
    org: { uuid: '8dee7c38-00cb-11ea-a77b-8b5a08d3b091' },
    auth_method: delegated ? 'OAUTH' : 'API + App Key',
    timestamp: isoInner(time, Math.floor(random() * 1000)),
  };
  if (delegated) inner.delegator = { id: person.id, email: person.email, name: person.name };
  const who = delegated ? `${agent.name} on behalf of ${person.email}` : person.email;
  return {
    id,
    type: 'audit',
    attributes: {
      timestamp: new Date(time).toISOString(),
      service: 'mcp-server',
      tags: ['source:audit', 'category:bits_ai_sre', `action:${action}`],
      message: `${who} called MCP tool ${tool} (${action} ${resourceType} ${String(resource.id)})`,
      attributes: inner,
    },
  };
}

function nonMcpEvent(random: Random, id: string, time: number, person: Person): RawAuditEvent {
  const path = pick(random, ['/api/v1/dashboard', '/api/v2/query/timeseries', '/api/v1/monitor/search']);
  return {
    id,
    type: 'audit',
    attributes: {
      timestamp: new Date(time).toISOString(),
      service: 'web-app',
      tags: ['source:audit'],
      message: `GET request made to ${path} by ${person.email} with response 200`,
      attributes: {
        status: 'info',
        http: { status_code: '200', url_details: { path, host: 'us1.prod.dog' }, method: 'GET' },
        network: { bytes_read: 0, client: { ip: `${person.ipPrefix}.${10 + Math.floor(random() * 200)}` } },
        timestamp: isoInner(time, Math.floor(random() * 1000)),
        usr: { email: person.email, id: person.id },
        action: 'accessed',
        evt: { name: pick(random, ['Request', 'Dashboard', 'Monitor']), actor: { type: 'USER' } },
        auth_method: 'SESSION',
      },
    },
  };
}

/** `evt.name` of the product events that the other kinds of AI activity touch, by resource type. */
const EVENT_NAMES: Readonly<Record<string, string>> = {
  dashboard: 'Dashboard',
  monitor: 'Monitor',
  notebook: 'Notebook',
  incident: 'Incident',
};
/** Resource types that actions through the MCP server touch (Datadog's guide: dashboards, monitors, notebooks). */
export const MCP_ACTION_TYPES = ['dashboard', 'monitor', 'notebook'] as const;
/** Resource types a Datadog AI agent works on. */
const AGENT_TYPES = ['monitor', 'incident', 'notebook', 'dashboard'] as const;
/** Datadog's own AI agents that the generated org uses, as `evt.actor.name` names them. */
export const BITS_AGENTS = ['Bits AI SRE', 'Bits AI Dev'] as const;

/** The usual type of `person` among `types`, else their first of dashboard/monitor (everybody has one). */
function typeFor(random: Random, person: Person, types: readonly string[]): string {
  const usual = person.types.filter((t) => types.includes(t));
  return usual.length > 0
    ? pick(random, usual)
    : (person.types.find((t) => t === 'dashboard' || t === 'monitor') ?? 'dashboard');
}

export interface McpActionSpec {
  readonly time: number;
  readonly person: Person;
  readonly resourceType: string;
  readonly action: string;
  /** Where `is_mcp_call` is: an attribute (`is_mcp_call: true`), a tag (`is_mcp_call:true`), or both. */
  readonly flag: 'attribute' | 'tag' | 'both';
}

/**
 * An action taken through the Datadog MCP server on a product (a dashboard modified, a monitor
 * created): an event of that product, by the person, carrying `is_mcp_call`.
 */
export function mcpActionEvent(random: Random, id: string, spec: McpActionSpec): RawAuditEvent {
  const { time, person, resourceType, action, flag } = spec;
  const resource = resourceFor(random, resourceType);
  const evtName = EVENT_NAMES[resourceType] ?? 'Dashboard';
  return {
    id,
    type: 'audit',
    attributes: {
      timestamp: new Date(time).toISOString(),
      service: evtName.toLowerCase(),
      tags: ['source:audit', ...(flag !== 'attribute' ? ['is_mcp_call:true'] : [])],
      message: `${person.email} ${action} ${resourceType} ${String(resource.id)} through the Datadog MCP server`,
      attributes: {
        evt: { name: evtName, actor: { type: 'USER' } },
        usr: { id: person.id, email: person.email, name: person.name },
        action,
        asset: { type: resourceType, id: resource.id, name: resource.name },
        network: {
          client: {
            ip: `${person.ipPrefix}.${10 + (person.id.charCodeAt(0) % 200)}`,
            geoip: { country: { name: person.country, iso_code: person.country.slice(0, 2).toUpperCase() } },
          },
        },
        ...(flag !== 'tag' ? { is_mcp_call: true } : {}),
        status: 'info',
        org: { uuid: '8dee7c38-00cb-11ea-a77b-8b5a08d3b091' },
        auth_method: 'OAUTH',
        timestamp: isoInner(time, Math.floor(random() * 1000)),
      },
    },
  };
}

export interface AgentSpec {
  readonly time: number;
  /** `evt.actor.name`; absent: the event does not say which agent it was. */
  readonly agent?: string;
  readonly mode: 'interactive' | 'autonomous';
  /** The person who authorised the agent (`delegator`); interactive events have one, autonomous ones none. */
  readonly delegator?: Person;
  readonly resourceType: string;
  readonly action: string;
}

/**
 * An action of a Datadog AI agent in the org: the agent is `evt.actor` (with its mode), the
 * person who authorised it `delegator` (`delegator.name` is their e-mail, as Datadog's guide
 * says). Agents act inside Datadog: no client network.
 */
export function agentEvent(random: Random, id: string, spec: AgentSpec): RawAuditEvent {
  const { time, agent, mode, delegator, resourceType, action } = spec;
  const resource = resourceFor(random, resourceType);
  const evtName = EVENT_NAMES[resourceType] ?? 'Monitor';
  const who = agent ?? 'A Datadog AI agent';
  return {
    id,
    type: 'audit',
    attributes: {
      timestamp: new Date(time).toISOString(),
      service: evtName.toLowerCase(),
      tags: ['source:audit'],
      message: `${who} (${mode}) ${action} ${resourceType} ${String(resource.id)}${delegator ? ` for ${delegator.email}` : ''}`,
      attributes: {
        evt: { name: evtName, actor: { type: 'AI_AGENT', mode, ...(agent !== undefined ? { name: agent } : {}) } },
        ...(delegator ? { delegator: { id: delegator.id, email: delegator.email, name: delegator.email } } : {}),
        action,
        asset: { type: resourceType, id: resource.id, name: resource.name },
        status: 'info',
        org: { uuid: '8dee7c38-00cb-11ea-a77b-8b5a08d3b091' },
        auth_method: 'BITS_AI',
        timestamp: isoInner(time, Math.floor(random() * 1000)),
      },
    },
  };
}

/**
 * One event of the other kinds of AI activity by or for `person`: an action through the MCP
 * server (its `is_mcp_call` as attribute, tag or both), or a Bits agent acting interactively for
 * them or autonomously (then only reading: an autonomous change is a planted case). Never a deletion.
 */
function otherAiEvent(random: Random, id: string, time: number, person: Person): RawAuditEvent {
  if (random() < 0.5) {
    const flag = pickWeighted(random, [
      ['attribute', 5],
      ['tag', 4],
      ['both', 1],
    ] as const);
    const action = pickWeighted(random, [
      ['modified', 6],
      ['created', 3],
      ['accessed', 1],
    ] as const);
    return mcpActionEvent(random, id, {
      time,
      person,
      resourceType: typeFor(random, person, MCP_ACTION_TYPES),
      action,
      flag,
    });
  }
  const interactive = random() < 0.6;
  const agent = random() < 0.97 ? pick(random, BITS_AGENTS) : undefined;
  const action = interactive
    ? pickWeighted(random, [
        ['accessed', 7],
        ['modified', 2],
        ['created', 1],
      ] as const)
    : 'accessed';
  return agentEvent(random, id, {
    time,
    ...(agent !== undefined ? { agent } : {}),
    mode: interactive ? 'interactive' : 'autonomous',
    ...(interactive ? { delegator: person } : {}),
    resourceType: typeFor(random, person, AGENT_TYPES),
    action,
  });
}

/** Puts hostile strings into one or two text fields of an event (never the outer timestamp). */
function makeHostile(random: Random, event: RawAuditEvent): void {
  const inner = (event.attributes as { attributes: Record<string, unknown> }).attributes;
  const hostile = (): string => pick(random, HOSTILE_STRINGS);
  const usr = inner.usr as Record<string, unknown>;
  const asset = inner.asset as Record<string, unknown>;
  switch (Math.floor(random() * 6)) {
    case 0:
      asset.name = hostile();
      break;
    case 1:
      asset.id = random() < 0.5 ? 'x'.repeat(5000) : hostile();
      break;
    case 2:
      usr.name = hostile();
      break;
    case 3:
      // A person whose only identity is hostile (shows up as a user in top lists and flags).
      inner.usr = { id: random() < 0.3 ? `u${'9'.repeat(4999)}` : hostile(), name: hostile() };
      delete inner.delegator;
      break;
    case 4:
      (inner.network as { client: { geoip: { country: { name: string } } } }).client.geoip.country.name = hostile();
      break;
    default:
      asset.name = hostile();
      usr.name = hostile();
      inner.action = random() < 0.5 ? inner.action : hostile();
  }
}

/** Breaks an MCP event the ways real data can be broken; mostly still findable by time and `evt.name`. */
const SPEC_VALID_MALFORMATIONS = [0, 1, 2, 3, 4, 5, 6, 9, 10];

function makeMalformed(random: Random, event: RawAuditEvent, specValid: boolean): unknown {
  const outer = event.attributes as Record<string, unknown>;
  const inner = outer.attributes as Record<string, unknown>;
  const kind = specValid ? pick(random, SPEC_VALID_MALFORMATIONS) : Math.floor(random() * 12);
  switch (kind) {
    case 0:
      delete inner.usr;
      return event;
    case 1:
      inner.usr = pick(random, [42, ['a', 'b'], null, 'someone@example.com']);
      return event;
    case 2:
      inner.action = pick(random, [3, null, ['deleted'], { verb: 'deleted' }]);
      return event;
    case 3:
      inner.asset = pick(random, [null, 'dashboard', 7, { type: 12, id: null, name: ['x'] }]);
      return event;
    case 4:
      (inner.evt as Record<string, unknown>).actor = pick(random, [null, 'USER', { type: 5, mode: [] }]);
      return event;
    case 5:
      inner.network = pick(random, [null, { client: 'x' }, { client: { ip: 123, geoip: null } }]);
      return event;
    case 6:
      delete inner.timestamp;
      delete outer.tags;
      return event;
    case 7:
      // From here on the outer shape breaks the spec's schema (possible in files, not from the API).
      outer.tags = 'source:audit';
      outer.message = { text: 'not a string' };
      outer.service = 12;
      return event;
    case 8:
      // Only the inner attributes are gone: the event still has its outer timestamp.
      outer.attributes = pick(random, [null, 'broken', [1, 2, 3]]);
      return event;
    case 9:
      delete outer.attributes;
      return event;
    case 10:
      // No outer timestamp (the inner one, without zone, is all there is).
      delete outer.timestamp;
      return event;
    default:
      // Not even an object.
      return pick(random, [null, 'garbage', 17, [], { id: event.id }]);
  }
}

// ---------------------------------------------------------------------------------------------
// Streams

function sortedTimes(random: Random, from: number, to: number, count: number): () => number {
  // Ascending uniform order statistics, one at a time (no array of `count` numbers):
  // x_{i+1} = 1 − (1 − x_i)·U^(1/(n−i)).
  let x = 0;
  let i = 0;
  const span = to - from;
  return () => {
    x = 1 - (1 - x) * random() ** (1 / (count - i));
    i++;
    return Math.min(to - 1, from + Math.floor(x * span));
  };
}

function choosePerson(random: Random, people: readonly Person[], cumulative: readonly number[]): Person {
  const total = cumulative[cumulative.length - 1] as number;
  const r = random() * total;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  return people[lo] as Person;
}

function cumulate(people: readonly Person[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const p of people) {
    sum += p.weight;
    out.push(sum);
  }
  return out;
}

interface SpecOptions {
  readonly delegationRate: number;
  readonly seedCompatible: boolean;
  /** Probability of a call to a resource type outside the person's usual ones. */
  readonly offScope: number;
  /** Probability of a call from a country other than the person's. */
  readonly travel: number;
}

function randomSpec(random: Random, time: number, person: Person, o: SpecOptions): CallSpec {
  const delegated = !o.seedCompatible && random() < o.delegationRate;
  const actorType = pickWeighted(random, [
    ['USER', 960],
    ['Other', 38],
    ['SUPPORT_USER', 2],
  ]);
  // An agent acting for a person through the MCP server does so with them present (interactive);
  // a person's own call carries no mode (no Datadog AI agent acted). The draw keeps its place in
  // the stream, so every other value is what it was when the mode was drawn at random.
  random();
  const mode = delegated ? 'interactive' : '';
  const resourceType =
    random() < o.offScope ? pickWeighted(random, RESOURCE_TYPES) : pick(random, person.types as string[]);
  const [country, ipPrefix] =
    random() < o.travel
      ? (pick(random, COUNTRIES) as readonly [string, string])
      : ([person.country, person.ipPrefix] as const);
  return {
    time,
    person,
    delegated,
    agent: pick(random, AGENTS),
    actorType,
    mode,
    action: pickWeighted(random, ACTIONS),
    resourceType,
    country,
    ip: `${ipPrefix}.${10 + (person.id.charCodeAt(0) % 200)}`,
  };
}

/** Yields `count` raw audit events with timestamps in `[from, to)`, in timestamp order. */
export function* generateEvents(opts: GenerateOptions): Generator<RawAuditEvent> {
  const random = createRandom(opts.seed);
  const from = opts.from.getTime();
  const to = opts.to.getTime();
  if (!(to > from)) throw new RangeError('generateEvents: `to` must be after `from`');
  const seedCompatible = opts.seedCompatible ?? false;
  const hostileRate = seedCompatible ? 0 : (opts.hostileRate ?? 0);
  const malformedRate = seedCompatible ? 0 : (opts.malformedRate ?? 0);
  const nonMcpRate = seedCompatible ? 0 : (opts.nonMcpRate ?? 0);
  const aiActivityRate = Math.max(0, Math.min(1, opts.aiActivityRate ?? 0));
  const aiRandom = createRandom(opts.seed ^ 0xa1ac7);
  const people = makePeople(random, Math.max(1, opts.people ?? 40));
  const cumulative = cumulate(people);
  const nextTime = sortedTimes(random, from, to, opts.count);
  const specOptions: SpecOptions = {
    delegationRate: opts.delegationRate ?? 0.3,
    seedCompatible,
    offScope: 0.02,
    travel: 0.01,
  };
  for (let i = 0; i < opts.count; i++) {
    const time = nextTime();
    const person = choosePerson(random, people, cumulative);
    const id = eventId(random, opts.seed, i);
    const roll = random();
    if (roll < nonMcpRate) {
      yield nonMcpEvent(random, id, time, person);
      continue;
    }
    const event = buildEvent(random, id, randomSpec(random, time, person, specOptions));
    // The top of the roll's range, drawn from a stream of their own after the MCP call was drawn (and
    // dropped): every other event is the one a stream without these kinds has at that place.
    if (roll >= 1 - aiActivityRate) {
      yield otherAiEvent(aiRandom, id, time, person);
      continue;
    }
    if (roll < nonMcpRate + malformedRate) {
      yield makeMalformed(random, event, opts.malformedSpecValid ?? false) as RawAuditEvent;
      continue;
    }
    if (roll < nonMcpRate + malformedRate + hostileRate) makeHostile(random, event);
    yield event;
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: a realistic week and baseline with every anomaly kind in it

export interface ScenarioOptions {
  readonly seed: number;
  /** End of the report window (exclusive). */
  readonly end: Date;
  /** @default 7 */
  readonly windowDays?: number;
  /** @default 28 */
  readonly baselineDays?: number;
  /** @default 40 */
  readonly people?: number;
  /** Calls in the window before the planted cases. @default 2000 */
  readonly weekEvents?: number;
}

export interface Scenario {
  readonly window: RawAuditEvent[];
  readonly baseline: RawAuditEvent[];
  /**
   * The org's Datadog Teams (`TEAMS`, members by `teamsOf`), planted people pinned so a report
   * scoped to `sre` holds some anomalies and not others: `sre` has the out-of-scope person, the
   * burst person (also in `platform`) and the newcomer; the traveller is in `platform` only, the
   * new-client person and the support user's person in `data` only.
   */
  readonly teams: Team[];
  /** What was planted, so tests and demos can point at it. */
  readonly planted: {
    readonly newcomer: Person;
    readonly burstPerson: Person;
    readonly burstStart: string;
    readonly burstCalls: number;
    readonly scopePerson: Person;
    readonly scopeType: string;
    readonly travelPerson: Person;
    readonly travelCountry: string;
    /** A regular who calls through an MCP client this week that they never used in the baseline. */
    readonly clientPerson: Person;
    readonly newClient: string;
    /** Bits AI SRE modifying a monitor on its own, for nobody: the one `autonomous_change`. */
    readonly autonomousAgent: string;
    readonly autonomousChangeAt: string;
    /** A dashboard deleted through the MCP server (`is_mcp_call`, not an MCP Server event): a `destructive_action`. */
    readonly mcpDeletion: { readonly person: Person; readonly at: string };
    /** Window events that are both an MCP Server tool call and carry `is_mcp_call` (they count once). */
    readonly bothKinds: number;
  };
}

const DAY = 86_400_000;

/**
 * A realistic week plus its baseline, holding at least one case of each anomaly kind of DESIGN.md:
 * deletes (a monitor and a notebook), a SUPPORT_USER call, a first-time user, a burst of more than
 * 100 calls in 10 minutes, an out-of-scope resource type, a call from a new country, a regular
 * calling through an MCP client new to them (the only one: nobody else's client is new); a few hostile
 * strings; a few non-MCP audit events that a source must filter out. Both arrays are time-ordered.
 */
export function generateScenario(opts: ScenarioOptions): Scenario {
  const random = createRandom(opts.seed ^ 0x5eed);
  const windowDays = opts.windowDays ?? 7;
  const baselineDays = opts.baselineDays ?? 28;
  const end = opts.end.getTime();
  const windowFrom = end - windowDays * DAY;
  const baselineFrom = windowFrom - baselineDays * DAY;
  const people = makePeople(random, Math.max(8, opts.people ?? 40));
  const weekEvents = Math.max(200, opts.weekEvents ?? 2000);

  // Planted people: the heaviest user has ≥20 baseline calls (out_of_scope); the last one is new.
  const scopePerson = people[0] as Person;
  const burstPerson = people[2] as Person;
  const travelPerson = people[1] as Person;
  const newcomer = people[people.length - 1] as Person;
  const regulars = people.slice(0, -1);
  // A resource type nobody's usual set contains, so only the planted call is out of scope.
  const usedTypes = new Set(people.flatMap((p) => p.types));
  const scopeType = RESOURCE_TYPES.map(([t]) => t).find((t) => !usedTypes.has(t)) ?? 'security_rule';
  const scopeSafePeople = people.map((p) => ({ ...p, types: p.types.filter((t) => t !== scopeType) }));
  const safe = (p: Person): Person => scopeSafePeople[people.indexOf(p)] ?? p;
  const travelCountry = (COUNTRIES.find(([c]) => c !== travelPerson.country) as readonly [string, string])[0];

  const quiet: SpecOptions = { delegationRate: 0.3, seedCompatible: false, offScope: 0, travel: 0 };
  let index = 0;
  const nextId = (): string => eventId(random, opts.seed, index++);

  // Calls of regular activity: people drawn by weight, usual types and countries only; no deletes
  // or support calls by chance (the planted ones are the cases the report must show).
  function regular(from: number, to: number, count: number, pool: readonly Person[]): RawAuditEvent[] {
    const cumulative = cumulate(pool);
    const nextTime = sortedTimes(random, from, to, count);
    const out: RawAuditEvent[] = [];
    for (let i = 0; i < count; i++) {
      const time = nextTime();
      const person = safe(choosePerson(random, pool, cumulative));
      const spec = randomSpec(random, time, person, quiet);
      if (spec.action === 'deleted') spec.action = 'modified';
      spec.actorType = spec.actorType === 'SUPPORT_USER' ? 'USER' : spec.actorType;
      out.push(random() < 0.005 ? nonMcpEvent(random, nextId(), time, person) : buildEvent(random, nextId(), spec));
    }
    return out;
  }

  const baselineCount = Math.round((weekEvents * baselineDays * 0.9) / windowDays);
  const baseline = regular(baselineFrom, windowFrom, baselineCount, regulars);
  const window = regular(windowFrom, end, weekEvents, regulars);

  const at = (dayOffset: number, hour: number, minute: number): number =>
    Math.min(end - 1, windowFrom + dayOffset * DAY + hour * 3_600_000 + minute * 60_000);
  const plant = (time: number, person: Person, patch: Partial<CallSpec>): RawAuditEvent => {
    const spec = { ...randomSpec(random, time, safe(person), quiet), delegated: false, actorType: 'USER', ...patch };
    return buildEvent(random, nextId(), spec);
  };

  // destructive_action: a monitor (high) and another type (medium), by people who use those types
  // (so the deletes raise no out_of_scope flag of their own).
  const planters = regulars.slice(3).map(safe);
  const monitorUser = planters.find((p) => p.types.includes('monitor')) ?? (planters[0] as Person);
  const otherUser =
    planters.find((p) => p !== monitorUser && p.types.some((t) => t !== 'monitor' && t !== 'dashboard')) ??
    (planters[1] as Person);
  const otherType = otherUser.types.find((t) => t !== 'monitor' && t !== 'dashboard') ?? 'notebook';
  window.push(plant(at(1, 14, 12), monitorUser, { action: 'deleted', resourceType: 'monitor' }));
  window.push(plant(at(4, 10, 47), otherUser, { action: 'deleted', resourceType: otherType }));
  // support_user: Datadog support acting through the assistant.
  window.push(plant(at(2, 16, 5), people[5] as Person, { actorType: 'SUPPORT_USER', action: 'accessed' }));
  // first_time_user: the newcomer only appears in the window.
  for (let i = 0; i < 6; i++) window.push(plant(at(3, 9 + i, 30), newcomer, { action: 'accessed' }));
  // high_volume: an agent acting for one person, 130 calls in 8 minutes.
  const burstCalls = 130;
  const burstStart = at(2, 3, 0);
  for (let i = 0; i < burstCalls; i++) {
    window.push(
      plant(burstStart + Math.floor((i * 8 * 60_000) / burstCalls), burstPerson, {
        delegated: true,
        mode: 'autonomous',
        action: 'accessed',
      }),
    );
  }
  // out_of_scope: the heaviest user touches a type absent from everybody's baseline.
  window.push(plant(at(5, 11, 20), scopePerson, { resourceType: scopeType, action: 'accessed' }));
  // new_country: a regular calls from a country they never called from.
  window.push(plant(at(5, 15, 2), travelPerson, { country: travelCountry, ip: '203.0.113.250', action: 'accessed' }));
  // Hostile strings in resource names and one person's identity (rendering must escape them).
  const hostileCarriers = [
    plant(at(0, 12, 0), people[6] as Person, { action: 'modified' }),
    plant(at(6, 8, 30), people[7] as Person, { action: 'accessed' }),
    plant(at(6, 9, 15), people[6] as Person, { action: 'created' }),
  ];
  const hostileNames = [
    '<!channel> <script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string on purpose
    '*bold* {{template}} ${x}',
  ];
  hostileCarriers.forEach((event, i) => {
    const asset = (event.attributes as { attributes: { asset: Record<string, unknown> } }).attributes.asset;
    asset.name = hostileNames[i];
    if (i === 1) asset.id = '<https://evil.example|click>';
    window.push(event);
  });
  const hostilePerson = plant(at(6, 10, 0), people[8] as Person, { action: 'accessed' });
  (hostilePerson.attributes as { attributes: Record<string, unknown> }).attributes.usr = {
    id: (people[8] as Person).id,
    email: (people[8] as Person).email,
    name: '<@U123ABC> 日本語 Ελληνικά العربية 🚀',
  };
  window.push(hostilePerson);
  // new_client: a regular (one client, plenty of baseline calls) tries another MCP client this week.
  // Planted last, so the events above are the same as before this case existed.
  const clientPerson = people[Math.min(9, people.length - 2)] as Person;
  const newClient = MCP_CLIENTS.map(([name]) => name).find((name) => !clientPerson.clients.includes(name)) ?? 'vscode';
  for (let i = 0; i < 5; i++) {
    window.push(plant(at(4 + Math.floor(i / 3), 13 + i, 40), clientPerson, { action: 'accessed', client: newClient }));
  }

  // The other kinds of AI activity (docs/ai-activity.md), from a stream of their own so every event
  // above is what it was before they existed: actions through the MCP server and Bits agents'
  // events, in the window and the baseline, by the regulars (never the newcomer), on their usual
  // resource types and from their usual countries, so they raise no flag of their own.
  const aiRandom = createRandom(opts.seed ^ 0xa1ac7);
  let aiIndex = 1_000_000;
  const nextAiId = (): string => eventId(aiRandom, opts.seed, aiIndex++);
  const aiPeople = regulars.map(safe);
  function otherKinds(from: number, to: number, count: number): RawAuditEvent[] {
    const cumulative = cumulate(aiPeople);
    const out: RawAuditEvent[] = [];
    for (let i = 0; i < count; i++) {
      const time = from + Math.floor(aiRandom() * (to - from));
      out.push(otherAiEvent(aiRandom, nextAiId(), time, choosePerson(aiRandom, aiPeople, cumulative)));
    }
    return out;
  }
  const aiShare = 0.1;
  baseline.push(...otherKinds(baselineFrom, windowFrom, Math.round(baselineCount * aiShare)));
  window.push(...otherKinds(windowFrom, end, Math.round(weekEvents * aiShare)));
  // autonomous_change: Bits AI SRE, on a trigger at night, changes a monitor with nobody present.
  const autonomousAgent = 'Bits AI SRE';
  const autonomousChangeAt = at(3, 2, 14);
  window.push(
    agentEvent(aiRandom, nextAiId(), {
      time: autonomousChangeAt,
      agent: autonomousAgent,
      mode: 'autonomous',
      resourceType: 'monitor',
      action: 'modified',
    }),
  );
  // destructive_action of another kind: a dashboard deleted through the MCP server by someone who works on dashboards.
  const dashboardUser = planters.find((p) => p.types.includes('dashboard') && p !== monitorUser) ?? monitorUser;
  const mcpDeletionAt = at(5, 16, 41);
  window.push(
    mcpActionEvent(aiRandom, nextAiId(), {
      time: mcpDeletionAt,
      person: dashboardUser,
      resourceType: 'dashboard',
      action: 'deleted',
      flag: 'attribute',
    }),
  );
  // MCP Server tool calls that also carry is_mcp_call (Datadog does not say whether one call makes one event or two).
  let bothKinds = 0;
  for (const [i, event] of window.entries()) {
    const inner = (event.attributes as { attributes?: Record<string, unknown> } | undefined)?.attributes;
    const evt = inner?.evt as { name?: unknown } | undefined;
    if (i % 97 !== 0 || evt?.name !== 'MCP Server') continue;
    inner!.is_mcp_call = true;
    bothKinds++;
  }

  const byTime = (a: RawAuditEvent, b: RawAuditEvent): number =>
    outerTime(a) - outerTime(b) || String(a.id).localeCompare(String(b.id));
  window.sort(byTime);
  baseline.sort(byTime);
  // After every draw: teams use no random number, so the events are those of before teams existed.
  const supportPerson = people[5] as Person;
  const teams = teamsOf(
    people,
    new Map<string, readonly string[]>([
      [scopePerson.id, ['sre']],
      [burstPerson.id, ['sre', 'platform']],
      [newcomer.id, ['sre']],
      [travelPerson.id, ['platform']],
      [clientPerson.id, ['data']],
      [supportPerson.id, ['data']],
    ]),
  );
  return {
    window,
    baseline,
    teams,
    planted: {
      newcomer,
      burstPerson,
      burstStart: new Date(burstStart).toISOString(),
      burstCalls,
      scopePerson,
      scopeType,
      travelPerson,
      travelCountry,
      clientPerson,
      newClient,
      autonomousAgent,
      autonomousChangeAt: new Date(autonomousChangeAt).toISOString(),
      mcpDeletion: { person: dashboardUser, at: new Date(mcpDeletionAt).toISOString() },
      bothKinds,
    },
  };
}

/** Epoch ms of an event's outer timestamp; NaN when it has none. */
export function outerTime(event: unknown): number {
  const attributes = (event as { attributes?: { timestamp?: unknown } } | null)?.attributes;
  const ts = typeof attributes === 'object' && attributes !== null ? attributes.timestamp : undefined;
  return typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
}

/** Writes events as NDJSON (one event per line), streaming. */
export async function writeNdjson(path: string, events: Iterable<unknown>): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let buffer = '';
  for (const event of events) {
    buffer += `${JSON.stringify(event)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  out.end(buffer);
  await done;
}

/** A Datadog search response body holding `events` (what `pup audit-logs search -o json` prints). */
export function toSearchResponse(events: readonly unknown[]): { data: unknown[] } {
  return { data: [...events] };
}
