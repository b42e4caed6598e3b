/**
 * The command line's reports, through the same pipeline as the function (functions/weekly-report/
 * pipeline/): read → nothing read? → the report's share → summarize → history. `--user` and
 * `--team` narrow the read the way a scoped report of the function is narrowed (a Share), and a
 * live read is the function's shared read with one share. A file is read into the same
 * aggregates (cli/input.ts), its window taken from --from/--to or from the calls it holds.
 * A `--user` report says so where a `--team` report does (title and summary: `Acme (user ana@…)`)
 * and links to that person's calls in the Audit Trail; one that matched nobody says so on stderr.
 */
import { stat } from 'node:fs/promises';
import type { ReportArchive } from '../functions/weekly-report/archive/report-archive';
import { nearestKey } from '../functions/weekly-report/config/keys';
import { REPORT_DEFAULTS } from '../functions/weekly-report/config/report-definitions';
import type { DatadogSite } from '../functions/weekly-report/config/values';
import { BaselineAggregate, WindowAggregate } from '../functions/weekly-report/core/aggregate';
import { type ArchivedWeek, archivedWeek } from '../functions/weekly-report/core/archived-week';
import { FanOut } from '../functions/weekly-report/core/fan-out';
import { namedPersonQuery, narrowAuditLink } from '../functions/weekly-report/core/links';
import {
  bothShares,
  isPerson,
  personScope,
  personShare,
  type Share,
  scopeShare,
  WHOLE_ORG,
} from '../functions/weekly-report/core/scope';
import { DAY_MS, type TimeRange } from '../functions/weekly-report/core/time';
import { type CallRecord, MCP_EVENT_NAME, type Summary, UNKNOWN } from '../functions/weekly-report/core/types';
import { analyzeReport, assertRead } from '../functions/weekly-report/pipeline/analyze';
import { openArchive } from './archive-option';
import { builtWorkerScript, createDecodePool, type DecodePool } from './decode-pool';
import { type DocumentDecoding, readEvents } from './input';
import { type CommonOptions, UsageError } from './options';

/** The default window of the command line: the report's default length, ending now (or at --to). */
const WINDOW_MS = REPORT_DEFAULTS.windowDays * DAY_MS;

/** Why a report from a file has no tool or client sections. */
export const FILE_TOOL_USAGE_REASON =
  'not available from a file: tools and MCP clients come from the datadog.mcp.tool.usage metric, ' +
  'which only a live fetch reads (summarize or preview without --input)';

/** A summary, and the week's archived form when the archive takes it (see usesArchive). */
export interface CliReport {
  readonly summary: Summary;
  readonly week?: ArchivedWeek;
  /** What the person running the command should know beside the report (stderr, one line each). */
  readonly notes: readonly string[];
}

