/**
 * Finalizes merged aggregates into the summary JSON (schema 1, DESIGN.md): the seed's five keys
 * with the seed's meaning, the daily calls in the configured zone, the week-over-week figures,
 * the anomaly flags and their groups, the changes, every caveat a reader must know, and (`activity: all`) the
 * `ai_activity` section: every kind of AI activity, its agents and their modes. Pure.
 */
import type { AiTally, BaselineAggregate, WindowAggregate } from './aggregate';
import { detectAnomalies } from './anomalies';
import { describeGaps, isUnread, summaryGaps } from './gaps';
import { activityQuery, auditTrailLink } from './links';
import { usageSections } from './mcp-usage';
import { BUCKET_MS, compareCodePoints } from './order';
import { DAY_MS, isoOrUnknown, localDate } from './time';
import {
  AI_KINDS,
  type AiActivitySummary,
  type ChangeItem,
  type McpUsageData,
  type ReportSettings,
  type Summary,
  UNKNOWN,
} from './types';

/** What the groups' statuses say without a report archive to compare with. */
export const NO_ARCHIVE_NOTE = 'No report archive holds a previous week to compare with: every group is new.';

/** A baseline whose first event comes this long after its start is reported as short. */
const SHORT_BASELINE_SLACK_MS = DAY_MS;

/** Count-descending, then name-ascending by code point: the seed's `sort_by(-.count)` over `group_by`. */
export function rankCounts(counts: Iterable<[string, number]>): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
}

/** Every calendar day of `[from, to)` in `timeZone`, with the calls of each (zero included). */
export function dailyCalls(
  buckets: ReadonlyMap<number, number>,
  from: number,
  to: number,
  timeZone: string,
): Array<{ date: string; calls: number }> {
  const days = new Map<string, number>();
  if (to > from) {
    const first = Math.floor(from / BUCKET_MS);
    const last = Math.floor((to - 1) / BUCKET_MS);
    for (let b = first; b <= last; b++) {
      // A bucket never straddles a local midnight, so its start names its day (zones at :30 and :45 included).
      const day = localDate(Math.max(b * BUCKET_MS, from), timeZone);
      days.set(day, (days.get(day) ?? 0) + (buckets.get(b) ?? 0));
    }
  }
  return [...days].map(([date, calls]) => ({ date, calls }));
}

/**
 * The `ai_activity` section of a window that read every kind: each event once, its kind, the
 * agents with their modes and the people they acted for, attribution, and per day.
 */
export function aiActivitySection(
  ai: AiTally,
  baseline: BaselineAggregate | undefined,
  range: { readonly from: number; readonly to: number },
  settings: Pick<ReportSettings, 'site' | 'timezone'>,
): AiActivitySummary {
  const agents = [...ai.agents]
    .map(([agent, a]) => ({
      agent,
      events: a.events,
      interactive: a.interactive,
      autonomous: a.autonomous,
      people: a.people.id.size + a.people.email.size + a.people.name.size,
    }))
    .sort((a, b) => b.events - a.events || compareCodePoints(a.agent, b.agent));
  const events = dailyCalls(ai.buckets, range.from, range.to, settings.timezone);
  const autonomous = dailyCalls(ai.autonomousBuckets, range.from, range.to, settings.timezone);
  return {
    query: activityQuery('all'),
    total: ai.total,
    by_kind: Object.fromEntries(AI_KINDS.map((kind, i) => [kind, ai.byKind[i] ?? 0])) as AiActivitySummary['by_kind'],
    autonomous: ai.autonomous,
    interactive: ai.interactive,
    agents,
    attribution: {
      agent_events: ai.agentEvents,
      with_delegator: ai.withDelegator,
      share: ai.agentEvents > 0 ? Math.round((ai.withDelegator / ai.agentEvents) * 10_000) / 10_000 : null,
    },
    daily: events.map((d, i) => ({ date: d.date, events: d.calls, autonomous: autonomous[i]?.calls ?? 0 })),
    ...(baseline
      ? {
          previous_window: baseline.previousAiKnown
            ? { total: baseline.previousAi, autonomous: baseline.previousAutonomous }
            : null,
        }
      : {}),
    link: auditTrailLink(settings.site, range.from, range.to, { activity: 'all' }),
  };
}

/** "1 event was" / "3 events were". */
function events(count: number): string {
  return `${count.toLocaleString('en-US')} event${count === 1 ? ' was' : 's were'}`;
}

/**
 * The summary of `window` against `baseline`; `usage` is what the `datadog.mcp.tool.usage` metric
 * said over the same ranges (absent: it was not read, and the tool and client sections say so).
 */
