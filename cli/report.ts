/**
 * The `report` command line (`npm run -s report -- <command>`):
 *   summarize  print the summary (text or JSON) of events from a file, stdin, or Datadog
 *   render     write email.html, email.txt, slack.json and summary.json to --out, sending nothing
 *   preview    render last week of a real org (DD_API_KEY, DD_APP_KEY, DD_SITE) into out/, sending nothing
 *   history    list the archived reports (--archive DIR|s3://… or ARCHIVE_BUCKET)
 *   show       print or write out one archived report (--week YYYY-MM-DD)
 * stdout holds only the report; any problem is one line on stderr and a non-zero exit. The
 * reports are made by the function's own pipeline (cli/summaries.ts).
 */
import { ARCHIVE_FILES } from '../functions/weekly-report/archive/report-archive';
import { isSlackChannelId } from '../functions/weekly-report/config/values';
import { formatTextReport } from '../functions/weekly-report/render/text-report';
import { ArchiveOptionError, openArchive } from './archive-option';
import { findWeek, formatHistory, historyRows, writeArchivedFiles } from './history-commands';
import { InputError } from './input';
import { maskProcessOutput } from './masked-output';
import { HelpRequested, parseCommonOptions, UsageError } from './options';
import { checkOutDir, OutputError, print, writeReportFiles } from './output';
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

export async function main(argv: string[]): Promise<number> {
  stopQuietlyOnClosedPipe();
  // The keys never reach the output, whatever quotes them (cli/masked-output.ts).
  maskProcessOutput([process.env.DD_API_KEY, process.env.DD_APP_KEY]);
  const [command, ...rest] = argv;
  try {
    if (command === 'summarize') {
      const options = parseCommonOptions(rest);
      print((await reportFor(options)).summary, options.format);
      return 0;
    }
    if (command === 'render' || command === 'preview') {
      const options = parseCommonOptions(rest);
      const out = options.out ?? (command === 'preview' ? 'out' : undefined);
      if (out === undefined) throw new UsageError('render needs --out DIR');
      if (command === 'preview' && options.input !== undefined)
        throw new UsageError('preview reads Datadog; use render with --input');
      // The stack's rule (isSlackChannelId): chat.postMessage wants the channel ID, not its #name.
      if (!isSlackChannelId(options.channel)) {
        throw new UsageError(
          `${options.channelFrom ?? '--channel'} must be a Slack channel ID such as C0123456789 (channel details → About), not a #name (got "${options.channel}")`,
        );
      }
      await checkOutDir(out);
      const { renderReport } = await import('../functions/weekly-report/render');
      const { summary, week } = await reportFor(options);
      const report = renderReport(summary, { slackChannel: options.channel });
      const files = await writeReportFiles(report, out);
      if (options.archive && week) {
        // What was rendered becomes part of the history, as the function's archive channel does.
        const archive = await openArchive(options.archive, archiveName(options));
        await archive.write(summary.window.to, report, week);
        process.stderr.write(`report: archived to ${archive.location}${summary.window.to}/\n`);
      }
      if (command === 'preview') {
        process.stdout.write(report.text);
        process.stdout.write(`\nWrote ${files.join(', ')} (nothing was sent).\n`);
        process.stdout.write(
          'To see the Slack post, paste the blocks of slack.json into https://app.slack.com/block-kit-builder\n',
        );
      } else {
        process.stderr.write(`report: wrote ${files.join(', ')}\n`);
      }
      return 0;
    }
    if (command === 'history' || command === 'show') {
      const options = parseCommonOptions(rest);
      if (!options.archive) {
        throw new UsageError(`${command} needs the archive: --archive DIR|s3://bucket[/prefix], or ARCHIVE_BUCKET`);
      }
      const archive = await openArchive(options.archive, archiveName(options));
      if (command === 'history') {
        const { rows, unreadable } = await historyRows(archive, options.weeks);
        process.stdout.write(
          options.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatHistory(archive, rows, unreadable),
        );
        return 0;
      }
      if (options.week === undefined) throw new UsageError('show needs --week YYYY-MM-DD (a day of the week to show)');
      const found = await findWeek(archive, options.week);
      if (!found) throw new OutputError(`no archived report of ${options.week} in ${archive.location}`);
      if (options.out === undefined) {
        const text = await archive.readFile(found.windowTo, ARCHIVE_FILES.text);
        process.stdout.write(text ? Buffer.from(text).toString('utf8') : formatTextReport(found.summary));
      } else {
        await checkOutDir(options.out);
        const files = await writeArchivedFiles(archive, found.windowTo, options.out);
        process.stderr.write(`report: wrote ${files.join(', ')}\n`);
      }
      return 0;
    }
    if (command === '--help' || command === '-h' || command === 'help') throw new HelpRequested();
    if (command === undefined) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    throw new UsageError(`unknown command "${command}" (commands: summarize, render, preview, history, show)`);
  } catch (error) {
    // Help asked for is the answer (stdout, exit 0); usage after a mistake is an error (stderr, exit 2).
    if (error instanceof HelpRequested) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (error instanceof UsageError || error instanceof ArchiveOptionError) {
      process.stderr.write(`report: ${error.message}\n`);
      return 2;
    }
    if (error instanceof InputError) {
      process.stderr.write(`report: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`report: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
