/**
 * A picture of the weekly Slack post without a Slack workspace: turns `chat.postMessage`
 * arguments (Block Kit header, section, context, divider; mrkdwn text and quotes) into a
 * self-contained HTML page that looks like the message in a channel, and screenshots it in
 * headless Chromium.
 * Audit-derived text arrives mrkdwn-escaped (`&amp; &lt; &gt;`); it is decoded exactly once and
 * HTML-escaped again, so nothing in the data can become markup here either.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from '../../functions/weekly-report/render/escape';
import { launchChromium } from './email-screenshots';

export interface SlackPreviewOptions {
  /** Channel name shown in the bar above the message (the message itself only has an id). */
  readonly channelName?: string;
  /** Time shown next to the bot name; fixed by default so screenshots are stable. */
  readonly time?: string;
}

type Obj = Readonly<Record<string, unknown>>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Slack's three mrkdwn entities, decoded in one pass so `&amp;lt;` becomes `&lt;`, not `<`. */
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'));
}

/** Slack text → safe HTML text: decode once, escape for HTML. */
function inert(text: string): string {
  return escapeHtml(decodeEntities(text));
}

/**
 * The shortcodes our post uses, drawn with CSS rather than emoji glyphs: headless Chromium on a
 * server rarely has a colour emoji font, and tofu boxes would make the picture misleading.
 */
const EMOJI: Readonly<Record<string, string>> = {
  red_circle: '<span class="emoji dot" style="background:#dd2e44"></span>',
  large_orange_circle: '<span class="emoji dot" style="background:#f4900c"></span>',
  large_blue_circle: '<span class="emoji dot" style="background:#3b88c3"></span>',
  white_check_mark: '<span class="emoji box" style="background:#5ca53a">✓</span>',
  warning: '<span class="emoji warn">!</span>',
  information_source: '<span class="emoji box info" style="background:#3b88c3">i</span>',
};

// Placeholders keep already-rendered HTML away from the escaping and style passes; NUL cannot
// come from the message because it is replaced first.
const MARK = '\u0000';

function stash(store: string[], html: string): string {
  store.push(html);
  return `${MARK}${store.length - 1}${MARK}`;
}

/** `<url|label>`, `<url>`, `<!here>`, `<@U1|name>`, `<#C1|name>` — only our own code writes `<`. */
function angle(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? '' : inner.slice(bar + 1);
  if (target.startsWith('!')) {
    const name = label || `@${target.slice(1).split('^')[0]}`;
    return `<span class="mention">${inert(name)}</span>`;
  }
  if (target.startsWith('@') || target.startsWith('#')) {
    const name = label ? `${target[0]}${label.replace(/^[@#]/, '')}` : target;
    return `<span class="mention">${inert(name)}</span>`;
  }
  const url = decodeEntities(target).trim();
  const text = inert(label || target);
  if (!/^(https?:|mailto:)/i.test(url)) return text;
  return `<a href="${escapeHtml(url)}">${text}</a>`;
}

function style(html: string, marker: string, tag: string): string {
  // Only `*` needs escaping; with the `u` flag, escaping `_` or `~` is a syntax error.
  const m = marker === '*' ? '\\*' : marker;
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}${m}])${m}(?!\\s)([^${m}\\n]+?)(?<!\\s)${m}(?![\\p{L}\\p{N}${m}])`,
    'gu',
  );
  return html.replace(pattern, `<${tag}>$1</${tag}>`);
}

function inline(text: string, emoji: boolean): string {
  const store: string[] = [];
  let work = text.replace(/<([^<>\n]*)>/g, (_, inner: string) => stash(store, angle(inner)));
  work = decodeEntities(work);
  if (emoji)
    work = work.replace(/:([a-z0-9_+-]+):/g, (code, name: string) => {
      const html = EMOJI[name];
      return html ? stash(store, html.replace('class=', `title=":${name}:" class=`)) : code;
    });
  let html = escapeHtml(work);
  html = style(html, '*', 'b');
  html = style(html, '_', 'i');
  html = style(html, '~', 's');
  return html.replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, i: string) => store[Number(i)] ?? '');
}

function spansToHtml(source: string): string {
  const parts = source.split(/(```[\s\S]*?```|`[^`]+`)/);
  const html = parts.map((part, i) => {
    if (i % 2 === 0) return inline(part, true);
    if (part.startsWith('```')) return `<pre>${inert(part.slice(3, -3).replace(/^\n/, ''))}</pre>`;
    return `<code>${inert(part.slice(1, -1))}</code>`;
  });
  return html.join('').replace(/\n/g, '<br>');
}

