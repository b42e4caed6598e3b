/**
 * Who a scoped report is about: a set of people, by Datadog user id and e-mail, from the members
 * of its teams and the people it lists. A call belongs to the scope when the person responsible
 * for it (the delegator when an agent acted, core/normalize.ts) is one of them; an MCP usage row
 * when its caller is. Nothing else widens a scope: a person known only by name, or not at all, is
 * outside every scope. Pure.
 */
import type { CallRecord, McpCaller } from './types';

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
