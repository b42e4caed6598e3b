/**
 * The seventh anomaly rule, `new_client`: a person calls through an MCP client they never used in
 * the baseline, by the `datadog.mcp.tool.usage` metric (its `client` tag), which outlives Audit
 * Trail's retention. One flag per person and client; like `new_country`, only for a person with
 * calls in the metric's baseline (a newcomer is `first_time_user`'s), never for a client or a
 * person the metric does not name. The metric has no per-call time, so a flag's time is the
 * window's start and its link is the Metrics Explorer, not Audit Trail. Pure.
 */

import { metricExplorerLink } from './links';
import { CallerIndex, type ClientHistory, type KnownPerson } from './mcp-usage';
import { compareCodePoints } from './order';
import { DAY_MS, isoOrUnknown } from './time';
import { type AnomalyFlag, MULTIPLE, type ReportSettings, UNKNOWN } from './types';

export interface NewClientContext {
  readonly history: ClientHistory;
  readonly people: Iterable<KnownPerson>;
  readonly windowRange: { readonly from: number; readonly to: number };
  readonly settings: ReportSettings;
}

/** `the 28 days before this week`, or `the baseline` when its length is not known. */
function baselineName(ctx: NewClientContext): string {
  const asked = ctx.settings.baselineWindow;
  if (!asked) return 'the baseline';
  const { from, to } = asked;
  if (!Number.isFinite(from) || to !== ctx.windowRange.from) return 'the baseline';
  const week = Math.round((ctx.windowRange.to - ctx.windowRange.from) / DAY_MS) === 7;
  return `the ${Math.round((to - from) / DAY_MS)} days before this ${week ? 'week' : 'window'}`;
}

function listSome(values: Iterable<string>, max = 5): string {
  const all = [...values].sort(compareCodePoints);
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown} and ${all.length - max} more` : shown;
}

/** The `new_client` flags, each with the key of the person it is about (for its group). */
export function newClientFlags(ctx: NewClientContext): Array<{ flag: AnomalyFlag; personKey: string }> {
  const { history, settings, windowRange } = ctx;
  const index = new CallerIndex(ctx.people, [...history.window, ...history.baseline]);
  const before = new Map<string, Set<string>>();
  for (const row of history.baseline) {
    if (!(row.calls > 0)) continue;
    const key = index.resolve(row).key;
    let clients = before.get(key);
    if (!clients) {
      clients = new Set();
      before.set(key, clients);
    }
    clients.add(row.client);
  }
  // Calls per person and client this window, with the person and the callers' tags for the link.
  const now = new Map<
    string,
    { person: KnownPerson; client: string; calls: number; email?: string; userId?: string }
  >();
  for (const row of history.window) {
    if (!(row.calls > 0) || row.client === UNKNOWN) continue;
    const person = index.resolve(row);
    if (person.key === UNKNOWN) continue; // "(unknown)" is many people or none: never call it new.
    const id = `${person.key}\u0000${row.client}`;
    const seen = now.get(id);
    if (seen) seen.calls += row.calls;
    else {
      now.set(id, {
        person,
        client: row.client,
        calls: row.calls,
        ...(row.email !== undefined ? { email: row.email } : {}),
        ...(row.userId !== undefined ? { userId: row.userId } : {}),
      });
    }
  }
  const flags: Array<{ flag: AnomalyFlag; personKey: string }> = [];
  const period = Math.round((windowRange.to - windowRange.from) / DAY_MS) === 7 ? 'this week' : 'this window';
  for (const { person, client, calls, email, userId } of now.values()) {
    const known = before.get(person.key);
    if (!known || known.has(client)) continue;
    const scope: Record<string, string> = { client };
    if (email !== undefined) scope.user_email = email;
    else if (userId !== undefined) scope.user_id = userId;
    flags.push({
      personKey: person.key,
      flag: {
        kind: 'new_client',
        severity: settings.thresholds.newClientSeverity,
        timestamp: isoOrUnknown(windowRange.from),
        user: person.display,
        action: MULTIPLE,
        resource_type: MULTIPLE,
        resource_id: MULTIPLE,
        count: calls,
        detail: `Calls through ${client} (${calls} ${period}); ${baselineName(ctx)} went only through: ${listSome(known)}`,
        link: metricExplorerLink(settings.site, windowRange.from, windowRange.to, scope, 'client'),
        client,
      },
    });
  }
  return flags;
}
