/**
 * Escaping for Adaptive Card text in Teams: the Markdown subset of a TextBlock and of a fact's
 * title and value (bold `**`, italic `_`, lists, links `[label](url)`), and whatever else a
 * client adds on top (Teams linkifies bare URLs, `<at>` marks a mention, `{{DATE(…)}}` is a date
 * function of the card format, CommonMark decodes `&…;` entities and honours `\` escapes).
 *
 * Nothing from audit data can form a link, a mention or formatting: every character any of those
 * needs is swapped for a look-alike (`*` → `∗`, `[` → `［`, `<` → `‹`, a `.` before a letter or
 * digit → `․`, …), so a reader sees the same words and no parser sees a marker. An `@` stays: with
 * no `.` left between the names of a domain no e-mail address can be linked, and in a card only
 * `<at>` (whose `<` is gone) with the message's mention entities (never sent) makes a mention. Look-alikes rather
 * than backslash escapes because Microsoft documents no escape syntax for card Markdown: a `\*`
 * could show its backslash, or not escape at all, depending on the client. Every value is also one
 * line (no list, heading or quote can start in it), cut to a length, and freed of bidirectional
 * controls (escape.ts `clipLine`). Our own links are the only Markdown links, and their URLs are
 * ours, https, with every character that could end the link percent-encoded.
 */
import { clipLine, safeUrl } from './escape';

/** What each Markdown (or linkifying, mentioning, templating) character of data becomes: one UTF-16 unit each. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  '\\': '\u2216', // ∖ set minus: no backslash escape of our own syntax after a value
  '*': '\u2217', // ∗ asterisk operator: no bold or italic
  _: '\u02cd', // ˍ modifier low macron: no italic (only where an underscore could open or close it)
  '~': '\u223c', // ∼ tilde operator: no strike-through
  '`': '\u02cb', // ˋ modifier grave: no code span
  '[': '\uff3b', // ［ ］ fullwidth brackets: no link or image
  ']': '\uff3d',
  '<': '\u2039', // ‹ › single angle quotes: no autolink, no <at> mention, no HTML
  '>': '\u203a',
  '#': '\uff03', // ＃ fullwidth number sign: no heading
  '&': '\uff06', // ＆ fullwidth ampersand: no entity such as &#x202E; decoded after our bidi check
  '{': '\uff5b', // ｛ ｝ fullwidth braces: no {{DATE()}} / {{TIME()}} function, no template
  '}': '\uff5d',
};

/** A `.` that joins a name to what follows (`evil.example`, `www.x`) is a one dot leader: no bare domain links. */
const DOT_LEADER = '\u2024';
/** The `:` of `scheme://` is a ratio sign: no bare URL links. */
const RATIO = '\u2236';

/**
 * `text` with every character that Markdown, a linkifier or the card format would act on replaced
 * by its look-alike. Keeps the length in UTF-16 units, so a value cut to fit stays within it.
 */
export function inertCardText(text: string): string {
  return (
    text
      .replace(/[\\*~`[\]<>#&{}]/g, (c) => LOOKALIKES[c] ?? c)
      // An underscore inside a word opens no italic (CommonMark's flanking rule, which Teams follows):
      // `security_rule` and `first_last@example.com` stay as they are, as in the Slack post.
      .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, LOOKALIKES._ ?? '_')
      .replace(/\.(?=[\p{L}\p{N}])/gu, DOT_LEADER)
      .replace(/:(?=\/)/g, RATIO)
  );
}

/**
 * An audit value for a card's text: one line, cut to `max` code points (an ellipsis says so),
 * bidirectional controls neutralized, inert (see the file's header).
 */
export function cardValue(raw: string, max: number): string {
  return inertCardText(clipLine(raw, max));
}

/** Characters a Markdown link destination, or the text around it, could end or break at. */
const URL_BREAKERS = /[()[\]]/g;

/**
 * One of our own URLs, for a link or a button: https only (anything else becomes `fallback`),
 * with spaces, quotes, angle brackets, control characters (escape.ts `safeUrl`) and the characters
 * that would end a Markdown link destination (`(`, `)`, `[`, `]`) percent-encoded.
 */
export function cardUrl(url: string, fallback: string): string {
  const safe = safeUrl(url, fallback);
  if (!/^https:\/\//i.test(safe)) return fallback;
  return safe.replace(URL_BREAKERS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** `[label](url)`: a Markdown link to one of our own URLs; the label is made inert like any text. */
export function cardLink(url: string, label: string, fallback: string): string {
  return `[${inertCardText(label)}](${cardUrl(url, fallback)})`;
}
