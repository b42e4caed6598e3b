/**
 * Whose calls a report counts. A report of the whole org takes every call; a scoped report (its
 * teams' members and listed people, or the command line's `--user`) takes the calls of its people
 * and their part of the MCP usage metric. Either is a `Share` of a read that serves several
 * reports at once (core/fan-out.ts), so a scoped report is narrowed the same way wherever it runs.
 *
 * Teams and listed people are matched by Datadog user id and e-mail: a call belongs to the scope
 * when the person responsible for it (the delegator when an agent acted, core/normalize.ts) is
 * one of them; an MCP usage row when its caller is. Nothing else widens a team scope: a person
 * known only by name, or not at all, is outside it. `--user` names one person by id, e-mail or
 * name, as the seed's per-user query does. Pure.
 */
import { createHash } from 'node:crypto';
import { narrowUsageData, narrowUsageDataBy } from './mcp-usage';
import { compareCodePoints } from './order';
import type { CallRecord, McpCaller, McpUsageData } from './types';

/** One report's part of a shared read: the calls it takes and its part of the usage metric. */
export interface Share {
  /** What the report is about ("team sre", "ana@example.com"); absent: the whole org. */
  readonly label?: string;
  /** Which calls it takes; absent: every call. */
  readonly accepts?: (record: CallRecord) => boolean;
  /** Its part of the MCP usage metric; absent: all of it. */
  readonly narrowUsage?: (usage: McpUsageData) => McpUsageData;
  /**
   * Whose calls a scoped report counted, as a digest of its people's ids and e-mails (see
   * `membershipFingerprint`): an archived week read with another membership is not folded into
   * this one's baseline. Absent: the whole org, or one person (`--user`).
   */
  readonly fingerprint?: string;
  /** How many people the scope names (team members and listed people), with `fingerprint`. */
  readonly people?: number;
}

/** The share of a report about the whole org: everything. */
export const WHOLE_ORG: Share = {};

export interface PersonScope {
  /** What the scope is, for headers and subjects: "team sre", "teams sre and data", "3 listed people". */
  readonly label: string;
  /** Lower-case Datadog user ids. */
  readonly ids: ReadonlySet<string>;
  /** Lower-case e-mail addresses. */
  readonly emails: ReadonlySet<string>;
  /** How many people it names: each member once, each listed entry once. */
  readonly people: number;
}

export interface ScopePerson {
  readonly userId?: string;
  readonly email?: string;
}

function lower(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.trim().toLowerCase();
}

/** A scope of `people` (team members and listed people); listed entries with `@` are e-mails, others ids. */
export function personScope(
  label: string,
  members: readonly ScopePerson[],
  listed: readonly string[] = [],
): PersonScope {
  const ids = new Set<string>();
  const emails = new Set<string>();
  const people = new Set<string>();
  for (const m of members) {
    const id = lower(m.userId);
    const email = lower(m.email);
    if (id) ids.add(id);
    if (email) emails.add(email);
    if (id || email) people.add(id ? `id:${id}` : `email:${email}`);
  }
  for (const entry of listed) {
    const value = lower(entry);
    if (!value) continue;
    if (value.includes('@')) emails.add(value);
    else ids.add(value);
    people.add(value.includes('@') ? `email:${value}` : `id:${value}`);
  }
  return { label, ids, emails, people: people.size };
}

/**
 * A digest of whom `scope` takes: its ids and e-mails, sorted, hashed (`sha256:…`). Two reads
 * of the same membership give the same fingerprint whatever the order the Teams API lists
 * people in; anyone joining or leaving (or a changed e-mail) gives another.
 */
