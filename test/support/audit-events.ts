/**
 * Builds raw Datadog audit events (search response `data[]` items) for unit tests of the core,
 * with just the fields a test cares about; and shows a normalized record as a plain object, to
 * compare records field by field.
 */
import type { EventRecord } from '../../functions/weekly-report/core/normalize';

/** Every field of `r` (the person key and its parts too), as a plain object. */
export function plainRecord(r: EventRecord) {
  return {
    id: r.id,
    time: r.time,
    personKey: r.personKey,
    personField: r.personField,
    personValue: r.personValue,
    person: r.person,
    delegated: r.delegated,
    actorType: r.actorType,
    actorMode: r.actorMode,
    agentName: r.agentName,
    mcpCall: r.mcpCall,
    action: r.action,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    resourceName: r.resourceName,
    clientIp: r.clientIp,
    country: r.country,
    eventName: r.eventName,
    wellFormed: r.wellFormed,
  };
}

export interface EventSpec {
  /** ISO time or epoch ms; becomes the outer `attributes.timestamp`. */
  readonly at: string | number;
  readonly user?: { id?: unknown; email?: unknown; name?: unknown };
  readonly delegator?: { id?: unknown; email?: unknown; name?: unknown };
  readonly actorType?: string;
  /** `evt.actor.mode` (a Datadog AI agent's event); absent unless given. */
  readonly mode?: string;
  /** `evt.actor.name`: the agent's name. */
  readonly agent?: string;
  /** `is_mcp_call: true` as an attribute, or as the tag `is_mcp_call:true`. */
  readonly mcpCall?: 'attribute' | 'tag';
  readonly action?: string;
  readonly type?: string;
  readonly id?: string;
  readonly name?: string;
  readonly country?: string;
  readonly ip?: string;
  readonly evtName?: string;
}

let sequence = 0;

export function auditEvent(spec: EventSpec): Record<string, unknown> {
  const iso = typeof spec.at === 'number' ? new Date(spec.at).toISOString() : spec.at;
  sequence++;
  return {
    id: `AQAAAY${sequence.toString(36)}`,
    type: 'audit',
    attributes: {
      timestamp: iso,
      service: 'mcp-server',
      tags: ['source:audit', ...(spec.mcpCall === 'tag' ? ['is_mcp_call:true'] : [])],
      message: 'MCP tool call',
      attributes: {
        evt: {
          name: spec.evtName ?? 'MCP Server',
          actor: {
            type: spec.actorType ?? 'USER',
            ...(spec.mode !== undefined ? { mode: spec.mode } : {}),
            ...(spec.agent !== undefined ? { name: spec.agent } : {}),
          },
        },
        ...(spec.mcpCall === 'attribute' ? { is_mcp_call: true } : {}),
        usr: spec.user ?? { id: 'u-ana', email: 'ana@example.com', name: 'Ana' },
        ...(spec.delegator ? { delegator: spec.delegator } : {}),
        action: spec.action ?? 'accessed',
        asset: { type: spec.type ?? 'dashboard', id: spec.id ?? 'abc-123', name: spec.name ?? 'Service overview' },
        network: { client: { ip: spec.ip ?? '192.0.2.10', geoip: { country: { name: spec.country ?? 'France' } } } },
        timestamp: iso.replace(/Z$/, ''),
      },
    },
  };
}

export const person = (handle: string) => ({ id: `u-${handle}`, email: `${handle}@example.com`, name: handle });

/** `count` calls by `who`, `stepMs` apart from `start`. */
export function calls(count: number, start: number, stepMs: number, spec: Omit<EventSpec, 'at'> = {}) {
  return Array.from({ length: count }, (_, i) => auditEvent({ ...spec, at: start + i * stepMs }));
}
