/**
 * The `report` command line (`npm run -s report -- <command>`):
 *   summarize  print the summary (text or JSON) of events from a file, stdin, or Datadog
 *   render     write email.html, email.txt, slack.json and summary.json to --out, sending nothing
 *   preview    render last week of a real org (DD_API_KEY, DD_APP_KEY, DD_SITE) into out/, sending nothing
 *   history    list the archived reports (--archive DIR|s3://… or ARCHIVE_BUCKET)
 *   show       print or write out one archived report (--week YYYY-MM-DD)
 * stdout holds only the report; any problem is one line on stderr and a non-zero exit.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHIVE_FILES } from '../functions/weekly-report/archive/report-archive';
import { REPORT_NAME } from '../functions/weekly-report/config/report-definitions';
import {
  canonicalTimeZone,
  type DatadogSite,
  isDatadogSite,
  isSlackChannelId,
} from '../functions/weekly-report/config/values';
import { BaselineAggregate, WindowAggregate } from '../functions/weekly-report/core/aggregate';
import { type ArchivedWeek, archivedWeek } from '../functions/weekly-report/core/archived-week';
import { describeGaps, isUnread } from '../functions/weekly-report/core/gaps';
import { narrowUsageData, narrowUsageDataBy } from '../functions/weekly-report/core/mcp-usage';
import { callerInScope, callInScope, type PersonScope, personScope } from '../functions/weekly-report/core/scope';
import { summarize } from '../functions/weekly-report/core/summarize';
import { DAY_MS } from '../functions/weekly-report/core/time';
import {
  type CallRecord,
  MCP_EVENT_NAME,
  type McpUsageData,
  type ReportSettings,
  reportSettings,
  type Summary,
  UNKNOWN,
} from '../functions/weekly-report/core/types';
import { ReportUnavailableError } from '../functions/weekly-report/errors';
import { withHistory } from '../functions/weekly-report/history';
import type { RenderedReport } from '../functions/weekly-report/ports';
import { formatTextReport } from '../functions/weekly-report/render/text-report';
import { ArchiveOptionError, archiveLocation, openArchive } from './archive-option';
import { builtWorkerScript, createDecodePool, type DecodePool, defaultWorkerCount } from './decode-pool';
import { findWeek, formatHistory, historyRows, writeArchivedFiles } from './history-commands';
import { type DocumentDecoding, InputError, readEvents } from './input';
import { filteredSource, isPerson } from './person-filter';
import { USAGE } from './usage';

/** Why a report from a file has no tool or client sections. */
export const FILE_TOOL_USAGE_REASON =
  'not available from a file: tools and MCP clients come from the datadog.mcp.tool.usage metric, ' +
  'which only a live fetch reads (summarize or preview without --input)';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` was given: the usage goes to stdout and the exit code is 0. */
class HelpRequested extends Error {}

/** The --out directory cannot be made or written. */
export class OutputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputError';
  }
}

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
  'baseline-days': { type: 'string' },
  timeout: { type: 'string' },
  workers: { type: 'string' },
  archive: { type: 'string' },
  weeks: { type: 'string' },
  week: { type: 'string' },
  report: { type: 'string' },
  team: { type: 'string' },
  out: { type: 'string' },
  channel: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonOptions {
  readonly input?: string;
  readonly baseline?: string;
  readonly from?: number;
  readonly to?: number;
  readonly format: 'text' | 'json';
  readonly user?: string;
  readonly baselineDays: number;
  /** How long a live fetch may take, ms. @default 600000 */
  readonly timeoutMs: number;
  /** `--workers N`: threads that parse JSON beside the main one; 0 parses on the main thread. @default one per core, at most 4 */
  readonly workers: number;
  /** The report archive (`--archive` or ARCHIVE_BUCKET), when there is one. */
  readonly archive?: string;
  /** `history --weeks`. @default 12 */
  readonly weeks: number;
  /** `show --week YYYY-MM-DD`. */
  readonly week?: string;
  /** `--report NAME`: the archive of a named report of a deployment with several (else the org's). */
  readonly report?: string;
  /** `--team HANDLE`: a report of that Datadog team's people (resolved through the Teams API). */
  readonly team?: string;
  readonly out?: string;
  readonly channel: string;
  /** Where `channel` came from; undefined for the placeholder default. */
  readonly channelFrom?: '--channel' | 'SLACK_CHANNEL';
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
  if (v.help) throw new HelpRequested();
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json (got "${format}")`);
  const timezone = canonicalTimeZone(v.timezone ?? 'UTC');
  if (timezone === undefined)
    throw new UsageError(`--timezone must be an IANA time zone such as Europe/Berlin (got "${v.timezone}")`);
  const site = v.site ?? process.env.DD_SITE ?? 'datadoghq.com';
  if (!isDatadogSite(site))
    throw new UsageError(`--site/DD_SITE must be a Datadog site such as datadoghq.eu (got "${site}")`);
  const from = parseTimeOption('from', v.from);
  const to = parseTimeOption('to', v.to);
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to');
  const baselineDays = v['baseline-days'] === undefined ? 28 : Number(v['baseline-days']);
  if (!Number.isInteger(baselineDays) || baselineDays < 0) {
    throw new UsageError(`--baseline-days must be a whole number of days (got "${v['baseline-days']}")`);
  }
  const timeoutSeconds = v.timeout === undefined ? 600 : Number(v.timeout);
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
    throw new UsageError(`--timeout must be a number of seconds above 0 (got "${v.timeout}")`);
  }
  const workers = v.workers === undefined ? defaultWorkerCount() : Number(v.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new UsageError(`--workers must be a whole number from 0 to 64 (got "${v.workers}")`);
  }
  const weeks = v.weeks === undefined ? 12 : Number(v.weeks);
  if (!Number.isInteger(weeks) || weeks < 1)
    throw new UsageError(`--weeks must be a whole number above 0 (got "${v.weeks}")`);
  if (
    v.week !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(v.week) || !Number.isFinite(Date.parse(`${v.week}T00:00:00Z`)))
  ) {
    throw new UsageError(`--week must be a date such as 2026-11-18 (got "${v.week}")`);
  }
  if (v.report !== undefined && !REPORT_NAME.test(v.report)) {
    throw new UsageError(`--report must be a report name: lower-case letters, digits and - (got "${v.report}")`);
  }
  const archive = archiveLocation(v.archive);
  return {
    baselineDays,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    workers,
    ...(archive !== undefined ? { archive } : {}),
    weeks,
    ...(v.week !== undefined ? { week: v.week } : {}),
    ...(v.report !== undefined ? { report: v.report } : {}),
    ...(v.team !== undefined ? { team: v.team.trim() } : {}),
    out: v.out,
    channel: v.channel ?? process.env.SLACK_CHANNEL ?? 'C0123456789',
    channelFrom:
      v.channel !== undefined ? '--channel' : process.env.SLACK_CHANNEL !== undefined ? 'SLACK_CHANNEL' : undefined,
    input: v.input,
    baseline: v.baseline,
    from,
    to,
    format,
    user: v.user,
    settings: reportSettings({ org: v.org ?? process.env.ORG_NAME ?? 'Datadog org', timezone, site }),
  };
}

