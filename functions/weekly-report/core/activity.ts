/**
 * Which kind of AI activity an audit event is (core/types.ts AI_KINDS, docs/ai-activity.md), and
 * which events a report counts for its `activity` setting. Every figure of the report counts an
 * event at most once, by its id (the source de-duplicates), under the first kind that applies.
 * Pure, and free of allocation: it runs once per event.
 */
import { type Activity, type AiKind, type CallRecord, MCP_EVENT_NAME, UNKNOWN } from './types';

/** Index into AI_KINDS (0 `mcp_tool_call`, 1 `mcp_action`, 2 `agent_action`), or NOT_AI. */
export type KindIndex = -1 | 0 | 1 | 2;
export const NOT_AI = -1;
export const MCP_TOOL_CALL = 0;
export const MCP_ACTION = 1;
export const AGENT_ACTION = 2;

/**
 * The kind of `r` for a report of `activity`, or NOT_AI when that report leaves it out. An event
 * without a readable `evt.name` counts as an MCP tool call, as it always has (it may be a malformed
 * one), unless it says it is of another kind.
 */
export function kindOf(r: CallRecord, activity: Activity): KindIndex {
  const name = r.eventName;
  if (name === MCP_EVENT_NAME) return MCP_TOOL_CALL;
  if (activity === 'all') {
    if (r.mcpCall) return MCP_ACTION;
    if (r.actorMode !== UNKNOWN) return AGENT_ACTION;
  }
  return name === UNKNOWN ? MCP_TOOL_CALL : NOT_AI;
}

/** True when `r` is a Datadog AI agent's event (`evt.actor.mode` present). */
export function isAgentEvent(r: { readonly actorMode: string }): boolean {
  return r.actorMode !== UNKNOWN;
}

/** True for a Datadog AI agent acting on a trigger with no user present. */
export function isAutonomous(mode: string): boolean {
  return mode === 'autonomous' || (mode !== 'interactive' && mode !== UNKNOWN && mode.toLowerCase() === 'autonomous');
}

/** True for a Datadog AI agent acting while a user was present and approved. */
export function isInteractive(mode: string): boolean {
  return mode === 'interactive' || (mode !== 'autonomous' && mode !== UNKNOWN && mode.toLowerCase() === 'interactive');
}

/**
 * True when an event belongs to its agent rather than a person (`activity: all`): the agent acted
 * autonomously and names no delegator. It is shown as the agent, never counted as a person.
 */
export function isAgentOwned(r: CallRecord): boolean {
  return !r.delegated && isAutonomous(r.actorMode);
}

export const KIND_NAMES: readonly AiKind[] = ['mcp_tool_call', 'mcp_action', 'agent_action'];
