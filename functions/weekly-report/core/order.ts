/**
 * Orderings shared by the aggregate and the summary. Every tie is broken on content, so partials
 * merged in any order finalize to the same lists.
 */

/** Fifteen minutes: every time zone's offset is a multiple of it, so buckets never straddle a local midnight. */
export const BUCKET_MS = 15 * 60 * 1000;

/** A call worth remembering individually (flag candidates and changes). */
export interface NotableCall {
  readonly time: number;
  readonly personKey: string;
  readonly person: string;
  readonly actorType: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly resourceName: string;
  readonly country: string;
  /** Index into AI_KINDS of the event's kind (core/activity.ts). */
  readonly kind: number;
  /** `evt.actor.mode` and the agent of an AI agent's event, `(unknown)` otherwise. */
  readonly mode: string;
  readonly agent: string;
  /** The agent acted autonomously for nobody: the call is the agent's, `person` names the agent. */
  readonly agentOwned: boolean;
}

/** Compares strings by Unicode code point (JS `<` compares UTF-16 units, which misorders astral characters). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates (U+D800–DFFF) above U+E000–FFFF, which is where the code points they encode sort.
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** Total order on notable calls: by time, then every field, so ties resolve the same way in any slicing. */
export function compareCalls(a: NotableCall, b: NotableCall): number {
  const aDated = !Number.isNaN(a.time);
  const bDated = !Number.isNaN(b.time);
  if (aDated !== bDated) return aDated ? -1 : 1;
  if (aDated && a.time !== b.time) return a.time - b.time;
  return (
    compareCodePoints(a.personKey, b.personKey) ||
    compareCodePoints(a.action, b.action) ||
    compareCodePoints(a.resourceType, b.resourceType) ||
    compareCodePoints(a.resourceId, b.resourceId) ||
    compareCodePoints(a.resourceName, b.resourceName) ||
    compareCodePoints(a.actorType, b.actorType) ||
    compareCodePoints(a.country, b.country) ||
    compareCodePoints(a.person, b.person) ||
    a.kind - b.kind ||
    compareCodePoints(a.mode, b.mode) ||
    compareCodePoints(a.agent, b.agent) ||
    Number(a.agentOwned) - Number(b.agentOwned)
  );
}
