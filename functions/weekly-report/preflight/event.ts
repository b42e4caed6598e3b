/**
 * The event that asks the deployed function for its preflight instead of a report:
 * `{"check": true}` (`aws lambda invoke --payload '{"check": true}'`). Kept apart from the checks
 * so the handler tells the events apart without loading them.
 */

export interface PreflightEvent {
  readonly check: true;
}

export function isPreflightEvent(event: unknown): event is PreflightEvent {
  return typeof event === 'object' && event !== null && (event as { check?: unknown }).check === true;
}
