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
import { narrowUsageData, narrowUsageDataBy } from './mcp-usage';
import type { CallRecord, McpCaller, McpUsageData } from './types';

/** One report's part of a shared read: the calls it takes and its part of the usage metric. */
export interface Share {
  /** What the report is about ("team sre", "ana@example.com"); absent: the whole org. */
  readonly label?: string;
  /** Which calls it takes; absent: every call. */
  readonly accepts?: (record: CallRecord) => boolean;
  /** Its part of the MCP usage metric; absent: all of it. */
  readonly narrowUsage?: (usage: McpUsageData) => McpUsageData;
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
  for (const m of members) {
    const id = lower(m.userId);
    const email = lower(m.email);
    if (id) ids.add(id);
    if (email) emails.add(email);
  }
  for (const entry of listed) {
    const value = lower(entry);
    if (!value) continue;
    if (value.includes('@')) emails.add(value);
    else ids.add(value);
  }
  return { label, ids, emails };
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
  return {
    ...(label !== '' ? { label } : {}),
    ...(accepts ? { accepts } : {}),
    ...(a.narrowUsage || b.narrowUsage ? { narrowUsage: narrow } : {}),
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
