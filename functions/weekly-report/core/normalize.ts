/**
 * Raw Datadog audit event (a `data[]` item of a search response) → typed CallRecord.
 * Any field may be missing or of the wrong type: nothing throws, nothing is dropped, unknowns
 * become `(unknown)`. This runs once per event, so it avoids allocation beyond the record.
 */
import { type CallRecord, UNKNOWN } from './types';

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

/** A usable text value: non-empty strings as they are, numbers and booleans as text (numbers may arrive as strings and vice versa). */
function text(value: unknown): string | undefined {
  // Only a string that starts with whitespace can be blank: skip the trim (an allocation) otherwise.
  if (typeof value === 'string')
    return value.length === 0 || (value.charCodeAt(0) <= 32 && value.trim() === '') ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** Epoch ms of an ISO string (a missing zone means UTC) or an epoch number; NaN when unusable. */
export function parseTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string' || value === '') return Number.NaN;
  if (/^\d+$/.test(value)) return Number(value);
  // The inner timestamp of real events lacks a zone ("2022-04-13T09:21:13.750599"): read it as UTC.
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = Date.parse(hasZone || !value.includes('T') ? value : `${value}Z`);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

interface Who {
  readonly key: string;
  readonly display: string;
}

/** Key by id → email → name; display email → name → id. */
function who(person: Obj | undefined): Who | undefined {
  if (!person) return undefined;
  const id = text(person.id);
  const email = text(person.email);
  const name = text(person.name);
  const key = id ?? email ?? name;
  if (key === undefined) return undefined;
  // Prefix the key with the field it came from, so an id never collides with somebody's email.
  const field = id !== undefined ? 'id' : email !== undefined ? 'email' : 'name';
  return { key: `${field}:${key}`, display: email ?? name ?? key };
}

export function normalizeEvent(raw: unknown): CallRecord {
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

  const delegator = who(obj(inner?.delegator));
  const person = delegator ?? who(obj(inner?.usr));

  return {
    time,
    personKey: person?.key ?? UNKNOWN,
    person: person?.display ?? UNKNOWN,
    delegated: delegator !== undefined,
    actorType: text(actor?.type) ?? UNKNOWN,
    actorMode: text(actor?.mode) ?? UNKNOWN,
    action: text(inner?.action) ?? UNKNOWN,
    resourceType: text(asset?.type) ?? UNKNOWN,
    resourceId: text(asset?.id) ?? UNKNOWN,
    resourceName: text(asset?.name) ?? UNKNOWN,
    clientIp: text(client?.ip) ?? UNKNOWN,
    country: text(country?.name) ?? UNKNOWN,
    eventName: text(evt?.name) ?? UNKNOWN,
    wellFormed: event !== undefined && outer !== undefined && inner !== undefined && Number.isFinite(time),
  };
}