/** The report the options ask for: from `--input`, or live from Datadog. */
export function reportFor(options: CommonOptions): Promise<CliReport> {
  return options.input === undefined ? summarizeLive(options) : summarizeFiles({ ...options, input: options.input });
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

/** Whose archive: a named report's (`--report`), or the org's, as a deployment with one report keeps it. */
export function archiveName(options: Pick<CommonOptions, 'report' | 'settings'>): string {
  return options.report ?? options.settings.org;
}

function reportArchive(options: CommonOptions): Promise<ReportArchive | undefined> {
  return usesArchive(options)
    ? openArchive(options.archive as string, archiveName(options))
    : Promise.resolve(undefined);
}

/** Whole local days in a window of the CLI (the trend steps back by it). */
function daysOf(range: TimeRange): number {
  return Math.max(1, Math.round((range.to - range.from) / DAY_MS));
}

/** The share `--user` and `--team` ask for (the team resolved through the Teams API now); the whole org without them. */
async function shareFor(options: CommonOptions): Promise<Share> {
  let share = WHOLE_ORG;
  if (options.team !== undefined) share = bothShares(share, await teamShare(options, options.team));
  if (options.user !== undefined) {
    // Labelled as a team scope is ("team sre"), so the title and subject say whose report it is.
    share = bothShares(share, { ...personShare(options.user), label: `user ${options.user}` });
  }
  return share;
}

/** The summary of a `--user` report with its Audit Trail link narrowed to that person (as every other link of it is). */
function narrowedToUser(summary: Summary, user: string | undefined): Summary {
  return user === undefined ? summary : { ...summary, link: narrowAuditLink(summary.link, [namedPersonQuery(user)]) };
}

/**
 * Most identities kept to suggest a `--user` from: a file has a few hundred people, and a
 * suggestion needs no more.
 */
const KNOWN_PEOPLE_LIMIT = 10_000;

/**
 * Who a file's calls came from, for a `--user` that matched nobody: whether the person made any
 * call in the input at all (outside the window, say), and the identities to suggest from.
 */
class PeopleSeen {
  matchedAnywhere = false;
  readonly known = new Set<string>();

  constructor(private readonly user: string) {}

  add(r: CallRecord): void {
    if (r.eventName !== UNKNOWN && r.eventName !== MCP_EVENT_NAME) return;
    if (!this.matchedAnywhere && isPerson(r, this.user)) this.matchedAnywhere = true;
    if (this.known.size >= KNOWN_PEOPLE_LIMIT || r.person === UNKNOWN) return;
    this.known.add(r.person);
    const key = r.personKey;
    this.known.add(key.slice(key.indexOf(':') + 1));
  }
}

/**
 * The note of a `--user` report without a call: a person with no calls in a week is a true
 * answer (a script reporting on someone every week must not fail then), but a misspelled name
 * looks the same, so the report is printed and this line says which it is, with the nearest
 * person of the input when there is one.
 */
function unmatchedUserNote(
  options: Pick<CommonOptions, 'user' | 'team'>,
  summary: Summary,
  seen: PeopleSeen | undefined,
): string | undefined {
  const user = options.user;
  if (user === undefined || summary.total_tool_calls > 0) return undefined;
  if (options.team !== undefined) {
    return `--user ${user} made no MCP call in the window as a member of team ${options.team}; the report is empty`;
  }
  if (seen === undefined) {
    return `--user ${user} made no MCP call in the window; the report is empty (check the id, e-mail or name if that is unexpected)`;
  }
  if (seen.matchedAnywhere) {
    return `--user ${user} made no MCP call in the window; the input holds calls of theirs outside it`;
  }
  const nearest = nearestKey(user, [...seen.known]);
  return (
    `--user ${user} matched nobody in the input, so the report is empty; ` +
    (nearest !== undefined
      ? `did you mean ${nearest}?`
      : 'give a Datadog user id, e-mail or name as the input has them (see the top users of the report without --user)')
  );
}

/** A team's people, from Datadog's Teams API (DD_API_KEY, DD_APP_KEY with teams_read). */
async function teamShare(options: CommonOptions, handle: string): Promise<Share> {
  const { createDatadogTeamDirectory } = await import('../functions/weekly-report/adapters/datadog/team-directory');
  const directory = createDatadogTeamDirectory({
    ...datadogOptions(options, '--team resolves the team through Datadog', 'teams_read'),
    fetch: await nodeTransport(),
  });
  const [team] = await directory.resolve([handle], { deadline: Date.now() + options.timeoutMs });
  return scopeShare(personScope(`team ${handle}`, team?.members ?? []));
}

/** The Datadog keys and where to send them (DD_API_KEY, DD_APP_KEY, the site or DD_API_URL), over node:http. */
function datadogOptions(options: CommonOptions, what: string, scope: string) {
  const apiKey = process.env.DD_API_KEY;
  const appKey = process.env.DD_APP_KEY;
  const missing = [!apiKey && 'DD_API_KEY', !appKey && 'DD_APP_KEY'].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`${what}: set ${missing.join(' and ')} (scope ${scope})`);
  return {
    apiKey: apiKey as string,
    appKey: appKey as string,
    site: options.settings.site as DatadogSite,
    ...(process.env.DD_API_URL ? { baseUrl: process.env.DD_API_URL } : {}),
  };
}

