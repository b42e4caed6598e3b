/**
 * The `report` command line (`npm run -s report -- <command>`):
 *   summarize  print the summary (text or JSON) of events from a file, stdin, or Datadog
 *   render     write email.html, email.txt, slack.json and summary.json to --out, sending nothing
 *   preview    render last week of a real org (DD_API_KEY, DD_APP_KEY, DD_SITE) into out/, sending nothing
 *   history    list the archived reports (--archive DIR|s3://… or ARCHIVE_BUCKET)
 *   show       print or write out one archived report (--week YYYY-MM-DD)
 *   verify     check every archived week's MAC, objects and chain (cli/verify.ts)
 *   doctor     check a deployment's keys, scopes, channels, senders and archive, sending nothing (cli/doctor.ts)
 * stdout holds only the report; any problem is one line on stderr and a non-zero exit (2 for a
 * usage mistake: an unknown option or command, or an option the command does not take). The
 * reports are made by the function's own pipeline (cli/summaries.ts). Everything printed is
 * printable (render/plain-text.ts): no value from audit data, the archive or an input file reaches
 * the terminal as a control sequence, in a report or in an error.
 */
import { isSlackChannelId } from '../functions/weekly-report/config/values';
import { weekName } from '../functions/weekly-report/pipeline/history';
import { printable, printableText } from '../functions/weekly-report/render/plain-text';
import { ArchiveOptionError, archiveReports, describeReports, openArchive, openArchiveStore } from './archive-option';
import {
  archivedText,
  findWeek,
  formatHistory,
  formatReports,
  historyRows,
  type Unreadable,
  writeArchivedFiles,
} from './history-commands';
import { maskProcessOutput } from './masked-output';
import { type CommonOptions, HelpRequested, isCommand, parseOptions, UsageError, unknownCommand } from './options';
import { checkOutDir, OutputError, print, printableJson, writeReportFiles } from './output';
import { archiveName, reportFor } from './summaries';
import { USAGE } from './usage';

let closedPipeHandled = false;

/**
 * A reader that stops early (`report … | head`) closes the pipe, and the rest of the output has
 * nowhere to go: stop quietly then, as Unix tools do, rather than die with a stack trace.
 */
