/**
 * Text from audit data made safe to show, shared by the text report (core) and the email and
 * Slack renderers: one rule for bidirectional controls in every medium, so a name such as
 * `admin<U+202E>gnp.exe@example.com` cannot display as something it is not anywhere. Pure.
 */

/** Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they reorder what follows. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
/** Direction marks (LRM, RLM, ALM): invisible hints that can still move neutral characters around. */
const BIDI_MARKS = /[\u200e\u200f\u061c]/g;

/**
 * Replaces each bidirectional embedding, override or isolate with U+FFFD (�), so the reader sees
 * that something was there and the text shows in its stored order, and drops direction marks,
 * which carry no content of their own.
 */
export function neutralizeBidi(value: string): string {
  return value.replace(BIDI_CONTROLS, '\ufffd').replace(BIDI_MARKS, '');
}
