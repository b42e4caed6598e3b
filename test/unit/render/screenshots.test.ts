/**
 * Screenshots never outlive the run that drew them: the email and Slack pictures of an earlier
 * run are removed before new ones are drawn, so a run that cannot draw (no Chromium here) leaves
 * no picture that looks current. Other files in the folder are left alone.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserLaunchError, captureEmailScreenshots } from '../../../scripts/lib/email-screenshots';
import { captureSlackScreenshot } from '../../../scripts/lib/slack-preview';

describe('screenshots of an earlier run', () => {
  const saved = process.env.CHROMIUM_PATH;
  let dir: string;

  beforeEach(() => {
    // Prepare: last run's pictures, an unrelated file, and a Chromium that is not there
    dir = mkdtempSync(join(tmpdir(), 'shots-'));
    for (const file of ['email-375.png', 'email-1200.png', 'email-800.png', 'slack.png', 'email.html', 'kpi-375.png']) {
      writeFileSync(join(dir, file), 'old');
    }
    process.env.CHROMIUM_PATH = join(dir, 'no-chromium-here');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  });

  it('are removed when the email cannot be drawn again', async () => {
    // Act
    const capturing = captureEmailScreenshots('<p>x</p>', dir);

    // Assess
    await expect(capturing).rejects.toBeInstanceOf(BrowserLaunchError);
    expect(readdirSync(dir).sort()).toEqual(['email.html', 'kpi-375.png', 'slack.png']);
  });

  it('are removed when the Slack post cannot be drawn again', async () => {
    // Act
    const capturing = captureSlackScreenshot({ text: 'x', blocks: [] }, dir);

    // Assess
    await expect(capturing).rejects.toBeInstanceOf(BrowserLaunchError);
    expect(readdirSync(dir)).not.toContain('slack.png');
    expect(readdirSync(dir)).toContain('email-375.png');
  });
});