/**
 * The first and last time of the input's MCP calls inside the asked range, whoever made them: the
 * window of a report without --from/--to, so `--user nobody` shows the input's dates, not 1970.
 */
class CallSpan {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(private readonly range: { from: number; to: number } | undefined) {}

  add(r: CallRecord): void {
    if (!Number.isFinite(r.time)) return;
    // The aggregate's admission rule (core/aggregate.ts isOtherEvent): an unnamed event may be a malformed MCP call.
    if (r.eventName !== UNKNOWN && r.eventName !== MCP_EVENT_NAME) return;
    if (this.range && (r.time < this.range.from || r.time >= this.range.to)) return;
    if (r.time < this.min) this.min = r.time;
    if (r.time > this.max) this.max = r.time;
  }
}

function feeder(target: { addRecord(r: CallRecord): void }, keep: Narrowing | undefined, span?: CallSpan) {
  return (record: CallRecord) => {
    span?.add(record);
    if (keep === undefined || keep.accepts(record)) target.addRecord(record);
  };
}

/** `--user` and `--team`: which calls count, whose usage, and the scope a team report names. */
interface Narrowing {
  accepts(record: CallRecord): boolean;
  usage(data: McpUsageData): McpUsageData;
  /** A team report's scope ("team sre"): in its title and subject. */
  readonly scope?: PersonScope;
}

