/**
 * `npm start`: runs the whole weekly job end to end on embedded local stand-ins (no cloud account):
 * generated Datadog data → the real Lambda handler, for two reports (the org-wide one and the
 * `sre` team's) → email in the SES emulator, posts (each with its thread reply) in the Slack
 * emulator and a card in the Teams workflow webhook stand-in. First the function's preflight
 * (`{"check": true}`, what `report doctor` checks) runs against the stand-ins and its lines are
 * printed. Prints the org-wide text report and a delivery summary with each email's height at
 * 375 px (the phone screenshot's; issue 23 wants at most 3,000 px) and the Slack post's block
 * count (at most 6), writes one folder per report under out/ (email.html, email.txt, slack.json,
 * summary.json, teams.json for a report with a Teams channel, and the email, Slack and Teams
 * screenshots when Chromium is installed), and stops every process it started.
 * `npm start -- --serve` keeps the SES emulator's web view open.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeReportFiles } from '../cli/output';
import { formatResult } from '../functions/weekly-report/preflight/check';
import { captureEmailScreenshots } from './lib/email-screenshots';
import { lastScheduledTime, runLocalJob } from './lib/local-run';
import { captureSlackScreenshot } from './lib/slack-preview';
import { writeTeamsFiles } from './lib/teams-preview';

const OUT = join(__dirname, '..', 'out');

async function main(): Promise<void> {
  const serve = process.argv.includes('--serve');
  const log = (line: string) => process.stderr.write(`» ${line}\n`);
  const local = await runLocalJob({ scheduledTime: lastScheduledTime(Date.now()), progress: log });
  try {
    // One folder per report when there is more than one (out/security/, out/sre/); the files a
    // single-report run left at the top of out/ would otherwise look current.
    const files: string[] = [];
    const measured: string[] = [];
    if (local.runs.size > 1) {
      const stale = [
        'email.html',
        'email.txt',
        'slack.json',
        'summary.json',
        'email-375.png',
        'email-1200.png',
        'slack.png',
        'teams.json',
        'teams.png',
      ];
      await Promise.all(stale.map((f) => rm(join(OUT, f), { force: true })));
    }
    for (const [name, run] of local.runs) {
      const dir = local.runs.size > 1 ? join(OUT, name) : OUT;
      files.push(...(await writeReportFiles(run.report, dir)));
      try {
        const shots = await captureEmailScreenshots(run.report.html, dir);
        files.push(...shots.files);
        const phone = shots.checks.find((c) => c.width === 375);
        if (phone) measured.push(`${name}: email at 375 px is ${phone.height.toLocaleString('en-US')} px tall`);
      } catch (error) {
        log(`email screenshots of ${name} skipped: ${(error as Error).message}`);
      }
      try {
        files.push(await captureSlackScreenshot(run.report.slack, dir));
      } catch (error) {
        log(`Slack screenshot of ${name} skipped: ${(error as Error).message}`);
      }
      // teams.json (the message posted to the workflow) and teams.png, for a report with a Teams channel.
      if (run.channels.some((c) => c.channel === 'teams'))
        files.push(...(await writeTeamsFiles(run.report.teams, dir, log)));
    }
    process.stdout.write('Preflight (the function invoked with {"check": true}, as report doctor checks):\n');
    for (const check of local.checks) process.stdout.write(`  ${formatResult(check)}\n`);
    process.stdout.write('\n');
    process.stdout.write(local.run.report.text);
    process.stdout.write('\nDelivered (to the local stand-ins):\n');
    for (const email of local.emails) {
      process.stdout.write(`  email "${email.subject}" to ${email.to.join(', ')}\n`);
    }
    for (const message of local.slackMessages) {
      const where = message.thread_ts ? `reply in the thread of ${message.thread_ts}` : 'post';
      process.stdout.write(
        `  Slack ${where} to ${message.channel} (${message.blocks.length} blocks): ${message.text}\n`,
      );
    }
    process.stdout.write('\nMeasured:\n');
    for (const [name, run] of local.runs) {
      const line = measured.find((m) => m.startsWith(`${name}:`)) ?? `${name}: email not measured (no Chromium)`;
      const thread = run.report.slack.thread.reduce((n, m) => n + m.blocks.length, 0);
      process.stdout.write(
        `  ${line}; Slack post ${run.report.slack.post.blocks.length} blocks, thread reply ${thread} blocks\n`,
      );
    }
    for (const post of local.teamsPosts) {
      const card = (post.message as { attachments: Array<{ content: { fallbackText: string } }> }).attachments[0];
      process.stdout.write(
        `  Teams card (${post.bytes.toLocaleString('en-US')} bytes): ${card?.content.fallbackText}\n`,
      );
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