/**
 * Slack mrkdwn → HTML: bold, italic, strike, code, code blocks, links, mentions, line breaks, and
 * quotes (a line opening with `>`, or `&gt;` as Slack stores it), drawn indented behind a bar so a
 * wrapped quote keeps its indent as in Slack. A code block is not expected to hold quote lines.
 */
export function mrkdwnToHtml(text: string): string {
  const out: string[] = [];
  let plainLines: string[] = [];
  const flush = (): void => {
    if (plainLines.length > 0) out.push(spansToHtml(plainLines.join('\n')));
    plainLines = [];
  };
  for (const line of text.replaceAll(MARK, '\uFFFD').split('\n')) {
    const quote = /^(?:>|&gt;)(.*)$/.exec(line);
    if (!quote) {
      plainLines.push(line);
      continue;
    }
    flush();
    out.push(`<div class="quote">${spansToHtml(quote[1] ?? '') || '&nbsp;'}</div>`);
  }
  flush();
  return out.join('');
}

function plainToHtml(text: string, emoji: boolean): string {
  const store: string[] = [];
  let work = decodeEntities(text.replaceAll(MARK, '\uFFFD'));
  if (emoji)
    work = work.replace(/:([a-z0-9_+-]+):/g, (code, name: string) => {
      const html = EMOJI[name];
      return html ? stash(store, html) : code;
    });
  return escapeHtml(work)
    .replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, i: string) => store[Number(i)] ?? '')
    .replace(/\n/g, '<br>');
}

function textObject(value: unknown): string {
  if (!isObj(value)) return '';
  if (value.type === 'mrkdwn') return mrkdwnToHtml(str(value.text));
  if (value.type === 'plain_text') return plainToHtml(str(value.text), value.emoji !== false);
  return '';
}

function placeholder(what: string): string {
  return `<div class="unknown">[${escapeHtml(what)}]</div>`;
}

function renderBlock(block: unknown): string {
  if (!isObj(block)) return placeholder('not a block');
  const type = str(block.type) || 'block without a type';
  switch (type) {
    case 'header':
      return `<div class="header">${textObject(block.text)}</div>`;
    case 'divider':
      return '<hr>';
    case 'section': {
      const text = block.text ? `<div class="text">${textObject(block.text)}</div>` : '';
      const fields = Array.isArray(block.fields)
        ? `<div class="fields">${block.fields.map((f) => `<div>${textObject(f)}</div>`).join('')}</div>`
        : '';
      const accessory = isObj(block.accessory) ? placeholder(`${str(block.accessory.type) || 'accessory'}`) : '';
      return `<div class="section">${text}${fields}${accessory}</div>`;
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      const html = elements.map((e) =>
        isObj(e) && e.type === 'image' ? '<span class="ctx-image"></span>' : `<span>${textObject(e)}</span>`,
      );
      return `<div class="context">${html.join('')}</div>`;
    }
    default:
      return placeholder(`${type} block`);
  }
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d; font: 15px/1.46668 -apple-system, BlinkMacSystemFont, "Segoe UI",
  Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif; -webkit-font-smoothing: antialiased; }
.bar { height: 49px; padding: 0 20px; display: flex; align-items: center; border-bottom: 1px solid #dddddd;
  font-weight: 900; font-size: 18px; }
