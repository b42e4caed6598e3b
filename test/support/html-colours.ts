/**
 * Reads rendered email HTML the way a reader sees its colours: for every visible piece of text,
 * the text colour and the background behind it (the nearest inline `color`, and the nearest
 * `background-color`, `background` or `bgcolor`), so a test can check contrast without a browser.
 * Knows just enough HTML for our MJML output: comments (MSO conditionals) are skipped, as are
 * the head and subtrees hidden with `display:none` (the inbox preview text).
 */

export interface TextColour {
  readonly text: string;
  readonly color: string;
  readonly background: string;
}

const VOID = new Set(['area', 'base', 'br', 'col', 'hr', 'img', 'input', 'link', 'meta', 'source', 'wbr']);

interface Frame {
  readonly tag: string;
  readonly color?: string;
  readonly background?: string;
  readonly hidden: boolean;
}

function hex(value: string | undefined): string | undefined {
  const m = /#([0-9a-f]{6}|[0-9a-f]{3})\b/i.exec(value ?? '');
  if (!m?.[1]) return undefined;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return `#${h.toLowerCase()}`;
}

function styleOf(attributes: string): Record<string, string> {
  const style = /\bstyle\s*=\s*"([^"]*)"/i.exec(attributes)?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const declaration of style.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon > 0) out[declaration.slice(0, colon).trim().toLowerCase()] = declaration.slice(colon + 1).trim();
  }
  return out;
}

function decode(text: string): string {
  return text
    .replace(/&nbsp;/g, ' ')
    .replace(/&(lt|gt|amp|quot|#39|#123|#125);/g, (_, e: string) =>
      e === 'lt'
        ? '<'
        : e === 'gt'
          ? '>'
          : e === 'amp'
            ? '&'
            : e === 'quot'
              ? '"'
              : e === '#39'
                ? "'"
                : e === '#123'
                  ? '{'
                  : '}',
    );
}

/** Every visible text run of `html` with its colour and background (defaults: black on white). */
export function textColours(html: string): TextColour[] {
  const body = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!doctype[^>]*>/i, '')
    .replace(/<head[\s\S]*?<\/head>/i, '')
    .replace(/<style[\s\S]*?<\/style>/gi, '');
  const stack: Frame[] = [];
  const found: TextColour[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*)>|([^<]+)/g)) {
    const [, closing, tagName, attributes = '', text] = m;
    if (text !== undefined) {
      const visible = decode(text).trim();
      if (visible === '' || stack.some((f) => f.hidden)) continue;
      const color = [...stack].reverse().find((f) => f.color)?.color ?? '#000000';
      const background = [...stack].reverse().find((f) => f.background)?.background ?? '#ffffff';
      found.push({ text: visible, color, background });
      continue;
    }
    const tag = (tagName ?? '').toLowerCase();
    if (closing) {
      const at = stack.map((f) => f.tag).lastIndexOf(tag);
      if (at >= 0) stack.length = at;
      continue;
    }
    if (VOID.has(tag) || attributes.trim().endsWith('/')) continue;
    const style = styleOf(attributes);
    const bgcolor = /\bbgcolor\s*=\s*"([^"]*)"/i.exec(attributes)?.[1];
    stack.push({
      tag,
      color: hex(style.color),
      background: hex(style['background-color']) ?? hex(style.background) ?? hex(bgcolor),
      hidden: /^none\b/i.test(style.display ?? ''),
    });
  }
  return found;
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(color: string): number {
  const channel = (i: number): number => {
    const c = Number.parseInt(color.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}