function stopQuietlyOnClosedPipe(): void {
  if (closedPipeHandled) return;
  closedPipeHandled = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** One line on stderr, printable. */
function say(line: string): void {
  process.stderr.write(`report: ${printable(line)}\n`);
}

async function summarize(options: CommonOptions): Promise<number> {
  const { summary, notes } = await reportFor(options);
  for (const note of notes) say(note);
  print(summary, options.format);
  return 0;
}

async function render(options: CommonOptions): Promise<number> {
  const preview = options.command === 'preview';
  const out = options.out ?? (preview ? 'out' : undefined);
  if (out === undefined) throw new UsageError('render needs --out DIR');
  // The stack's rule (isSlackChannelId): chat.postMessage wants the channel ID, not its #name.
  if (!isSlackChannelId(options.channel)) {
    throw new UsageError(
      `${options.channelFrom ?? '--channel'} must be a Slack channel ID such as C0123456789 (channel details → About), not a #name (got "${options.channel}")`,
    );
  }
  await checkOutDir(out);
  const { renderReport } = await import('../functions/weekly-report/render');
  const { summary, week, notes } = await reportFor(options);
  for (const note of notes) say(note);
  const report = renderReport(summary, { slackChannel: options.channel });
  const files = await writeReportFiles(report, out);
  if (options.archive && week) {
    // What was rendered becomes part of the history, as the function's archive channel does.
    const archive = await openArchive(options.archive, archiveName(options));
    await archive.write(summary.window.to, report, week);
    say(`archived to ${archive.location}${summary.window.to}/`);
  }
  if (preview) {
    process.stdout.write(report.text);
    process.stdout.write(`\nWrote ${printable(files.join(', '))} (nothing was sent).\n`);
    process.stdout.write(
      'To see the Slack post, paste the blocks of slack.json into https://app.slack.com/block-kit-builder\n',
    );
  } else {
    say(`wrote ${files.join(', ')}`);
  }
  return 0;
}

/** The archive `history` and `show` read: it must be named, and it must exist. */
function archiveOf(options: CommonOptions): string {
  if (!options.archive) {
    throw new UsageError(`${options.command} needs the archive: --archive DIR|s3://bucket[/prefix], or ARCHIVE_BUCKET`);
  }
  return options.archive;
}

/** Whether a report is named: --report, --org, or the ORG_NAME a deployment's shell may have. */
function namesReport(options: CommonOptions): boolean {
  return options.report !== undefined || options.orgFrom !== undefined;
}

/**
 * `history` or `show` of a report the archive does not hold: an error that says what it does
 * hold; undefined when it holds nothing at all (an archive nothing was written to yet).
 */
async function notHeld(location: string, options: CommonOptions, where: string): Promise<Error | undefined> {
  const reports = await archiveReports(await openArchiveStore(location));
  if (reports.length === 0) return undefined;
  const flag = options.report !== undefined ? `--report ${options.report}` : `--org ${options.settings.org}`;
  return new OutputError(
    `no archived reports of ${flag} in ${where}; the archive holds ${describeReports(reports)}: name one with --report NAME`,
  );
}

async function history(options: CommonOptions): Promise<number> {
  const location = archiveOf(options);
  if (!namesReport(options)) {
    const store = await openArchiveStore(location, { mustExist: true });
    const reports = await archiveReports(store);
    process.stdout.write(options.format === 'json' ? printableJson(reports) : formatReports(store.location, reports));
    return 0;
  }
  const archive = await openArchive(location, archiveName(options), { mustExist: true });
  const { rows, unreadable } = await historyRows(archive, options.weeks);
  if (rows.length === 0 && unreadable.length === 0) {
    const error = await notHeld(location, options, archive.location);
    if (error) throw error;
  }
  if (options.format === 'json') {
    warnUnreadable(unreadable, options.settings.timezone);
    process.stdout.write(printableJson(rows));
  } else process.stdout.write(formatHistory(archive, rows, unreadable, options.settings.timezone));
  return 0;
}

/** One stderr line per archived week that was left out because it could not be read. */
function warnUnreadable(weeks: readonly Unreadable[], timezone: string): void {
  for (const u of weeks) say(`${weekName(u.windowTo, timezone)} could not be read from the archive (${u.reason})`);
}

async function show(options: CommonOptions): Promise<number> {
  const location = archiveOf(options);
  if (!namesReport(options)) {
    const store = await openArchiveStore(location, { mustExist: true });
    const reports = await archiveReports(store);
    throw new UsageError(
      reports.length === 0
        ? `show needs --report NAME (or --org NAME), and the archive ${store.location} holds no reports`
        : `show needs --report NAME (or --org NAME): the archive holds ${describeReports(reports)}`,
    );
  }
  if (options.week === undefined) throw new UsageError('show needs --week YYYY-MM-DD (a day of the week to show)');
  const archive = await openArchive(location, archiveName(options), { mustExist: true });
  const { found, unreadable } = await findWeek(archive, options.week);
  warnUnreadable(unreadable, options.settings.timezone);
  if (!found) {
    if ((await archive.list()).length === 0) {
      const error = await notHeld(location, options, archive.location);
      if (error) throw error;
    }
    throw new OutputError(`no archived report of ${options.week} in ${archive.location}`);
  }
  if (options.out !== undefined) {
    await checkOutDir(options.out);
    const { written, skipped } = await writeArchivedFiles(archive, found.windowTo, options.out);
    for (const why of skipped) say(`left out ${why}`);
    say(`wrote ${written.join(', ')}`);
  } else if (options.format === 'json') {
    // The checked summary (archive/summary-schema.ts): nothing unchecked is printed.
    const summary = await archive.readSummary(found.windowTo);
    if (!summary) throw new OutputError(`the summary of ${found.windowTo} is not archived in ${archive.location}`);
    process.stdout.write(printableJson(summary));
  } else {
    // As archived (or made from the checked summary), made printable: anyone who can write the archive could plant escapes.
    const shown = await archivedText(archive, found.windowTo);
    if (shown.leftOut) say(`left out ${shown.leftOut}; shown from the summary`);
    process.stdout.write(printableText(shown.text));
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  stopQuietlyOnClosedPipe();
  // The keys never reach the output, whatever quotes them (cli/masked-output.ts).
  maskProcessOutput([process.env.DD_API_KEY, process.env.DD_APP_KEY, process.env.SLACK_BOT_TOKEN]);
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h' || command === 'help') throw new HelpRequested();
    if (command === undefined) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    if (command === 'doctor') {
      // Loaded only for doctor: it brings the SES, Secrets Manager and S3 clients, and parses its own options.
      const { runDoctor } = await import('./doctor');
      return await runDoctor(rest);
    }
    if (!isCommand(command)) throw unknownCommand(command);
    const options = parseOptions(command, rest);
    switch (options.command) {
      case 'summarize':
        return await summarize(options);
      case 'render':
      case 'preview':
        return await render(options);
      case 'history':
        return await history(options);
      case 'show':
        return await show(options);
      case 'verify': {
        // Loaded only for verify: it brings the KMS client (its own bundle, dist/cli/verify.cjs).
        const { runVerify } = await import('./verify');
        return await runVerify(options);
      }
    }
  } catch (error) {
    // Help asked for is the answer (stdout, exit 0); usage after a mistake is an error (stderr, exit 2).
    if (error instanceof HelpRequested) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    // A message may quote the input (a JSON parse error shows its first bytes): printable, as all output.
    say(error instanceof Error ? error.message : String(error));
    return error instanceof UsageError || error instanceof ArchiveOptionError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`report: ${printable(String(error))}\n`);
      process.exitCode = 1;
    },
  );
}
