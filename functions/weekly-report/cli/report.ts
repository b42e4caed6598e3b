/**
 * The `report` command line (`npm run -s report -- <command>`):
 *   summarize  print the summary (text or JSON) of events from a file, stdin, or Datadog
 * stdout holds only the report; any problem is one line on stderr and a non-zero exit.
 */
import { parseArgs } from 'node:util';
import { BaselineAggregate, summarize, WindowAggregate } from '../core/aggregate';
import { normalizeEvent } from '../core/normalize';
import { isDatadogSite, isValidTimeZone, reportSettings } from '../core/settings';
import { formatTextReport } from '../core/text-report';
import type { CallRecord, ReportSettings, Summary } from '../core/types';
import { InputError, readEvents } from './input';

const DAY_MS = 24 * 60 * 60 * 1000;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const USAGE = `usage: report summarize [--input FILE|-] [--baseline FILE] [--from ISO] [--to ISO]
                        [--format text|json] [--org NAME] [--timezone TZ] [--site SITE] [--user ID|EMAIL]
Input: a Datadog audit search response {"data":[…]}, a JSON array of events or responses, or NDJSON.`;

const OPTIONS = {
  input: { type: 'string' },
  baseline: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  org: { type: 'string' },
  timezone: { type: 'string' },
  site: { type: 'string' },
  user: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonOptions {
  readonly input?: string;
  readonly baseline?: string;
  readonly from?: number;
  readonly to?: number;
  readonly format: 'text' | 'json';
  readonly user?: string;
  readonly settings: ReportSettings;
}

function parseTimeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new UsageError(`--${name} must be an ISO date or time such as 2026-11-16T09:00:00Z (got "${value}")`);
  return ms;
}

export function parseCommonOptions(args: string[]): CommonOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const v = parsed.values;
  if (v.help) throw new UsageError(USAGE);
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json (got "${format}")`);
  const timezone = v.timezone ?? 'UTC';
  if (!isValidTimeZone(timezone))
    throw new UsageError(`--timezone must be an IANA time zone such as Europe/Berlin (got "${timezone}")`);
  const site = v.site ?? process.env.DD_SITE ?? 'datadoghq.com';
  if (!isDatadogSite(site))
    throw new UsageError(`--site/DD_SITE must be a Datadog site such as datadoghq.eu (got "${site}")`);
  const from = parseTimeOption('from', v.from);
  const to = parseTimeOption('to', v.to);
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to');
  return {
    input: v.input,
    baseline: v.baseline,
    from,
    to,
    format,
    user: v.user,
    settings: reportSettings({ org: v.org ?? process.env.ORG_NAME ?? 'Datadog org', timezone, site }),
  };
}

/** True when `record` belongs to the person named by `who` (an id, e-mail or name, any case). */
function isPerson(record: CallRecord, who: string): boolean {
  const wanted = who.toLowerCase();
  const keyValue = record.personKey.slice(record.personKey.indexOf(':') + 1).toLowerCase();
  return keyValue === wanted || record.person.toLowerCase() === wanted;
}

function feeder(target: { addRecord(r: CallRecord): void; add(raw: unknown): void }, user: string | undefined) {
  if (user === undefined) return (raw: unknown) => target.add(raw);
  return (raw: unknown) => {
    const record = normalizeEvent(raw);
    if (isPerson(record, user)) target.addRecord(record);
  };
}

/** Summarizes the events of `--input` (and `--baseline`) as the options say. */
export async function summarizeFiles(options: CommonOptions & { input: string }): Promise<Summary> {
  const hasRange = options.from !== undefined || options.to !== undefined;
  const range = hasRange
    ? { from: options.from ?? Number.NEGATIVE_INFINITY, to: options.to ?? Number.POSITIVE_INFINITY }
    : undefined;
  const window = new WindowAggregate({ range });
  const read = await readEvents(options.input, feeder(window, options.user));
  if (read.unparsableLines > 0) {
    window.markIncomplete(`${read.unparsableLines} input lines were not JSON; each is counted as a malformed event.`);
  }

  const from = Number.isFinite(range?.from) ? range!.from : window.minTime;
  const to = Number.isFinite(range?.to) ? range!.to : window.maxTime + 1;
  const windowSpec = Number.isFinite(from) && Number.isFinite(to) ? { from, to } : undefined;

  let baseline: BaselineAggregate | undefined;
  if (options.baseline !== undefined) {
    const length = windowSpec ? windowSpec.to - windowSpec.from : 7 * DAY_MS;
    const start = windowSpec?.from ?? Number.POSITIVE_INFINITY;
    baseline = new BaselineAggregate(
      { from: start - length, to: start },
      { range: { from: Number.NEGATIVE_INFINITY, to: start } },
    );
    await readEvents(options.baseline, feeder(baseline, options.user));
  }
  return summarize(window, baseline, {
    ...options.settings,
    ...(windowSpec
      ? { window: { from: new Date(windowSpec.from).toISOString(), to: new Date(windowSpec.to).toISOString() } }
      : {}),
  });
}

function print(summary: Summary, format: 'text' | 'json'): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatTextReport(summary));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'summarize') {
      const options = parseCommonOptions(rest);
      if (options.input === undefined) throw new UsageError('--input FILE|- is required');
      print(await summarizeFiles({ ...options, input: options.input }), options.format);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}" (commands: summarize)`);
  } catch (error) {
    if (error instanceof UsageError) {
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