/** The narrowing the options ask for; `--team` resolves the team through the Teams API now. */
async function narrowingFor(options: CommonOptions): Promise<Narrowing | undefined> {
  const parts: Narrowing[] = [];
  const user = options.user;
  if (user !== undefined) {
    parts.push({ accepts: (r) => isPerson(r, user), usage: (d) => narrowUsageData(d, user) });
  }
  if (options.team !== undefined) {
    const scope = await resolveTeam(options, options.team);
    parts.push({
      accepts: (r) => callInScope(r, scope),
      usage: (d) => narrowUsageDataBy(d, (caller) => callerInScope(caller, scope), scope.label),
      scope,
    });
  }
  if (parts.length === 0) return undefined;
  return {
    accepts: (r) => parts.every((p) => p.accepts(r)),
    usage: (d) => parts.reduce((data, p) => p.usage(data), d),
    ...(parts.find((p) => p.scope)?.scope ? { scope: parts.find((p) => p.scope)?.scope as PersonScope } : {}),
  };
}

/** A team's people, from Datadog's Teams API (DD_API_KEY, DD_APP_KEY with teams_read). */
async function resolveTeam(options: CommonOptions, handle: string): Promise<PersonScope> {
  const { apiKey, appKey } = datadogKeys('--team resolves the team through Datadog', 'teams_read');
  const { createDatadogTeamDirectory } = await import('../functions/weekly-report/adapters/datadog/team-directory');
  const { nodeHttpTransport } = await import('../functions/weekly-report/adapters/datadog/node-transport');
  const directory = createDatadogTeamDirectory({
    apiKey,
    appKey,
    site: options.settings.site as DatadogSite,
    ...(process.env.DD_API_URL ? { baseUrl: process.env.DD_API_URL } : {}),
    fetch: nodeHttpTransport,
  });
  const [team] = await directory.resolve([handle], { deadline: Date.now() + options.timeoutMs });
  return personScope(`team ${handle}`, team?.members ?? []);
}

/** DD_API_KEY and DD_APP_KEY, or a usage error saying what needs them and which scope. */
function datadogKeys(what: string, scope: string): { apiKey: string; appKey: string } {
  const apiKey = process.env.DD_API_KEY;
  const appKey = process.env.DD_APP_KEY;
  const missing = [!apiKey && 'DD_API_KEY', !appKey && 'DD_APP_KEY'].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`${what}: set ${missing.join(' and ')} (scope ${scope})`);
  return { apiKey: apiKey as string, appKey: appKey as string };
}

/**
 * The report window: what --from/--to ask for, the rest from the input's calls; with no dated
 * call to go by, the CLI's default window (the 7 days ending --to, or now), said in a warning.
 */
