/**
 * Raw Datadog audit event (a `data[]` item of a search response) → typed CallRecord.
 * Any field may be missing or of the wrong type: nothing throws, nothing is dropped, unknowns
 * become `(unknown)`. This runs once per event (hundreds of thousands per report), so the common
 * case allocates nothing: `EventRecord.read` fills one reusable record in place, the usual
 * timestamp shape is parsed without `Date.parse` or a regex, and the person's key string is
 * only built when something asks for it.
 */
import { DAY_MS, MINUTE_MS } from './time';
import { type CallRecord, UNKNOWN, UNNAMED_AGENT } from './types';

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

/** A usable text value: non-empty strings as they are, numbers and booleans as text (numbers may arrive as strings and vice versa). */
function text(value: unknown): string | undefined {
  // Only a string that starts with whitespace can be blank: skip the trim (an allocation) otherwise.
  if (typeof value === 'string')
    return value.length === 0 || (value.charCodeAt(0) <= 32 && value.trim() === '') ? undefined : wellFormed(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** ES2024's String well-formedness methods (Node 20 has them; the project's lib is ES2023). */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * `value` with every lone surrogate (`\ud800`) replaced by U+FFFD: text from audit data enters
 * well-formed, so no summary, archive object or rendering carries a string that `jq`, a JSON
 * parser or an e-mail encoder refuses.
 */
export function wellFormed(value: string): string {
  const s = value as unknown as WellFormedString;
  return s.isWellFormed() ? value : s.toWellFormed();
}

/** The decimal value of `count` ASCII digits of `s` from `at`, or -1 when one of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), exact for any year. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Epoch ms of the one timestamp shape Datadog sends, `YYYY-MM-DDTHH:MM:SS.sssZ` (also without
 * `.sss`), read digit by digit; NaN for anything else, including impossible dates such as
 * February 30 or hour 24, which `Date.parse` may read its own way. Whatever this accepts, it
 * reads exactly as `Date.parse` does (a property test checks it).
 */
export function parseIsoUtcFast(s: string): number {
  const length = s.length;
  if (length !== 24 && length !== 20) return Number.NaN;
  if (
    s.charCodeAt(length - 1) !== 90 || // Z
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    (length === 24 && s.charCodeAt(19) !== 46) // .
  ) {
    return Number.NaN;
  }
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const millis = length === 24 ? digits(s, 20, 3) : 0;
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    millis < 0
  ) {
    return Number.NaN;
  }
  return daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * MINUTE_MS + second * 1000 + millis;
}

