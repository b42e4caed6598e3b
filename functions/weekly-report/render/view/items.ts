/**
 * The view's list items that a busy week has thousands of: anomaly flags and changes. Each is
 * made from its summary entry in a few steps, and what costs (a time formatted in the report's
 * zone, a flag's subject) is worked out when a medium first reads it: a medium shows a few dozen.
 * Classes, so a view of 5000 flags stays cheap to build.
 */

import type { AnomalyFlag, ChangeItem } from '../../core/types';
import { flagSubject, flagTime, formatCount, formatShortTime, KIND_LABELS } from './format';

/** One anomaly flag as readers see it. Audit values are raw. */
export class FlagView {
  /** The rule's id (`destructive_action`) and its label (`Destructive action`). */
  readonly kind: string;
  readonly label: string;
  readonly severity: string;
  /** ISO time of the (first) call, as the summary has it. */
  readonly timestamp: string;
  readonly user: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly count: number;
  /** `143 calls` for a flag over many calls, else empty. */
  readonly calls: string;
  /** Why it was flagged. */
  readonly detail: string;
  readonly #flag: AnomalyFlag;
  readonly #zone: string;
  #time: string | undefined;
  #subject: readonly string[] | undefined;

  constructor(flag: AnomalyFlag, zone: string) {
    this.#flag = flag;
    this.#zone = zone;
    this.kind = flag.kind;
    this.label = KIND_LABELS[flag.kind] ?? flag.kind;
    this.severity = flag.severity;
    this.timestamp = flag.timestamp;
    this.user = flag.user;
    this.action = flag.action;
    this.resourceType = flag.resource_type;
    this.resourceId = flag.resource_id;
    this.count = flag.count;
    this.calls = flag.count > 1 ? `${formatCount(flag.count)} calls` : '';
    this.detail = flag.detail;
  }

  /** `Tue 17 Nov 10:00` in the report's zone; empty where there is no call time (`new_client`). */
  get time(): string {
    this.#time ??= flagTime(this.#flag, this.#zone);
    return this.#time;
  }

  /** Who did what to which resource (or through which client), placeholders left out. */
  get subject(): readonly string[] {
    this.#subject ??= flagSubject(this.#flag);
    return this.#subject;
  }

  /** The matching calls in Datadog, with text that names the flag (a `Link` of types.ts). */
  get link(): { readonly url: string; readonly text: string } {
    return { url: this.#flag.link, text: `${this.label} by ${this.user} in Datadog` };
  }
}

/** How a change was made, for its line: empty for an MCP tool call (or a report of those alone). */
export function changeVia(change: ChangeItem): string {
  if (change.kind === 'mcp_action') return 'through the MCP server';
  if (change.agent !== undefined) return `${change.agent}${change.mode ? ` (${change.mode})` : ''}`;
  return '';
}

/** One create/modify/delete call as readers see it. Audit values are raw. */
export class ChangeView {
  readonly action: string;
  readonly resourceType: string;
  /** The resource's name when it has one other than its id, else empty. */
  readonly name: string;
  readonly resourceId: string;
  readonly user: string;
  /** How it was made when not by an MCP tool call: `through the MCP server`, `Bits AI SRE (autonomous)`; else empty. Raw. */
  readonly via: string;
  readonly timestamp: string;
  readonly #zone: string;
  #time: string | undefined;

  constructor(change: ChangeItem, zone: string) {
    this.#zone = zone;
    this.action = change.action;
    this.resourceType = change.resource_type;
    this.name = change.resource_name && change.resource_name !== change.resource_id ? change.resource_name : '';
    this.resourceId = change.resource_id;
    this.user = change.user;
    this.via = changeVia(change);
    this.timestamp = change.timestamp;
  }

  /** `Tue 17 Nov 10:00` in the report's zone. */
  get time(): string {
    this.#time ??= formatShortTime(this.timestamp, this.#zone);
    return this.#time;
  }
}
