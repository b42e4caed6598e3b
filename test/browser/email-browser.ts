/**
 * `npm run test:browser`: renders the email in headless Chromium and checks what only a browser
 * can tell. A realistic busy week at 375 px and 1200 px: nothing scrolls sideways, the key
 * numbers are visible, the three headline columns stay apart, and a long address wraps only
 * after `@`, `.`, `-` or `_`. Weeks whose headline columns show their longest texts, at 375 px:
 * the columns still stay apart. The heights of issue 23, at 375 px: the `npm start` week (the same
 * generated week through the real handler on the stand-ins) is at most 3,000 px tall, and the busy
 * week (that week plus one person deleting 30 monitors and a support user's 40 calls) draws one
 * card per group and is at most 1.5 times as tall. Pictures go to out/test/ (never over
 * `npm start`'s out/*.png). Needs Debian's `chromium` (CHROMIUM_PATH overrides /usr/bin/chromium);
 * `npm test` does not.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Summary } from '../../functions/weekly-report/core/types';
import { renderEmailHtml } from '../../functions/weekly-report/render/email';
import { buildReportView, formatCount } from '../../functions/weekly-report/render/view';
import { captureEmailScreenshots, type ScreenshotCheck } from '../../scripts/lib/email-screenshots';
import { lastScheduledTime, runLocalJob } from '../../scripts/lib/local-run';
import { BUSY_DELETER, BUSY_SUPPORT, busyWeekEvents } from '../support/busy-week';
import { countFlags, makeBusySummary, makeFlag, makeSummary } from '../support/summary-fixtures';

/** Issue 23: the `npm start` week's email at 375 px, at most this tall. */
const NPM_START_MAX_HEIGHT = 3_000;
/** The busy week's email, at most this many times as tall as the `npm start` week's. */
const BUSY_MAX_RATIO = 1.5;

/** The email of the `npm start` week (security's org-wide report), and of that week made busy. */
async function localWeeks(): Promise<{ usual: string; busy: string }> {
  const scheduledTime = lastScheduledTime(Date.now());
  const html = async (extra?: typeof busyWeekEvents): Promise<string> => {
    const local = await runLocalJob({ scheduledTime, ...(extra ? { extraWindowEvents: extra } : {}) });
    try {
      return local.run.report.html;
    } finally {
      await local.close();
    }
  };
  return { usual: await html(), busy: await html(busyWeekEvents) };
}

/** How many group cards name `who` (a card is a cell with a severity border). */
function cardsNaming(who: string): string {
  return `[...document.querySelectorAll('td')].filter((td) => /border-left:\\s*3px solid/.test(td.getAttribute('style') || '') && td.textContent.includes(${JSON.stringify(who)})).length`;
}

const OUT = join(__dirname, '..', '..', 'out', 'test');
const ADDRESS = 'ana.lopez-hernandez@engineering.example.com';

/**
 * Where the text of each headline column lies against its column box. Evaluated in the page as
 * a string: this project's tsconfig has no DOM types.
 */
const KPI_PROBLEMS = `(() => {
  const columns = [...document.querySelectorAll('.kpi-col')];
  if (columns.length !== 3) return ['expected 3 headline columns, found ' + columns.length];
  const spans = columns.map((column) => {
    const box = column.getBoundingClientRect();
    let left = Infinity, right = -Infinity;
    const walker = document.createTreeWalker(column, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const r of range.getClientRects()) { left = Math.min(left, r.left); right = Math.max(right, r.right); }
    }
    return { box, left, right, text: column.innerText.replace(/\\s+/g, ' ').trim() };
  });
  const problems = [];
  spans.forEach((s, i) => {
    if (s.left < s.box.left - 0.5 || s.right > s.box.right + 0.5)
      problems.push('headline column ' + (i + 1) + ' ("' + s.text + '") spans ' + Math.round(s.left) + '-' +
        Math.round(s.right) + ' px, outside its column ' + Math.round(s.box.left) + '-' + Math.round(s.box.right) + ' px');
  });
  for (let i = 0; i + 1 < spans.length; i++)
    if (spans[i].right > spans[i + 1].left) problems.push('headline columns ' + (i + 1) + ' and ' + (i + 2) + ' overlap');
  return problems;
})()`;

/** The characters a cell's text ends a line with, when that cell's text is exactly `text`. */
function lineEnds(text: string): string {
  return `((text) => {
    const cell = [...document.querySelectorAll('td')].find((td) => td.textContent === text);
    if (!cell) return null;
    const chars = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        chars.push({ ch: node.data[i], top: range.getBoundingClientRect().top });
      }
    }
    const ends = [];
    for (let i = 1; i < chars.length; i++) if (chars[i].top > chars[i - 1].top + 1) ends.push(chars[i - 1].ch);
    return ends;
  })(${JSON.stringify(text)})`;
}

async function kpiProblems(page: Page): Promise<string[]> {
  return (await page.evaluate(KPI_PROBLEMS)) as string[];
}

