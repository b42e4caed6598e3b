/**
 * Renders email HTML in headless Chromium (Debian's `chromium`, driven by playwright-core) at a
 * phone and a desktop width, with every request other than the page itself blocked, and checks
 * what a reader would notice first: nothing scrolls sideways and the key numbers are visible
 * (callers may add checks of their own). Saves a full-page PNG per width, and first removes the
 * pictures of the same name that an earlier run left, so none is left behind looking current.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const WIDTHS = [375, 1200] as const;

/** Debian's Chromium, or `CHROMIUM_PATH` (read when a browser starts, so tests can point it elsewhere). */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export interface ScreenshotCheck {
  readonly width: number;
  readonly file: string;
  /** Widest content in CSS px (`document.documentElement.scrollWidth`). */
  readonly scrollWidth: number;
  /** How tall the page is at this width, in CSS px (`document.documentElement.scrollHeight`): the picture's height. */
  readonly height: number;
  /** Requests the page tried to make beyond itself (all blocked). */
  readonly blockedRequests: number;
  /** Expected texts that are not visible on the page. */
  readonly missing: readonly string[];
  /** What the caller's `inspect` found wrong. */
  readonly problems: readonly string[];
  readonly passed: boolean;
}

export interface CaptureOptions {
  /** Pictures are `<name>-<width>.png`. @default 'email' */
  readonly name?: string;
  /** @default WIDTHS (375 and 1200) */
  readonly widths?: readonly number[];
  /** More checks on the loaded page at each width; returns what is wrong (empty when all is well). */
  readonly inspect?: (page: Page, width: number) => Promise<readonly string[]>;
}

/** Thrown when Chromium cannot be started (not installed, wrong path). */
export class BrowserLaunchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrowserLaunchError';
  }
}

/**
 * Starts Debian's Chromium headless with this project's flags (no sandbox for containers, no
 * GPU, no background networking). Callers block page requests themselves and close the browser.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  return chromium
    .launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch((error: unknown) => {
      throw new BrowserLaunchError(
        `cannot start Chromium at ${executablePath} (install it with: apt-get install -y chromium)`,
        { cause: error },
      );
    });
}

/**
 * Removes the `<name>-<width>.png` pictures in `outDir` (any width), before new ones are drawn:
 * a picture this run does not redraw (Chromium missing, a width dropped) must not stay behind
 * looking as if it showed this run's email.
 */
export function removeScreenshots(outDir: string, name: string): void {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+\\.png$`);
  let files: string[];
  try {
    files = readdirSync(outDir);
  } catch {
    return;
  }
  for (const file of files) if (pattern.test(file)) rmSync(join(outDir, file), { force: true });
}

/**
 * Loads `html` at each width, saves `<name>-<width>.png` in `outDir`, and checks for horizontal
 * overflow, that every string of `expectVisible` is shown (visible, non-zero size), and whatever
 * `options.inspect` checks.
 */
export async function captureEmailScreenshots(
  html: string,
  outDir: string,
  expectVisible: readonly string[] = [],
  options: CaptureOptions = {},
): Promise<{ files: string[]; checks: ScreenshotCheck[] }> {
  const name = options.name ?? 'email';
  mkdirSync(outDir, { recursive: true });
  removeScreenshots(outDir, name);
  const browser = await launchChromium();
  const files: string[] = [];
  const checks: ScreenshotCheck[] = [];
  try {
    for (const width of options.widths ?? WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const pageUrl = 'https://email.invalid/';
      let blockedRequests = 0;
      // The page is served from memory; anything else (fonts, images, trackers) is refused.
      await page.route('**/*', (route) => {
        if (route.request().url() === pageUrl)
          return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
        blockedRequests += 1;
        return route.abort();
      });
      await page.goto(pageUrl, { waitUntil: 'load' });
      // A string, not a function: this project's tsconfig has no DOM types.
      const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
      const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
      const missing: string[] = [];
      for (const text of expectVisible) {
        const visible = await page
          .getByText(text, { exact: false })
          .filter({ visible: true })
          .first()
          .isVisible()
          .catch(() => false);
        if (!visible) missing.push(text);
      }
      const problems = options.inspect ? await options.inspect(page, width) : [];
      const file = join(outDir, `${name}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await context.close();
      files.push(file);
      checks.push({
        width,
        file,
        scrollWidth,
        height,
        blockedRequests,
        missing,
        problems,
        passed: scrollWidth <= width && missing.length === 0 && problems.length === 0,
      });
    }
  } finally {
    await browser.close();
  }
  return { files, checks };
}
