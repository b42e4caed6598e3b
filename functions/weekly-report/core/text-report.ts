// CONTRACT STUB — being implemented by the lead right now; signature is final.
import type { Summary } from './types';

/** The seed's "Output Format" as plain text (also the email's text part), with week-over-week deltas. */
export function formatTextReport(_summary: Summary): string {
  throw new Error('not implemented yet');
}