const ALL_DIGITS = /^\d+$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Every other string: epoch digits, other ISO shapes, zone-less times (read as UTC), or NaN. */
function parseTimeSlow(value: string): number {
  if (value === '') return Number.NaN;
  if (ALL_DIGITS.test(value)) return Number(value);
  // The inner timestamp of real events lacks a zone ("2022-04-13T09:21:13.750599"): read it as UTC.
  const hasZone = HAS_ZONE.test(value);
  const ms = Date.parse(hasZone || !value.includes('T') ? value : `${value}Z`);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/** Epoch ms of an ISO string (a missing zone means UTC) or an epoch number; NaN when unusable. */
export function parseTime(value: unknown): number {
  if (typeof value === 'string') {
    const fast = parseIsoUtcFast(value);
    return Number.isNaN(fast) ? parseTimeSlow(value) : fast;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  return Number.NaN;
}

/** The tag of an event taken through the MCP server, as Datadog's query `is_mcp_call:true` names it. */
const MCP_CALL_TAG = 'is_mcp_call:true';

/**
 * Whether an event was taken through the Datadog MCP server: its `is_mcp_call` attribute is true
 * (or `"true"`), or its tags hold `is_mcp_call:true`. Datadog writes the query without `@`, so the
 * flag may be either (docs/ai-activity.md); a scan of the few tags allocates nothing.
 */
function isMcpCall(inner: Obj | undefined, tags: unknown): boolean {
  const flag = inner?.is_mcp_call;
  if (flag === true || flag === 'true') return true;
  if (!Array.isArray(tags)) return false;
  for (let i = 0; i < tags.length; i++) if (tags[i] === MCP_CALL_TAG) return true;
  return false;
}

/** Which field of `delegator`/`usr` keys the person: '' when none is usable. */
export type PersonField = '' | 'id' | 'email' | 'name';

/**
 * A CallRecord that `read` overwrites in place, one raw event after another. The aggregates keep
 * one and copy out only what they keep, so an event that only moves counters allocates nothing.
 * `normalizeEvent` gives each event its own.
 */
export class EventRecord implements CallRecord {
  id: string | undefined = undefined;
  time = Number.NaN;
  person = UNKNOWN;
  delegated = false;
  actorType = UNKNOWN;
  actorMode = UNKNOWN;
  agentName = UNKNOWN;
  mcpCall = false;
  action = UNKNOWN;
  resourceType = UNKNOWN;
  resourceId = UNKNOWN;
  resourceName = UNKNOWN;
  clientIp = UNKNOWN;
  country = UNKNOWN;
  eventName = UNKNOWN;
  wellFormed = false;
  /** The field that keys the person and its value: `personKey` is `${personField}:${personValue}`. */
  personField: PersonField = '';
  personValue = '';
  private key: string | undefined = undefined;

  /** Stable key of the responsible person, built on first use (an aggregate that knows the person already never asks). */
  get personKey(): string {
    if (this.key === undefined)
      this.key = this.personField === '' ? UNKNOWN : `${this.personField}:${this.personValue}`;
    return this.key;
  }

  /** Sets the field that keys the person and its value (core/record-batch.ts reads records back this way). */
  setPerson(field: PersonField, value: string): void {
    this.personField = field;
    this.personValue = value;
    this.key = undefined;
  }

  /** Reads `raw` into this record, replacing every field; returns this. */
  read(raw: unknown): this {
    const event = obj(raw);
    const outer = obj(event?.attributes);
    const inner = obj(outer?.attributes);
    const evt = obj(inner?.evt);
    const actor = obj(evt?.actor);
    const asset = obj(inner?.asset);
    const client = obj(obj(inner?.network)?.client);
    const country = obj(obj(client?.geoip)?.country);

    let time = parseTime(outer?.timestamp);
    if (Number.isNaN(time)) time = parseTime(inner?.timestamp);
    this.time = time;

    const id = event?.id;
    this.id = typeof id === 'string' ? (id === '' ? undefined : id) : typeof id === 'number' ? String(id) : undefined;
    this.key = undefined;
    this.delegated = this.readPerson(obj(inner?.delegator));
    if (!this.delegated && !this.readPerson(obj(inner?.usr))) {
      this.personField = '';
      this.personValue = '';
      this.person = UNKNOWN;
    }
    this.actorType = text(actor?.type) ?? UNKNOWN;
    const mode = text(actor?.mode);
    this.actorMode = mode ?? UNKNOWN;
    this.agentName =
      mode === undefined ? UNKNOWN : agentOf(actor, obj(inner?.usr), this.delegated || mode === 'autonomous');
    this.mcpCall = isMcpCall(inner, outer?.tags);
    this.action = text(inner?.action) ?? UNKNOWN;
    this.resourceType = text(asset?.type) ?? UNKNOWN;
    this.resourceId = text(asset?.id) ?? UNKNOWN;
    this.resourceName = text(asset?.name) ?? UNKNOWN;
    this.clientIp = text(client?.ip) ?? UNKNOWN;
    this.country = text(country?.name) ?? UNKNOWN;
    this.eventName = text(evt?.name) ?? UNKNOWN;
    this.wellFormed = event !== undefined && outer !== undefined && inner !== undefined && Number.isFinite(time);
    return this;
  }

  /** Keys a person by id → email → name and shows email → name → id; false (nothing written) when none is usable. */
  private readPerson(person: Obj | undefined): boolean {
    if (!person) return false;
    const id = text(person.id);
    const email = text(person.email);
    const name = text(person.name);
    // The field name goes into the key, so an id never collides with somebody's email.
    if (id !== undefined) {
      this.personField = 'id';
      this.personValue = id;
    } else if (email !== undefined) {
      this.personField = 'email';
      this.personValue = email;
    } else if (name !== undefined) {
      this.personField = 'name';
      this.personValue = name;
    } else {
      return false;
    }
    this.person = email ?? name ?? this.personValue;
    return true;
  }
}

/**
 * The name of the Datadog AI agent of an event with a mode. Datadog names the agent `evt.actor`
 * but documents no name attribute, so: `evt.actor.name`; else, when the agent acted for a
 * delegator or on its own (autonomous), the `usr` it acted as (name, email, id); else UNNAMED_AGENT.
 */
function agentOf(actor: Obj | undefined, usr: Obj | undefined, usrIsAgent: boolean): string {
  const named = text(actor?.name);
  if (named !== undefined) return named;
  if (usrIsAgent && usr) return text(usr.name) ?? text(usr.email) ?? text(usr.id) ?? UNNAMED_AGENT;
  return UNNAMED_AGENT;
}

export function normalizeEvent(raw: unknown): CallRecord {
  return new EventRecord().read(raw);
}
