/**
 * Text from audit data made safe to show, shared by the text report, the email and Slack
 * renderers and the command line: one rule for bidirectional controls in every medium, so a name
 * such as `admin<U+202E>gnp.exe@example.com` cannot display as something it is not anywhere; and
 * one printable rule for plain text (a terminal, the email's text part), so no value from audit
 * data or the archive can move the cursor, clear the screen, set a terminal's title or start a
 * line of its own. Pure.
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

/**
 * Wraps `text` into lines of at most `width` code points: the first line starts with `indent`,
 * the others with `hanging`. Breaks at spaces; a word longer than a line (a 5000-character id)
 * is cut into line-long pieces, so no line is ever wider than `width`.
 */
export function wrapText(text: string, width: number, indent = '', hanging = indent): string[] {
  const lines: string[] = [];
  let line = indent;
  let length = [...indent].length;
  let empty = true;
  const room = (): number => width - length - (empty ? 0 : 1);
  const newLine = (): void => {
    lines.push(line);
    line = hanging;
    length = [...hanging].length;
    empty = true;
  };
  for (const word of text.split(' ').filter((w) => w !== '')) {
    let rest = [...word];
    if (rest.length > room() && !empty) newLine();
    while (rest.length > room()) {
      const take = Math.max(1, room());
      line += (empty ? '' : ' ') + rest.slice(0, take).join('');
      length += take + (empty ? 0 : 1);
      empty = false;
      rest = rest.slice(take);
      newLine();
    }
    if (rest.length === 0) continue;
    line += (empty ? '' : ' ') + rest.join('');
    length += rest.length + (empty ? 0 : 1);
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Control characters (C0, DEL, C1: ESC, CR, LF, NUL, CSI…), the Unicode line and paragraph
 * separators, and lone surrogates (which a terminal would show as U+FFFD, hiding that something
 * was there). A well-formed pair is one code point under the `u` flag and does not match.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029]|\p{Cs}/gu;

/** `\u001b`: the character's code, as JSON and JavaScript write it, so the reader sees what was there. */
function escapeCode(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `value` made printable on one line: every control character (a line break included) shown as
 * its escape (`ESC` → `\u001b`, LF → `\u000a`), bidirectional controls neutralized. Idempotent:
 * what it returns holds nothing it would change. A backslash is left as it is, so a value that
 * already reads `\u001b` looks the same as an escaped ESC; either way nothing reaches the
 * terminal but printable text.
 */
export function printable(value: string): string {
  return neutralizeBidi(value.replace(UNPRINTABLE, escapeCode));
}

/** A whole text made printable line by line: its line feeds are kept, everything else as `printable`. */
export function printableText(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
