/**
 * A picture of the Teams card without a Teams tenant: the card is drawn in headless Chromium by
 * Microsoft's own `adaptivecards` renderer (the package's browser bundle, served to the page from
 * node_modules), with a host configuration close to Teams' light theme, inside a page that looks
 * like a channel post by the Workflows app; then screenshotted as `teams.png`.
 *
 * The card's Markdown is processed here as Teams does for the subset it documents (bold `**`,
 * italic `_`, bulleted lists, `[label](url)` links), plus what Teams clients add on top: bare URLs,
 * `www.` names and e-mail addresses become links. So a link or emphasis that audit data could form
 * in Teams forms here too, and `renderTeamsCard` reports every link and every emphasis it drew,
 * for the tests to check that only ours are there.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TeamsMessage } from '../../functions/weekly-report/ports';
import { escapeHtml } from '../../functions/weekly-report/render/escape';
import { launchChromium } from './email-screenshots';

const ORIGIN = 'https://teams-preview.invalid';
const PAGE_URL = `${ORIGIN}/`;
const BUNDLE_URL = `${ORIGIN}/adaptivecards.min.js`;

/** What Chromium drew: the links (their text and target) and the bold and italic runs. */
export interface DrawnCard {
  readonly links: ReadonlyArray<{ readonly text: string; readonly href: string }>;
  readonly emphasis: readonly string[];
  /** The card's visible text. */
  readonly text: string;
  /** What the renderer said went wrong (a parse warning, a script error); empty for a good card. */
  readonly errors: readonly string[];
}

/** The package's browser bundle (its `lib/` is ES modules the page could not load without a bundler). */
function bundle(): string {
  return readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8');
}

/**
 * Runs in the page: Teams' Markdown subset to HTML, escaping everything else. `\r` and `\n` end a
 * line; a line starting `- ` is a bullet. Links only to http(s); bare URLs, `www.` names and
 * e-mail addresses are linked as Teams links them.
 */
const MARKDOWN = String.raw`
function escapeHtml(s) {
  return s.replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
}
function inline(text) {
  var stash = [];
  var keep = function (html) { stash.push(html); return '\u0000' + (stash.length - 1) + '\u0000'; };
  var work = text.replace(/\[([^\[\]]*)\]\((https?:\/\/[^()\s]+)\)/g, function (_, label, url) {
    return keep('<a href="' + escapeHtml(url) + '">' + escapeHtml(label) + '</a>');
  });
  work = work.replace(/(https?:\/\/[^\s<>()]+|www\.[^\s<>()]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/g, function (m) {
    var href = /^https?:/.test(m) ? m : m.indexOf('@') > 0 ? 'mailto:' + m : 'http://' + m;
    return keep('<a href="' + escapeHtml(href) + '">' + escapeHtml(m) + '</a>');
  });
  var html = escapeHtml(work);
  html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/(^|[^\w])_([^_]+)_(?=[^\w]|$)/g, '$1<em>$2</em>');
  return html.replace(/\u0000(\d+)\u0000/g, function (_, i) { return stash[Number(i)]; });
}
function markdown(text) {
  var lines = text.split(/\r\n|\r|\n/);
  var out = '';
  var list = false;
  lines.forEach(function (line) {
    if (/^- /.test(line)) {
      if (!list) { out += '<ul>'; list = true; }
      out += '<li>' + inline(line.slice(2)) + '</li>';
    } else {
      if (list) { out += '</ul>'; list = false; }
      out += (out ? '<br>' : '') + inline(line);
    }
  });
  if (list) out += '</ul>';
  return out;
}
`;