.bar span { color: #616061; font-weight: 400; margin-right: 4px; }
.day { position: relative; text-align: center; margin: 16px 0 4px; }
.day::before { content: ""; position: absolute; left: 0; right: 0; top: 50%; border-top: 1px solid #dddddd; }
.day span { position: relative; background: #fff; border: 1px solid #dddddd; border-radius: 24px; padding: 2px 16px;
  font-size: 13px; font-weight: 700; }
.message { display: flex; gap: 8px; padding: 8px 20px 16px; max-width: 760px; }
.avatar { flex: 0 0 36px; height: 36px; border-radius: 6px; margin-top: 4px; background: #632ca6; color: #fff;
  font-weight: 800; font-size: 14px; display: flex; align-items: center; justify-content: center; }
.content { min-width: 0; flex: 1; max-width: 700px; }
.meta { display: flex; align-items: baseline; gap: 4px; }
.name { font-weight: 900; }
.badge { background: rgba(29,28,29,.13); color: rgba(29,28,29,.7); font-size: 10px; font-weight: 700; padding: 1px 3px;
  border-radius: 2px; line-height: 1.25; }
.time { color: #616061; font-size: 12px; margin-left: 2px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 8px 0 4px; }
.section { margin: 6px 0; }
/* Slack keeps a message's spaces, e.g. the indent of an anomaly's detail line. */
.text, .fields > div, .context > span { white-space: pre-wrap; overflow-wrap: anywhere; }
.section .text + .fields { margin-top: 8px; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }
.context { color: #616061; font-size: 12px; line-height: 1.5; margin: 4px 0; }
.context span + span { margin-left: 8px; }
.ctx-image { display: inline-block; width: 16px; height: 16px; border-radius: 3px; background: #ddd;
  vertical-align: -3px; }
.quote { border-left: 4px solid #dddddd; padding-left: 10px; margin: 2px 0 4px; }
hr { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
a { color: #1264a3; text-decoration: none; }
b { font-weight: 700; }
code, pre { font-family: Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
code { color: #e01e5a; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px;
  padding: 2px 3px 1px; }
pre { background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px; padding: 8px;
  white-space: pre-wrap; margin: 4px 0; }
.replies { color: #1264a3; font-size: 13px; font-weight: 700; margin: 4px 0; }
.thread-bar { height: 40px; padding: 0 20px; display: flex; align-items: center; border-top: 1px solid #dddddd;
  border-bottom: 1px solid #dddddd; font-weight: 900; font-size: 15px; margin-top: 8px; background: #f8f8f8; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
.unknown { color: #616061; font-size: 12px; background: #f8f8f8; border: 1px dashed #ccc; border-radius: 4px;
  padding: 4px 8px; margin: 4px 0; }
.emoji { display: inline-block; width: 16px; height: 16px; vertical-align: -2px; margin: 0 1px; }
.emoji.dot { border-radius: 50%; }
.emoji.box { border-radius: 3px; color: #fff; font: 700 12px/16px sans-serif; text-align: center; }
.emoji.info { font-family: Georgia, serif; font-style: italic; }
.emoji.warn { background: #ffcc4d; clip-path: polygon(50% 0, 100% 100%, 0 100%); color: #1d1c1d;
  font: 700 11px/19px sans-serif; text-align: center; }
`;

type PreviewMessage = { readonly text: string; readonly blocks: readonly unknown[] };

/** A message's body: its blocks, or (with none) its notification text, as Slack shows it then. */
function messageBody(message: PreviewMessage): string {
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  return blocks.length > 0
    ? blocks.map(renderBlock).join('\n')
    : `<div class="section">${mrkdwnToHtml(str(message.text))}</div>`;
}

/**
 * A self-contained HTML page showing `message` as a post by the app in a Slack channel; with
 * `thread`, the post's "N replies" line and, beside it as Slack's thread panel shows them (below
 * it here), the replies.
 */
export function slackMessageToHtml(
  message: PreviewMessage,
  options: SlackPreviewOptions & { readonly thread?: readonly PreviewMessage[] } = {},
): string {
  const thread = options.thread ?? [];
  const post = (body: string, extra = ''): string => `<div class="message">
<div class="avatar">AI</div>
<div class="content">
<div class="meta"><span class="name">AI Activity Audit</span><span class="badge">APP</span><span class="time">${escapeHtml(options.time ?? '9:00 AM')}</span></div>
${body}${extra}
</div></div>`;
  const replies =
    thread.length === 0
      ? ''
      : `\n<div class="replies">${thread.length} ${thread.length === 1 ? 'reply' : 'replies'}</div>`;
  const threadPanel =
    thread.length === 0
      ? ''
      : `\n<div class="thread-bar">Thread</div>\n${thread.map((reply) => post(messageBody(reply))).join('\n')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slack post preview</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${CSS}</style></head>
<body>
<div class="bar"><span>#</span>${escapeHtml(options.channelName ?? 'ai-activity-audit')}</div>
<div class="day"><span>Monday</span></div>
${post(messageBody(message), replies)}${threadPanel}
</body></html>
`;
}

/**
 * Renders a message (or a report's channel post with its thread below it) at an 800 px wide
 * viewport and saves the full page as `outDir/slack.png`, removing the previous picture first, so
 * a failed run leaves none rather than an old one.
 */
export async function captureSlackScreenshot(
  message: PreviewMessage | { readonly post: PreviewMessage; readonly thread: readonly PreviewMessage[] },
  outDir: string,
  options: SlackPreviewOptions = {},
): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const html =
    'post' in message
      ? slackMessageToHtml(message.post, { ...options, thread: message.thread })
      : slackMessageToHtml(message, options);
  const file = join(outDir, 'slack.png');
  // An old picture must not outlive a run that could not draw a new one.
  rmSync(file, { force: true });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const pageUrl = 'https://slack-preview.invalid/';
    // The page is served from memory; every other request (links, images, fonts) is refused.
    await page.route('**/*', (route) =>
      route.request().url() === pageUrl
        ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html })
        : route.abort(),
    );
    await page.goto(pageUrl, { waitUntil: 'load' });
    await page.screenshot({ path: file, fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
  return file;
}