/** At 375 px the address must wrap (else this check could not fail), and only after @ . - _. */
async function addressProblems(page: Page, width: number): Promise<string[]> {
  const ends = (await page.evaluate(lineEnds(ADDRESS))) as string[] | null;
  if (ends === null) return [`address not found in one cell: ${ADDRESS}`];
  const problems = ends.filter((c) => !'@._-'.includes(c)).map((c) => `"${ADDRESS}" breaks a line after "${c}"`);
  if (width === 375 && ends.length === 0)
    problems.push(`"${ADDRESS}" did not wrap at 375 px; the check proves nothing`);
  return problems;
}

/** Weeks whose headline columns show their longest texts: seven-digit figures, every severity, big changes. */
function longestHeadlines(): Record<string, Summary> {
  const flags = Array.from({ length: 9_999 }, (_, i) =>
    makeFlag({ severity: (['high', 'medium', 'low'] as const)[i % 3] }, i),
  );
  const base = {
    anomalies: flags,
    anomaly_counts: countFlags(flags),
    total_tool_calls: 9_999_999,
    unique_users: 99_999,
  };
  return {
    'kpi-change': makeSummary({ ...base, previous_window: { total_tool_calls: 4_444_444, unique_users: 199_998 } }),
    'kpi-from-none': makeSummary({ ...base, previous_window: { total_tool_calls: 0, unique_users: 0 } }),
    'kpi-unchanged': makeSummary({ ...base, previous_window: { total_tool_calls: 9_999_999, unique_users: 99_999 } }),
  };
}

function report(check: ScreenshotCheck, what: string): boolean {
  const problems = [
    ...(check.scrollWidth > check.width ? [`scrolls sideways (${check.scrollWidth}px > ${check.width}px)`] : []),
    ...check.missing.map((text) => `not visible: ${JSON.stringify(text)}`),
    ...check.problems,
  ];
  console.log(
    `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${what} at ${check.width}px → ${check.file}${problems.length ? `: ${problems.join('; ')}` : ''}`,
  );
  return problems.length === 0;
}

async function main(): Promise<number> {
  // Prepare
  const busy = makeBusySummary(40);
  const expected = [
    formatCount(busy.total_tool_calls),
    formatCount(busy.unique_users),
    'Open in Datadog Audit Trail',
    'Daily calls',
  ];

  // Act
  const checks: Array<[ScreenshotCheck, string]> = [];
  const shots = await captureEmailScreenshots(renderEmailHtml(buildReportView(busy)), OUT, expected, {
    inspect: async (page, width) => [...(await kpiProblems(page)), ...(await addressProblems(page, width))],
  });
  checks.push(...shots.checks.map((c): [ScreenshotCheck, string] => [c, 'busy week']));
  for (const [name, summary] of Object.entries(longestHeadlines())) {
    const longest = await captureEmailScreenshots(renderEmailHtml(buildReportView(summary)), OUT, [], {
      name,
      widths: [375],
      inspect: kpiProblems,
    });
    checks.push(...longest.checks.map((c): [ScreenshotCheck, string] => [c, `longest headlines (${name})`]));
  }

  // The npm start week and the busy week, their heights measured at 375 px.
  const weeks = await localWeeks();
  const usual = await captureEmailScreenshots(weeks.usual, OUT, [], { name: 'npm-start-week', widths: [375] });
  const usualHeight = usual.checks[0]?.height ?? Number.POSITIVE_INFINITY;
  const busyShots = await captureEmailScreenshots(weeks.busy, OUT, [], {
    name: 'busy-week',
    widths: [375],
    inspect: async (page) => {
      const problems: string[] = [];
      for (const who of [BUSY_DELETER.email, BUSY_SUPPORT.email]) {
        const cards = Number(await page.evaluate(cardsNaming(who)));
        if (cards !== 1) problems.push(`${cards} cards name ${who}, not one (one card per group)`);
      }
      return problems;
    },
  });
  const busyHeight = busyShots.checks[0]?.height ?? Number.POSITIVE_INFINITY;
  const heightProblems = (check: ScreenshotCheck | undefined, max: number, what: string): ScreenshotCheck[] =>
    check
      ? [
          {
            ...check,
            problems: [
              ...check.problems,
              ...(check.height > max ? [`${what} is ${check.height} px tall, over ${Math.round(max)} px`] : []),
            ],
          },
        ]
      : [];
  checks.push(
    ...heightProblems(usual.checks[0], NPM_START_MAX_HEIGHT, 'the npm start week').map(
      (c): [ScreenshotCheck, string] => [
        c,
        `the npm start week (${c.height} px tall; at most ${NPM_START_MAX_HEIGHT})`,
      ],
    ),
    ...heightProblems(busyShots.checks[0], BUSY_MAX_RATIO * usualHeight, 'the busy week').map(
      (c): [ScreenshotCheck, string] => [
        c,
        `the busy week (${c.height} px tall, ${(busyHeight / usualHeight).toFixed(2)}× the npm start week's; at most ${BUSY_MAX_RATIO}×)`,
      ],
    ),
  );

  // Assess
  const failed = checks.filter(([check, what]) => !report(check, what)).length;
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  return failed === 0 && checks.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