/** A host configuration close to Teams' light theme (Segoe UI, its sizes, spacing and colours). */
const HOST_CONFIG = {
  fontFamily: "'Segoe UI', 'Helvetica Neue', 'Liberation Sans', Arial, sans-serif",
  spacing: { small: 8, default: 12, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#E0E0E0' },
  fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  containerStyles: {
    default: {
      backgroundColor: '#FFFFFF',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        accent: { default: '#5B5FC7', subtle: '#5B5FC7' },
        attention: { default: '#C4314B', subtle: '#C4314B' },
        warning: { default: '#835C00', subtle: '#835C00' },
        good: { default: '#237B4B', subtle: '#237B4B' },
      },
    },
    emphasis: {
      backgroundColor: '#F5F5F5',
      foregroundColors: { default: { default: '#242424', subtle: '#616161' } },
    },
    warning: {
      backgroundColor: '#FBF6D9',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        attention: { default: '#C4314B', subtle: '#C4314B' },
      },
    },
  },
  actions: { maxActions: 6, spacing: 'default', buttonSpacing: 8, actionsOrientation: 'horizontal' },
};

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; background: #f5f5f5; color: #242424; font: 14px/1.43 'Segoe UI', 'Helvetica Neue', 'Liberation Sans', Arial, sans-serif; }
.bar { height: 48px; padding: 0 20px; display: flex; align-items: center; background: #fff; border-bottom: 1px solid #e0e0e0; font-weight: 700; font-size: 16px; }
.bar span { color: #616161; font-weight: 400; margin-left: 8px; font-size: 14px; }
.post { display: flex; gap: 10px; padding: 20px; max-width: 860px; }
.avatar { flex: 0 0 32px; height: 32px; border-radius: 4px; background: #5b5fc7; color: #fff; font-weight: 700; font-size: 12px; display: flex; align-items: center; justify-content: center; }
.bubble { flex: 1; min-width: 0; background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14); padding: 10px 16px 16px; }
.meta { font-size: 12px; color: #616161; margin-bottom: 8px; }
.meta b { color: #242424; font-weight: 600; }
.ac-adaptiveCard p { margin: 0; }
.ac-adaptiveCard ul { margin: 2px 0 2px 18px; padding: 0; }
.ac-adaptiveCard a { color: #5b5fc7; text-decoration: none; }
.ac-pushButton { background: #fff; color: #242424; border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 12px; font: 600 14px 'Segoe UI', 'Liberation Sans', Arial, sans-serif; cursor: pointer; }
`;

/** A page showing `message`'s card as a post in a Teams channel, drawn by the adaptivecards bundle at BUNDLE_URL. */
export function teamsCardPage(message: TeamsMessage, channelName = 'security'): string {
  // The card's JSON inside a script element: no `<` may close it early.
  const card = JSON.stringify(message.attachments[0].content).replace(/</g, '\\u003c');
  const host = JSON.stringify(HOST_CONFIG).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Teams card preview</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${ORIGIN} 'unsafe-inline'; style-src 'unsafe-inline'">
<style>${CSS}</style>
<script src="${BUNDLE_URL}"></script></head>
<body>
<div class="bar">AI Governance<span># ${escapeHtml(channelName)}</span></div>
<div class="post"><div class="avatar">WF</div><div class="bubble">
<div class="meta"><b>Workflows</b> · AI Activity Audit · 9:00 AM</div>
<div id="card"></div></div></div>
<script>
${MARKDOWN}
window.renderErrors = [];
try {
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = function (text, result) { result.outputHtml = markdown(text); result.didProcess = true; };
  var card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(${host});
  var context = new AdaptiveCards.SerializationContext();
  card.parse(${card}, context);
  for (var i = 0; i < context.eventCount; i++) window.renderErrors.push(context.getEventAt(i).message);
  document.getElementById('card').appendChild(card.render());
} catch (e) { window.renderErrors.push(String(e && e.message || e)); }
</script>
</body></html>
`;
}

/** Loads the page of `message` in `page`, serving it and the bundle from memory and refusing every other request. */
async function load(page: Page, message: TeamsMessage): Promise<void> {
  const html = teamsCardPage(message);
  const script = bundle();
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === PAGE_URL) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    if (url === BUNDLE_URL) return route.fulfill({ status: 200, contentType: 'text/javascript', body: script });
    return route.abort();
  });
  await page.goto(PAGE_URL, { waitUntil: 'load' });
}

/** Runs in the page (a string: this project's types have no DOM): what the card drew. */
const DRAWN = `(() => {
  const root = document.getElementById('card');
  return {
    links: Array.from(root.querySelectorAll('a')).map((a) => ({ text: a.textContent || '', href: a.getAttribute('href') || '' })),
    emphasis: Array.from(root.querySelectorAll('strong, em, b, i, code, s, h1, h2, h3, img')).map((e) => e.textContent || ''),
    text: root.innerText,
    errors: window.renderErrors,
  };
})()`;

/** What the page drew: links, emphasis, text and errors of the card. */
async function drawn(page: Page): Promise<DrawnCard> {
  return (await page.evaluate(DRAWN)) as DrawnCard;
}

/** Draws `message` in Chromium and returns what was drawn (no picture). */
export async function renderTeamsCard(message: TeamsMessage): Promise<DrawnCard> {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 860, height: 600 } })).newPage();
    await load(page, message);
    return await drawn(page);
  } finally {
    await browser.close();
  }
}

/**
 * Draws `message` at an 860 px wide viewport and saves the full page as `outDir/teams.png`,
 * removing the previous picture first, so a failed run leaves none rather than an old one. Fails
 * when the renderer reported an error.
 */
export async function captureTeamsScreenshot(message: TeamsMessage, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'teams.png');
  rmSync(file, { force: true });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 860, height: 600 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await load(page, message);
    const { errors } = await drawn(page);
    if (errors.length > 0) throw new Error(`the adaptivecards renderer reported: ${errors.join('; ')}`);
    await page.screenshot({ path: file, fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
  return file;
}

/**
 * `npm start`'s Teams files in `dir`: teams.json (the message as posted to the workflow) and, when
 * Chromium is there, teams.png; a picture that could not be drawn is said with `log`.
 */
export async function writeTeamsFiles(
  message: TeamsMessage,
  dir: string,
  log: (line: string) => void,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'teams.json');
  writeFileSync(json, `${JSON.stringify(message, null, 2)}\n`);
  try {
    return [json, await captureTeamsScreenshot(message, dir)];
  } catch (error) {
    log(`Teams screenshot skipped: ${(error as Error).message}`);
    return [json];
  }
}