export function membershipFingerprint(scope: Pick<PersonScope, 'ids' | 'emails'>): string {
  const content = JSON.stringify({
    ids: [...scope.ids].sort(compareCodePoints),
    emails: [...scope.emails].sort(compareCodePoints),
  });
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** True when the person responsible for `record` is in `scope`. */
export function callInScope(record: CallRecord, scope: PersonScope): boolean {
  const key = record.personKey;
  const at = key.indexOf(':');
  if (at < 0) return false; // (unknown): nobody's
  const field = key.slice(0, at);
  const value = key.slice(at + 1).toLowerCase();
  if (field === 'id') return scope.ids.has(value) || scope.emails.has(record.person.toLowerCase());
  if (field === 'email') return scope.emails.has(value);
  return false;
}

/** True when an MCP usage row's caller is in `scope` (by user id or e-mail). */
export function callerInScope(caller: McpCaller, scope: PersonScope): boolean {
  const id = lower(caller.userId);
  const email = lower(caller.email);
  return (id !== undefined && scope.ids.has(id)) || (email !== undefined && scope.emails.has(email));
}

/** The share of a scoped report: its people's calls and usage. */
export function scopeShare(scope: PersonScope): Share {
  return {
    label: scope.label,
    accepts: (record) => callInScope(record, scope),
    narrowUsage: (usage) => narrowUsageDataBy(usage, (caller) => callerInScope(caller, scope), scope.label),
    fingerprint: membershipFingerprint(scope),
    people: scope.people,
  };
}

/** True when `record` belongs to the person `who` names (an id, e-mail or name, any case). */
export function isPerson(record: CallRecord, who: string): boolean {
  const wanted = who.toLowerCase();
  const keyValue = record.personKey.slice(record.personKey.indexOf(':') + 1).toLowerCase();
  return keyValue === wanted || record.person.toLowerCase() === wanted;
}

/** The share of one person's report (`--user`): their calls and their usage. */
export function personShare(who: string): Share {
  return {
    label: who,
    accepts: (record) => isPerson(record, who),
    narrowUsage: (usage) => narrowUsageData(usage, who),
  };
}

/** Both shares at once: the calls and usage both take (`--team` with `--user`). */
export function bothShares(a: Share, b: Share): Share {
  const accepts =
    a.accepts && b.accepts
      ? (r: CallRecord) => (a.accepts?.(r) ?? true) && (b.accepts?.(r) ?? true)
      : (a.accepts ?? b.accepts);
  const narrow = (usage: McpUsageData) => (b.narrowUsage ?? same)((a.narrowUsage ?? same)(usage));
  const label = [a.label, b.label].filter((l) => l !== undefined).join(', ');
  // One side the whole org: the other's membership. Both narrowing: a membership of its own (a
  // week of either alone is not one of both), whose size is not known.
  const fingerprint = !a.accepts
    ? b.fingerprint
    : !b.accepts
      ? a.fingerprint
      : `sha256:${createHash('sha256')
          .update(`${a.fingerprint ?? a.label ?? ''}\n${b.fingerprint ?? b.label ?? ''}`)
          .digest('hex')}`;
  const people = !a.accepts ? b.people : !b.accepts ? a.people : undefined;
  return {
    ...(label !== '' ? { label } : {}),
    ...(accepts ? { accepts } : {}),
    ...(a.narrowUsage || b.narrowUsage ? { narrowUsage: narrow } : {}),
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(people !== undefined ? { people } : {}),
  };
}

function same<T>(value: T): T {
  return value;
}

/** "team sre", "teams sre and data", "3 listed people", "team sre and 2 listed people". */
export function scopeLabel(teams: readonly string[], people: readonly string[]): string {
  const parts: string[] = [];
  if (teams.length > 0) {
    const names = teams.length === 1 ? teams[0] : `${teams.slice(0, -1).join(', ')} and ${teams[teams.length - 1]}`;
    parts.push(`${teams.length === 1 ? 'team' : 'teams'} ${names}`);
  }
  if (people.length > 0) parts.push(`${people.length} listed ${people.length === 1 ? 'person' : 'people'}`);
  return parts.join(' and ');
}