/** The node:http transport (adapters/datadog/node-transport.ts), loaded only when a command reads Datadog. */
async function nodeTransport() {
  return (await import('../functions/weekly-report/adapters/datadog/node-transport')).nodeHttpTransport;
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

/**
 * The report window: what --from/--to ask for, the rest from the input's calls; with no dated
 * call to go by, the CLI's default window (the 7 days ending --to, or now), said in a warning.
 */
function fileWindow(
  options: Pick<CommonOptions, 'from' | 'to'>,
  span: CallSpan,
  now: number,
): { from: number; to: number; note?: string } {
  if (span.min <= span.max) return { from: options.from ?? span.min, to: options.to ?? span.max + 1 };
  if (options.from !== undefined && options.to !== undefined) return { from: options.from, to: options.to };
  const to = options.to ?? (options.from !== undefined && options.from >= now ? options.from + WINDOW_MS : now);
  const from = options.from ?? to - WINDOW_MS;
  const shown = `${new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
  return {
    from,
    to,
    note: `The input holds no dated MCP calls${options.from === undefined && options.to === undefined ? '' : ' in the asked range'}, so the window shown (${shown}) is the default; give --from and --to to name another.`,
  };
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
  const share = await shareFor(options);
  const windowFan = new FanOut([share], () => new WindowAggregate({ range }));
  const span = new CallSpan(range);
  const seen = options.user !== undefined ? new PeopleSeen(options.user) : undefined;
  const read = await readEvents(
    options.input,
    (record: CallRecord) => {
      span.add(record);
      seen?.add(record);
      windowFan.addRecord(record);
    },
    { decoding },
  );
  const window = windowFan.aggregates[0] as WindowAggregate;
  if (read.unparsableLines > 0) {
    window.markIncomplete(`${read.unparsableLines} input lines were not JSON; each is counted as a malformed event.`);
  }
  const windowSpec = fileWindow(options, span, now);
  const windowRange = { from: windowSpec.from, to: windowSpec.to };

  let baseline: BaselineAggregate | undefined;
  if (options.baseline !== undefined) {
    const length = windowSpec.to - windowSpec.from;
    const start = windowSpec.from;
    const baselineFan = new FanOut(
      [share],
      () =>
        new BaselineAggregate(
          { from: start - length, to: start },
          { range: { from: Number.NEGATIVE_INFINITY, to: start } },
        ),
    );
    await readEvents(options.baseline, (record: CallRecord) => baselineFan.addRecord(record), { decoding });
    baseline = baselineFan.aggregates[0];
  }
  const archive = await reportArchive(options);
  const summary = narrowedToUser(
    await analyzeReport(
      {
        window,
        ...(baseline ? { baseline } : {}),
        archiveWarnings: windowSpec.note !== undefined ? [windowSpec.note] : [],
        usage: { window: { status: 'not_fetched', reason: FILE_TOOL_USAGE_REASON } },
      },
      share,
      options.settings,
      { window: windowRange, windowDays: daysOf(windowRange), ...(archive ? { archive } : {}) },
    ),
    options.user,
  );
  const note = unmatchedUserNote(options, summary, seen);
  return {
    summary,
    ...(archive ? { week: archivedWeek(options.settings.org, window, windowRange, share.fingerprint) } : {}),
    notes: note !== undefined ? [note] : [],
  };
}

/**
 * Fetches the window (default: the 7 days ending now) and its baseline from Datadog with the
 * function's shared read, with the MCP usage metric over the same ranges; `--user` and `--team`
 * keep their share.
 */
export function summarizeLive(options: CommonOptions, now = Date.now()): Promise<CliReport> {
  const datadog = datadogOptions(options, 'without --input, events come from Datadog', 'audit_logs_read');
  return withDecodePool(options, (pool) => {
    // The workers boot while the Datadog client loads and the first requests are in flight.
    pool?.warm();
    return summarizeLiveWith(options, datadog, pool, now);
  });
}

async function summarizeLiveWith(
  options: CommonOptions,
  datadog: ReturnType<typeof datadogOptions>,
  pool: DecodePool | undefined,
  now: number,
): Promise<CliReport> {
  const to = options.to ?? now;
  const window = { from: options.from ?? to - WINDOW_MS, to };
  // Loaded only here: the Datadog client is large, and summarizing a file must not pay for it.
  const { createDatadogAuditSource } = await import('../functions/weekly-report/adapters/datadog/audit-source');
  const { createDatadogMetricsSource } = await import('../functions/weekly-report/adapters/datadog/metrics-source');
  const { readShares } = await import('../functions/weekly-report/pipeline/read');
  const fetch = await nodeTransport();
  const source = createDatadogAuditSource({ ...datadog, fetch, ...(pool ? { decodePage: pool.decodePage } : {}) });
  const share = await shareFor(options);
  const archive = await reportArchive(options);
  const deadline = now + options.timeoutMs;
  const [data] = await readShares(
    source,
    {
      window,
      timezone: options.settings.timezone,
      baselineDays: options.baselineDays,
      deadline,
      usage: createDatadogMetricsSource({ ...datadog, fetch }),
    },
    [{ share, ...(archive ? { archive } : {}) }],
  );
  if (!data) throw new Error('the read gave no report');
  // A fetch that read nothing is no report: never print it as a quiet week.
  assertRead(data.window, window, options.settings.timezone);
  const summary = narrowedToUser(
    await analyzeReport(data, share, options.settings, {
      window,
      windowDays: daysOf(window),
      ...(archive ? { archive } : {}),
      call: { deadline },
    }),
    options.user,
  );
  const note = unmatchedUserNote(options, summary, undefined);
  return {
    summary,
    ...(archive ? { week: archivedWeek(options.settings.org, data.window, window, share.fingerprint) } : {}),
    notes: note !== undefined ? [note] : [],
  };
}