export function summarize(
  window: WindowAggregate,
  baseline: BaselineAggregate | undefined,
  settings: ReportSettings,
  usage?: McpUsageData,
): Summary {
  const all = window.activity === 'all';
  const hasData = Number.isFinite(window.minTime);
  const range = settings.window ?? { from: hasData ? window.minTime : 0, to: hasData ? window.maxTime + 1 : 0 };
  const warnings: string[] = describeGaps(window.incomplete, settings.timezone);

  let usableBaseline: BaselineAggregate | undefined;
  let baselineSummary: Summary['baseline'];
  if (!baseline) {
    warnings.push(
      'No baseline was given: first_time_user, out_of_scope, new_country and new_client were not evaluated.',
    );
  } else {
    const asked = settings.baselineWindow;
    const from = asked?.from ?? (Number.isFinite(baseline.minTime) ? baseline.minTime : range.from);
    const to = asked?.to ?? (Number.isFinite(baseline.maxTime) ? baseline.maxTime + 1 : range.from);
    baselineSummary = { from: isoOrUnknown(from), to: isoOrUnknown(to), events: baseline.events };
    const unread = asked !== undefined && isUnread(baseline.incomplete, asked.from, asked.to);
    warnings.push(
      ...describeGaps(baseline.incomplete, settings.timezone, unread ? 'Baseline could not be read' : 'Baseline'),
    );
    if (unread) {
      // Nothing of it could be read: say so, never "it holds no events" (that reads as a retention problem).
      warnings.push(
        'The baseline could not be read, so first_time_user, out_of_scope and new_country were not evaluated.',
      );
    } else if (baseline.events === 0) {
      warnings.push(
        `The baseline (${isoOrUnknown(from)} to ${isoOrUnknown(to)}) holds no MCP events${all ? ' or other AI activity' : ''}, so first_time_user, ` +
          `out_of_scope and new_country were not evaluated (check the Audit Trail retention if ${all ? 'AI' : 'MCP'} was in use then).`,
      );
    } else {
      usableBaseline = baseline;
      if (asked && baseline.minTime - asked.from > SHORT_BASELINE_SLACK_MS) {
        const days = Math.round((asked.to - baseline.minTime) / DAY_MS);
        warnings.push(
          `The baseline covers only ${days} of ${Math.round((asked.to - asked.from) / DAY_MS)} days: its first event is ` +
            `${isoOrUnknown(baseline.minTime)} (Audit Trail retention may be shorter, or MCP use started then).`,
        );
      }
    }
  }
  if (window.malformed > 0) {
    warnings.push(`${events(window.malformed)} malformed; counted, with missing fields as (unknown).`);
  }
  const undated = all ? window.ai.undated : window.undated;
  if (undated > 0) {
    warnings.push(
      `${undated.toLocaleString('en-US')} event${undated === 1 ? '' : 's'} had no usable timestamp; counted, but not in daily calls or bursts.`,
    );
  }
  if (window.outOfRange > 0) warnings.push(`${events(window.outOfRange)} outside the window and left out.`);
  if (window.otherEvents > 0) {
    warnings.push(
      all
        ? `${events(window.otherEvents)} of no AI kind (not an MCP Server call, no is_mcp_call, no AI agent) and left out.`
        : `${events(window.otherEvents)} other audit events than MCP Server calls and left out.`,
    );
  }

  const mcp = usageSections({
    ...(usage ? { usage } : {}),
    people: window.people.values(),
    auditCalls: window.total,
    site: settings.site,
    range,
    hasBaseline: baseline !== undefined,
  });
  warnings.push(...mcp.warnings);

  const anomalies = detectAnomalies({
    window,
    baseline: usableBaseline,
    windowRange: range,
    settings,
    ...(mcp.clientHistory ? { clientHistory: mcp.clientHistory } : {}),
  });
  // The seed's people: those with MCP tool calls (under `all` the rules also know people with other events only).
  const callers = [...window.people.values()].filter((p) => p.calls > 0);
  const people = rankCounts(callers.map((p) => [p.display, p.calls]));
  const changes: ChangeItem[] = window.newestChanges().map((c) => ({
    timestamp: isoOrUnknown(c.time),
    user: c.person,
    action: c.action,
    resource_type: c.resourceType,
    resource_id: c.resourceId,
    resource_name: c.resourceName,
    ...(all
      ? { kind: AI_KINDS[c.kind] ?? 'mcp_tool_call', ...(c.mode !== UNKNOWN ? { agent: c.agent, mode: c.mode } : {}) }
      : {}),
  }));

  return {
    schema: 1,
    org: settings.org,
    ...(settings.scopeLabel !== undefined ? { scope: { label: settings.scopeLabel } } : {}),
    window: { from: isoOrUnknown(range.from), to: isoOrUnknown(range.to) },
    timezone: settings.timezone,
    complete: window.incomplete.length === 0 && (baseline?.incomplete.length ?? 0) === 0,
    total_tool_calls: window.total,
    unique_users: callers.length,
    top_users: people.slice(0, settings.topUsers).map(([user, calls]) => ({ user, calls })),
    actions_breakdown: rankCounts(window.actions).map(([action, count]) => ({ action, count })),
    resource_types: rankCounts(window.resourceTypes).map(([type, count]) => ({ type, count })),
    daily_calls: dailyCalls(window.buckets, range.from, range.to, settings.timezone),
    ...(baseline
      ? {
          previous_window: {
            total_tool_calls: baseline.previousTotal,
            unique_users: [...baseline.people.values()].filter((p) => p.previousCalls > 0).length,
          },
          baseline: baselineSummary,
        }
      : {}),
    anomalies: anomalies.flags,
    anomaly_counts: anomalies.counts,
    anomaly_groups: anomalies.groups,
    resolved_groups: [],
    // With a report archive the pipeline compares the groups with the previous week (pipeline/history.ts).
    group_history: { previous_week_end: null, note: NO_ARCHIVE_NOTE },
    changes: { total: window.changesTotal, items: changes },
    malformed_events: window.malformed,
    data_gaps: {
      window: summaryGaps(window.incomplete),
      ...(baseline ? { baseline: summaryGaps(baseline.incomplete) } : {}),
    },
    link: auditTrailLink(settings.site, range.from, range.to, { activity: window.activity }),
    tools: mcp.tools,
    clients: mcp.clients,
    tool_usage: mcp.source,
    warnings,
    ...(all ? { ai_activity: aiActivitySection(window.ai, baseline, range, settings) } : {}),
  };
}
