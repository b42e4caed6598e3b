/**
 * The "AI activity" section of the view (a summary's `ai_activity`, `activity: all`): how many AI
 * actions there were and how many autonomous, each kind with what it counts and the Audit Trail
 * query behind it, the Datadog AI agents with their interactive/autonomous split and the people
 * they acted for, the share of agent actions that name the user who authorised them, and what is
 * said when an org has no agent events yet. Absent from a report of the seed's MCP tool calls alone.
 * Pure.
 */

import { AGENT_QUERY, MCP_ACTION_QUERY, MCP_QUERY } from '../../core/links';
import type { AiActivitySummary, AiKind } from '../../core/types';
import { computeDelta, formatCount, pluralize } from './format';
import { formatShare } from './percent';
import type { AgentRow, AiActivityView, AiKindRow, Figure } from './types';

/** Agents listed before "and N more". */
export const AGENTS_SHOWN = 8;

/** Each kind: its name, what it counts in words, and the query that finds it (docs/ai-activity.md). */
export const AI_KIND_LABELS: Readonly<
  Record<AiKind, { readonly label: string; readonly what: string; readonly query: string }>
> = {
  mcp_tool_call: { label: 'MCP tool calls', what: 'tool calls of the Datadog MCP server', query: MCP_QUERY },
  mcp_action: {
    label: 'Actions through the MCP server',
    what: 'changes and reads on other products made through the MCP server',
    query: MCP_ACTION_QUERY,
  },
  agent_action: {
    label: 'Datadog AI agent actions',
    what: 'actions of Datadog’s own AI agents (Bits AI SRE, Dev, Assistant, …) not counted above',
    query: AGENT_QUERY,
  },
};

/** Said instead of the agents when there are none: never a blank. */
export const NO_AGENTS = 'No Datadog AI agent activity recorded in this window.';

function figure(label: string, value: number, previous: number | undefined): Figure {
  const formatted = formatCount(value);
  return previous === undefined
    ? { label, value, formatted }
    : { label, value, formatted, delta: computeDelta(value, previous) };
}

export function aiActivityView(ai: AiActivitySummary): AiActivityView {
  const previous = ai.previous_window ?? undefined;
  const kinds: AiKindRow[] = (Object.keys(AI_KIND_LABELS) as AiKind[]).map((kind) => {
    const count = ai.by_kind[kind] ?? 0;
    const { label, what, query } = AI_KIND_LABELS[kind];
    return { kind, label, what, query, count, formatted: formatCount(count) };
  });
  const agents: AgentRow[] = ai.agents.map((a) => ({
    name: a.agent,
    events: a.events,
    interactive: a.interactive,
    autonomous: a.autonomous,
    people: a.people,
    formatted: formatCount(a.events),
    split: `${formatCount(a.interactive)} interactive, ${formatCount(a.autonomous)} autonomous`,
    peopleLabel: a.people > 0 ? `for ${pluralize(a.people, 'person', 'people')}` : 'for nobody named',
  }));
  const { agent_events: agentEvents, with_delegator: withDelegator } = ai.attribution;
  const attribution =
    agentEvents > 0
      ? `${formatShare(withDelegator, agentEvents)} of Datadog AI agent actions (${formatCount(withDelegator)} of ${formatCount(agentEvents)}) name the user who authorised them.`
      : '';
  const total = figure('AI actions', ai.total, previous?.total);
  const autonomous = figure('Autonomous', ai.autonomous, previous?.autonomous);
  return {
    title: 'AI activity',
    headline: `${pluralize(ai.total, 'AI action')} this window, ${formatCount(ai.autonomous)} autonomous (an AI agent acting with no user present)`,
    total,
    autonomous,
    interactive: figure('Interactive', ai.interactive, undefined),
    kinds,
    counting: 'Each event counts once, under the first kind that applies.',
    agents,
    ...(agents.length === 0 ? { noAgents: NO_AGENTS } : {}),
    attribution,
    ...(ai.previous_window === null
      ? { previousUnknown: 'No change vs the previous window: it was archived before these kinds were read.' }
      : {}),
    link: { url: ai.link, text: 'Open all AI activity in Datadog Audit Trail' },
  };
}
