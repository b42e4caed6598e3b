/**
 * Escaping and truncation for the report's two media: HTML (the email) and Slack mrkdwn.
 * Every string that comes from audit data goes through one of these before it is placed in
 * markup, so no event can inject tags, ping `<!channel>`, mention someone, forge a link, format
 * the post or reorder what a reader sees with bidirectional controls.
 */
import { neutralizeBidi } from './plain-text';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // Braces are encoded so a value can never look like a template placeholder, even to a
  // later tool that substitutes `{{…}}` again (our own substitution is single-pass anyway).
  '{': '&#123;',
  '}': '&#125;',
};

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'{}]/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Escapes text for Slack (mrkdwn, plain_text and the `text` fallback): only `&`, `<` and `>`,
 * as Slack's formatting reference asks; any other entity would be shown literally.
 */
export function escapeSlack(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Shortens `value` to at most `max` code points, the last of them an ellipsis. Counts code points
 * rather than UTF-16 units, so an emoji or a non-BMP character is never cut in half.
 */
export function truncate(value: string, max: number): string {
  if (max <= 0) return '';
  // Fast path: a string no longer than `max` UTF-16 units has at most `max` code points.
  if (value.length <= max) return value;
  const points = Array.from(value);
  if (points.length <= max) return value;
  return `${points.slice(0, max - 1).join('')}…`;
}

/**
 * Escapes `value` with `escaper` and truncates it so the *escaped* text is at most `max`
 * UTF-16 units, ending with an ellipsis when cut; never splits an entity or a surrogate pair.
 * Bounds the output even for values made only of characters that escape to long entities.
 */
export function escapeWithin(value: string, max: number, escaper: (text: string) => string): string {
  const escaped = escaper(value);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const point of value) {
    const piece = escaper(point);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/**
 * One line of plain text for a subject or a label: line breaks and other control characters
 * become a space, and bidirectional controls are neutralized (see render/plain-text.ts). Every
 * audit value passes here before either medium escapes it.
 */
export function singleLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return neutralizeBidi(value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' '));
}

/**
 * `singleLine(raw)` cut to `max` code points with an ellipsis, reading no more of `raw` than it
 * can show: a 5000-character id costs what a short one does, however often a renderer asks.
 */
export function clipLine(raw: string, max: number): string {
  const reach = max * 4;
  if (raw.length <= reach) return truncate(singleLine(raw), max);
  // Past `reach` there is more than fits; a collapsed run of control characters may leave room,
  // so the ellipsis says that something was cut. A high surrogate cut from its pair is dropped.
  return truncate(`${singleLine(raw.slice(0, reach).replace(/[\ud800-\udbff]$/, ''))}…`, max);
}

let graphemes: Intl.Segmenter | undefined;

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8, an ellipsis included, between grapheme clusters
 * (a joined emoji or a letter with its accents is kept whole or left out whole). A character of
 * CJK text is 3 bytes, an emoji 4 (a skin-toned, joined one 15): a limit in characters alone lets
 * such text take four times the bytes, which is what the email's byte budget must not allow.
 */
export function clipBytes(text: string, maxBytes: number): string {
  // Fast path: at most 3 bytes per UTF-16 unit, so a short enough string fits whatever it holds.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  const room = maxBytes - 3; // the ellipsis
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (used + bytes > room) break;
    out += segment;
    used += bytes;
  }
  return `${out.replace(/…$/, '')}…`;
}

/** Look-alikes for Slack's formatting characters; the reader sees the same shape, Slack sees no marker. */
const SLACK_LOOKALIKES: Readonly<Record<string, string>> = { '*': '\u2217', '~': '\u223c', '`': '\u02cb', _: '\u02cd' };

/**
 * Keeps data from formatting a Slack post: `*` (bold), `~` (strike) and `` ` `` (code) become
 * look-alikes (∗ ∼ ˋ) wherever they are, `_` (italic) only where it could open or close italics
 * (next to a non-word character or the value's edge): Slack ignores an underscore inside a word,
 * and `log_query` or `first_last@example.com` should stay exactly as they are.
 */
export function inertMrkdwn(value: string): string {
  return value
    .replace(/[*~`]/g, (c) => SLACK_LOOKALIKES[c] ?? c)
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, SLACK_LOOKALIKES._ ?? '_');
}

/**
 * A URL that is safe in an `href` and inside Slack's `<url|label>`: only http(s) URLs pass
 * (anything else becomes `fallback`), and characters that would end the Slack link or the
 * attribute (`|`, `<`, `>`, `"`, `'`, spaces, control characters) are percent-encoded.
 * Our URLs are built by our own code; this is a second line of defence.
 */
export function safeUrl(value: string, fallback = 'https://app.datadoghq.com/audit-trail'): string {
  const trimmed = value.trim();
  if (!/^https?:\/\//i.test(trimmed)) return fallback;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must not reach an href
  return trimmed.replace(/[|<>"'`\s\u0000-\u001f\u007f{}\\^]/g, (c) => {
    const bytes = Buffer.from(c, 'utf8');
    return Array.from(bytes, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  });
}

/**
 * `url` when it is at most `max` characters, else `fallback` (for instance the whole window's
 * Audit Trail link): a deep link narrowed by a 5000-character id would blow the email's size
 * and Slack's text limits, and a broader link is still useful.
 */
export function boundedUrl(url: string, fallback: string, max = 2000): string {
  if (url.length <= max) return url;
  if (fallback !== '' && fallback.length <= max) return fallback;
  // Last resort: the Audit Trail page of the same Datadog app.
  const origin = /^https?:\/\/[^/?#]+/i.exec(url)?.[0];
  return origin && origin.length < max - 12 ? `${origin}/audit-trail` : 'https://app.datadoghq.com/audit-trail';
}

/** A Slack mrkdwn link whose label is escaped and whose URL cannot break out of `<url|label>`. */
export function slackLink(url: string, label: string): string {
  return `<${safeUrl(url)}|${escapeSlack(label)}>`;
}