function reportWindow(
  options: Pick<CommonOptions, 'from' | 'to'>,
  span: CallSpan,
  now: number,
): { from: number; to: number; note?: string } {
  if (span.min <= span.max) return { from: options.from ?? span.min, to: options.to ?? span.max + 1 };
  if (options.from !== undefined && options.to !== undefined) return { from: options.from, to: options.to };
  const to = options.to ?? (options.from !== undefined && options.from >= now ? options.from + 7 * DAY_MS : now);
  const from = options.from ?? to - 7 * DAY_MS;
  const shown = `${new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
  return {
    from,
    to,
    note: `The input holds no dated MCP calls${options.from === undefined && options.to === undefined ? '' : ' in the asked range'}, so the window shown (${shown}) is the default; give --from and --to to name another.`,
  };
}

/**
 * Whether the archive is read and extended: a `--user` report is one person's and never is (the
 * archive holds whole weeks of a report); a `--team` report only with `--report`, the team
 * report's own archive.
 */
function usesArchive(options: CommonOptions): boolean {
  return (
    options.archive !== undefined &&
    options.user === undefined &&
    (options.team === undefined || options.report !== undefined)
  );
}

/** The report settings, with a team report's scope (its title and subject name it). */
function scopedSettings(options: CommonOptions, narrowing: Narrowing | undefined): ReportSettings {
  return narrowing?.scope ? { ...options.settings, scopeLabel: narrowing.scope.label } : options.settings;
}

/** Whose archive: a named report's (`--report`), or the org's, as a deployment with one report keeps it. */
function archiveName(options: Pick<CommonOptions, 'report' | 'settings'>): string {
  return options.report ?? options.settings.org;
}

/** A summary, and the week's archived form when the archive takes it (see usesArchive). */
export interface CliReport {
  readonly summary: Summary;
  readonly week?: ArchivedWeek;
}

/** Whole local days in a window of the CLI (the trend steps back by it). */
function daysOf(range: { from: number; to: number }): number {
  return Math.max(1, Math.round((range.to - range.from) / DAY_MS));
}

/**
 * A JSON document this large is parsed by the decode pool; a smaller one on the main thread, where
 * handing it over costs more than it saves (a worker takes ~40 ms to start).
 */
const POOL_MIN_BYTES = 4 << 20;

/** The decode pool `--workers` asks for, when this is the built CLI (see cli/decode-pool.ts); else undefined. */
function decodePoolFor(options: Pick<CommonOptions, 'workers'>): DecodePool | undefined {
  const script = options.workers > 0 ? builtWorkerScript() : undefined;
  return script === undefined ? undefined : createDecodePool(script, options.workers);
}

/** Runs `body` with the pool the options ask for, and ends the pool after. */
async function withDecodePool<T>(
  options: Pick<CommonOptions, 'workers'>,
  body: (pool: DecodePool | undefined) => Promise<T>,
): Promise<T> {
  const pool = decodePoolFor(options);
  try {
    return await body(pool);
  } finally {
    await pool?.close();
  }
}

/** Files big enough for the pool start it at once, so its workers boot while the file is read. */
async function warmFor(pool: DecodePool | undefined, path: string): Promise<void> {
  if (pool === undefined || path === '-') return;
  const size = await stat(path).then(
    (s) => s.size,
    () => 0, // readEvents words the error
  );
  if (size >= POOL_MIN_BYTES) pool.warm();
}

/** Summarizes the events of `--input` (and `--baseline`) as the options say. */
export function summarizeFiles(options: CommonOptions & { input: string }, now = Date.now()): Promise<CliReport> {
  return withDecodePool(options, async (pool) => {
    const decoding: DocumentDecoding = pool
      ? { decode: pool.decodeBlock, inFlight: 2 * pool.size + 1, minBytes: POOL_MIN_BYTES, shared: true }
      : {};
    await warmFor(pool, options.input);
    return summarizeFilesWith(options, decoding, now);
  });
}

async function summarizeFilesWith(
  options: CommonOptions & { input: string },
  decoding: DocumentDecoding,
  now: number,
): Promise<CliReport> {
  const hasRange = options.from !== undefined || options.to !== undefined;
  const range = hasRange
    ? { from: options.from ?? Number.NEGATIVE_INFINITY, to: options.to ?? Number.POSITIVE_INFINITY }
    : undefined;
  const window = new WindowAggregate({ range });
  const span = new CallSpan(range);
  const narrowing = await narrowingFor(options);
  const read = await readEvents(options.input, feeder(window, narrowing, span), { decoding });
  if (read.unparsableLines > 0) {
    window.markIncomplete(`${read.unparsableLines} input lines were not JSON; each is counted as a malformed event.`);
  }

  const windowSpec = reportWindow(options, span, now);

  let baseline: BaselineAggregate | undefined;
  if (options.baseline !== undefined) {
    const length = windowSpec.to - windowSpec.from;
    const start = windowSpec.from;
    baseline = new BaselineAggregate(
      { from: start - length, to: start },
      { range: { from: Number.NEGATIVE_INFINITY, to: start } },
    );
    await readEvents(options.baseline, feeder(baseline, narrowing), { decoding });
  }
  let summary = summarize(
    window,
    baseline,
    {
      ...scopedSettings(options, narrowing),
      window: { from: windowSpec.from, to: windowSpec.to },
    },
    { window: { status: 'not_fetched', reason: FILE_TOOL_USAGE_REASON } },
  );
  if (windowSpec.note !== undefined) summary = { ...summary, warnings: [...summary.warnings, windowSpec.note] };
  const archive = usesArchive(options) ? await openArchive(options.archive as string, archiveName(options)) : undefined;
  summary = await withHistory(summary, { archiveWarnings: [] }, archive, daysOf(windowSpec));
  return {
    summary,
    ...(usesArchive(options) ? { week: archivedWeek(options.settings.org, window, windowSpec) } : {}),
  };
}

/**
 * Fetches the window (default: the 7 days ending now) and its baseline from Datadog, as the Lambda
 * does, with the MCP usage metric over the same ranges; `--user` keeps one person's events and
 * usage.
 */
export function summarizeLive(options: CommonOptions, now = Date.now()): Promise<CliReport> {
  const { apiKey, appKey } = datadogKeys('without --input, events come from Datadog', 'audit_logs_read');
  return withDecodePool(options, (pool) => {
    // The workers boot while the Datadog client loads and the first requests are in flight.
    pool?.warm();
    return summarizeLiveWith(options, { apiKey, appKey }, pool, now);
  });
}

async function summarizeLiveWith(
  options: CommonOptions,
  { apiKey, appKey }: { apiKey: string; appKey: string },
  pool: DecodePool | undefined,
  now: number,
): Promise<CliReport> {
  const to = options.to ?? now;
  const from = options.from ?? to - 7 * DAY_MS;
  // Loaded only here: the Datadog client is large, and summarizing a file must not pay for it.
  const { createDatadogAuditSource } = await import('../functions/weekly-report/adapters/datadog/audit-source');
  const { createDatadogMetricsSource } = await import('../functions/weekly-report/adapters/datadog/metrics-source');
  const { collectReportData } = await import('../functions/weekly-report/collect');
  const { nodeHttpTransport } = await import('../functions/weekly-report/adapters/datadog/node-transport');
  const datadog = {
    apiKey,
    appKey,
    site: options.settings.site as DatadogSite,
    ...(process.env.DD_API_URL ? { baseUrl: process.env.DD_API_URL } : {}),
    fetch: nodeHttpTransport,
  };
  const audit = createDatadogAuditSource({ ...datadog, ...(pool ? { decodePage: pool.decodePage } : {}) });
  const narrowing = await narrowingFor(options);
  const archive = usesArchive(options) ? await openArchive(options.archive as string, archiveName(options)) : undefined;
  const deadline = now + options.timeoutMs;
  const data = await collectReportData(narrowing ? filteredSource(audit, (r) => narrowing.accepts(r)) : audit, {
    window: { from, to },
    timezone: options.settings.timezone,
    baselineDays: options.baselineDays,
    deadline,
    usage: createDatadogMetricsSource(datadog),
    ...(archive ? { archive } : {}),
  });
  if (isUnread(data.window.incomplete, from, to)) {
    // A fetch that read nothing is no report: never print it as a quiet week.
    throw new ReportUnavailableError(
      { from: new Date(from), to: new Date(to) },
      describeGaps(data.window.incomplete, options.settings.timezone),
    );
  }
  const usage = data.usage && narrowing ? narrowing.usage(data.usage) : data.usage;
  const summary = summarize(
    data.window,
    data.baseline,
    {
      ...scopedSettings(options, narrowing),
      window: { from, to },
      ...(data.baselineRange ? { baselineWindow: data.baselineRange } : {}),
    },
    usage,
  );
  return {
    summary: await withHistory(summary, data, archive, daysOf({ from, to }), { call: { deadline } }),
    ...(usesArchive(options) ? { week: archivedWeek(options.settings.org, data.window, { from, to }) } : {}),
  };
}

function reportFor(options: CommonOptions): Promise<CliReport> {
  return options.input === undefined ? summarizeLive(options) : summarizeFiles({ ...options, input: options.input });
}

function describeOutError(dir: string, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'a file is in the way (it or one of its parent folders is a file, not a directory)'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : (error as Error).message;
  return new OutputError(`cannot write to --out ${dir}: ${why}`, { cause: error });
}

/** Refuses an --out that exists and is not a directory, before any work is done for it. */
async function checkOutDir(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // created when the report is written
    throw describeOutError(dir, error);
  }
  if (!isDirectory) {
    throw new OutputError(`cannot write to --out ${dir}: it is a file; name a directory (it is created if missing)`);
  }
}

/** Writes the four files of a rendered report into `dir`; returns their paths. */
export async function writeReportFiles(report: RenderedReport, dir: string): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw describeOutError(dir, error);
  }
  const files: Array<[string, string]> = [
    ['email.html', report.html],
    ['email.txt', report.text],
    ['slack.json', `${JSON.stringify(report.slack, null, 2)}\n`],
    ['summary.json', `${JSON.stringify(report.summary, null, 2)}\n`],
  ];
  await Promise.all(files.map(([name, body]) => writeFile(join(dir, name), body)));
  return files.map(([name]) => join(dir, name));
}

function print(summary: Summary, format: 'text' | 'json'): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatTextReport(summary));
}

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
