/**
 * Renders email HTML in headless Chromium (Debian's `chromium`, driven by playwright-core) at a
 * phone and a desktop width, with every request other than the page itself blocked, and checks
 * what a reader would notice first: nothing scrolls sideways and the key numbers are visible.
 * Saves a full-page PNG per width.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WIDTHS = [375, 1200] as const;

export interface ScreenshotCheck {
  readonly width: number;
  readonly file: string;
  /** Widest content in CSS px (`document.documentElement.scrollWidth`). */
  readonly scrollWidth: number;
  /** Requests the page tried to make beyond itself (all blocked). */
  readonly blockedRequests: number;
  /** Expected texts that are not visible on the page. */
  readonly missing: readonly string[];
  readonly passed: boolean;
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
  return chromium
    .launch({
      executablePath: CHROMIUM_PATH,
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
        `cannot start Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium)`,
        { cause: error },
      );
    });
}

/**
 * Loads `html` at each width, saves `email-<width>.png` in `outDir`, and checks for horizontal
 * overflow and that every string of `expectVisible` is shown (visible, non-zero size).
 */
export async function captureEmailScreenshots(
  html: string,
  outDir: string,
  expectVisible: readonly string[] = [],
): Promise<{ files: string[]; checks: ScreenshotCheck[] }> {
  mkdirSync(outDir, { recursive: true });
  const browser = await launchChromium();
  const files: string[] = [];
  const checks: ScreenshotCheck[] = [];
  try {
    for (const width of WIDTHS) {
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
      const file = join(outDir, `email-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await context.close();
      files.push(file);
      checks.push({
        width,
        file,
        scrollWidth,
        blockedRequests,
        missing,
        passed: scrollWidth <= width && missing.length === 0,
      });
    }
  } finally {
    await browser.close();
  }
  return { files, checks };
}
