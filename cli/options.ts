/**
 * The command line's options: one table of every option, read strictly, each value checked with
 * a message that names the option and what to write instead. Which command takes which option is
 * checked by the commands (cli/report.ts).
 */
import { parseArgs } from 'node:util';
import { REPORT_DEFAULTS, REPORT_NAME } from '../functions/weekly-report/config/report-definitions';
import { canonicalTimeZone, isDatadogSite } from '../functions/weekly-report/config/values';
import { type ReportSettings, reportSettings } from '../functions/weekly-report/core/types';
import { archiveLocation } from './archive-option';
import { defaultWorkerCount } from './decode-pool';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` was given: the usage goes to stdout and the exit code is 0. */
export class HelpRequested extends Error {}

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
  const baselineDays = v['baseline-days'] === undefined ? REPORT_DEFAULTS.baselineDays : Number(v['baseline-days']);
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
