/**
 * `npm start`: runs the whole weekly job end to end on embedded local stand-ins (no cloud account):
 * generated Datadog audit data → the real Lambda handler → email in the SES emulator and a post in
 * the Slack emulator. Prints the text report and a delivery summary, writes out/ (email.html,
 * email.txt, slack.json, summary.json, and the email and Slack screenshots when Chromium is installed), and stops
 * every process it started. `npm start -- --serve` keeps the SES emulator's web view open.
 */
import { join } from 'node:path';
import { writeReportFiles } from '../functions/weekly-report/cli/report';
import { captureEmailScreenshots } from './lib/email-screenshots';
import { lastScheduledTime, runLocalJob } from './lib/local-run';
import { captureSlackScreenshot } from './lib/slack-preview';

const OUT = join(__dirname, '..', 'out');

async function main(): Promise<void> {
  const serve = process.argv.includes('--serve');
  const log = (line: string) => process.stderr.write(`» ${line}\n`);
  const local = await runLocalJob({ scheduledTime: lastScheduledTime(Date.now()), progress: log });
  try {
    const files = await writeReportFiles(local.run.report, OUT);
    try {
      const shots = await captureEmailScreenshots(local.run.report.html, OUT);
      files.push(...shots.files);
    } catch (error) {
      log(`email screenshots skipped: ${(error as Error).message}`);
    }
    try {
      files.push(await captureSlackScreenshot(local.run.report.slack, OUT));
    } catch (error) {
      log(`Slack screenshot skipped: ${(error as Error).message}`);
    }
    process.stdout.write(local.run.report.text);
    process.stdout.write('\nDelivered (to the local stand-ins):\n');
    for (const email of local.emails) {
      process.stdout.write(`  email "${email.subject}" to ${email.to.join(', ')}\n`);
    }
    for (const message of local.slackMessages) {
      process.stdout.write(`  Slack post to ${message.channel}: ${message.text}\n`);
    }
    process.stdout.write(`\nWrote ${files.map((f) => f.replace(`${process.cwd()}/`, '')).join(', ')}\n`);
    if (serve) {
      process.stdout.write(`\nSES emulator web view: ${local.sesUrl} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await local.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
