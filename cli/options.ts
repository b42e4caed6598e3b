/**
 * The command line's options: one table of every option, with the commands that take each, read
 * strictly. An option the command does not take is refused (naming the commands that do), an
 * unknown one names the nearest known one, and each value is checked with a message that names
 * the option and what to write instead. A new command is one entry in COMMANDS and its name in the
 * `commands` of each option it takes.
 */
import { parseArgs } from 'node:util';
import { nearestKey } from '../functions/weekly-report/config/keys';
import { REPORT_DEFAULTS, REPORT_NAME } from '../functions/weekly-report/config/report-definitions';
import { canonicalTimeZone, isDatadogSite } from '../functions/weekly-report/config/values';
import { type ReportSettings, reportSettings } from '../functions/weekly-report/core/types';
import { printable } from '../functions/weekly-report/render/plain-text';
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

/** The commands, in the order the usage lists them. */
export const COMMANDS = ['summarize', 'render', 'preview', 'history', 'show', 'verify'] as const;
export type Command = (typeof COMMANDS)[number];

/** The commands that make a report (from a file or live). */
const REPORTING = ['summarize', 'render', 'preview'] as const satisfies readonly Command[];

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The commands that take it. */
  readonly commands: readonly Command[];
  /** What to say instead of the generic refusal, for a command that does not take it. */
  readonly instead?: Partial<Readonly<Record<Command, string>>>;
}

/** Every option, with the commands that take it. */
export const OPTIONS = {
  input: {
    type: 'string',
    commands: ['summarize', 'render'],
    instead: { preview: 'preview reads Datadog; use render with --input' },
  },
  baseline: { type: 'string', commands: ['summarize', 'render'] },
  from: { type: 'string', commands: REPORTING },
  to: { type: 'string', commands: REPORTING },
  format: { type: 'string', commands: ['summarize', 'history', 'show', 'verify'] },
  org: { type: 'string', commands: COMMANDS },
  timezone: { type: 'string', commands: REPORTING },
  site: { type: 'string', commands: REPORTING },
  user: { type: 'string', commands: REPORTING },
  'baseline-days': { type: 'string', commands: REPORTING },
  timeout: { type: 'string', commands: REPORTING },
  workers: { type: 'string', commands: REPORTING },
  archive: { type: 'string', commands: COMMANDS },
  weeks: { type: 'string', commands: ['history'] },
  week: { type: 'string', commands: ['show'] },
  report: { type: 'string', commands: COMMANDS },
  team: { type: 'string', commands: REPORTING },
  out: { type: 'string', commands: ['render', 'preview', 'show'] },
  channel: { type: 'string', commands: ['render', 'preview'] },
  key: { type: 'string', commands: ['verify'] },
  help: { type: 'boolean', short: 'h', commands: COMMANDS },
} as const satisfies Readonly<Record<string, OptionSpec>>;

type OptionName = keyof typeof OPTIONS;

/** The table as node:util parseArgs takes it. */
const PARSE_ARGS_OPTIONS = Object.fromEntries(
  Object.entries(OPTIONS).map(([name, spec]) => [
    name,
    'short' in spec ? { type: spec.type, short: spec.short } : { type: spec.type },
  ]),
) as Record<OptionName, { type: 'string' | 'boolean'; short?: string }>;

/** True when `name` is the name of a command. */
export function isCommand(name: string | undefined): name is Command {
  return (COMMANDS as readonly string[]).includes(name ?? '');
}

/** `render, preview and show`. */
function listed(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** The options `command` takes, as `--name`. */
export function optionsOf(command: Command): string[] {
  return Object.entries(OPTIONS)
    .filter(([, spec]) => (spec.commands as readonly Command[]).includes(command))
    .map(([name]) => `--${name}`);
}

/** The commands that take option `name`, in the order of COMMANDS. */
function takersOf(name: OptionName): Command[] {
  const spec: OptionSpec = OPTIONS[name];
  return COMMANDS.filter((c) => spec.commands.includes(c));
}

/** `unknown command "sumarize"; did you mean summarize?` */
export function unknownCommand(command: string): UsageError {
  // doctor parses its own options (cli/doctor.ts), so it is a command but not in the table.
  const all = [...COMMANDS, 'doctor'];
  const nearest = nearestKey(command, all);
  const shown = printable(command);
  return new UsageError(
    nearest !== undefined
      ? `unknown command "${shown}"; did you mean ${nearest}? (commands: ${all.join(', ')})`
      : `unknown command "${shown}" (commands: ${all.join(', ')})`,
  );
}

/** A value that reads as a number (`-1`, `-0.5`): a value of its option, never an option of its own. */
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The options given to `command`, by name, checked against the table: every argument an option
 * of this command, every string option with a value. `--help` anywhere asks for help.
 */
function readArgs(command: Command, args: string[]): Partial<Record<OptionName, string | boolean>> {
  const { tokens } = parseArgs({
    args,
    options: PARSE_ARGS_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) throw new HelpRequested();
  const values: Partial<Record<OptionName, string | boolean>> = {};
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      throw new UsageError(
        `unexpected argument "${printable(token.value)}": ${command} takes options only (${optionsOf(command).join(' ')})`,
      );
    }
    const given = printable(token.rawName);
    const spec = (OPTIONS as Readonly<Record<string, OptionSpec>>)[token.name];
    if (spec === undefined) {
      const long = token.rawName.startsWith('--');
      const own = long
        ? nearestKey(
            token.name,
            optionsOf(command).map((o) => o.slice(2)),
          )
        : undefined;
      if (own !== undefined) throw new UsageError(`unknown option ${given}; did you mean --${own}?`);
      // Near an option of another command: say whose, so the mistake is the command, not the spelling.
      const other = long ? nearestKey(token.name, Object.keys(OPTIONS)) : undefined;
      const takers = other !== undefined ? takersOf(other as OptionName) : [];
      throw new UsageError(
        other !== undefined
          ? `unknown option ${given}; the nearest, --${other}, is an option of ${listed(takers)}`
          : `unknown option ${given} (${command} takes ${optionsOf(command).join(' ')})`,
      );
    }
    if (!spec.commands.includes(command)) {
      throw new UsageError(
        spec.instead?.[command] ??
          `${token.rawName} does not apply to ${command}; it is an option of ${listed(takersOf(token.name as OptionName))}`,
      );
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name as OptionName] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined) throw new UsageError(`${token.rawName} needs a value`);
    // As parseArgs' strict mode: `--out --format` is a forgotten value, not a directory named
    // `--format`; a negative number is a value (`--workers -1` gets the range message).
    if (!token.inlineValue && value.length > 1 && value.startsWith('-') && !NUMBER.test(value)) {
      throw new UsageError(
        `${token.rawName} needs a value, not the option ${printable(value)} (write ${token.rawName}=${printable(value)} if that is the value)`,
      );
    }
    values[token.name as OptionName] = value;
  }
  return values;
}

export interface CommonOptions {
  readonly command: Command;
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
  /** Where the org's name came from; undefined for the placeholder default. */
  readonly orgFrom?: '--org' | 'ORG_NAME';
  /** `--team HANDLE`: a report of that Datadog team's people (resolved through the Teams API). */
  readonly team?: string;
  readonly out?: string;
  readonly channel: string;
  /** Where `channel` came from; undefined for the placeholder default. */
  readonly channelFrom?: '--channel' | 'SLACK_CHANNEL';
  readonly settings: ReportSettings;
  /** `verify --key`: the archive's KMS HMAC key (ARN, id or alias); else ARCHIVE_MAC_KEY. */
  readonly key?: string;
}

function parseTimeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new UsageError(`--${name} must be an ISO date or time such as 2026-11-16T09:00:00Z (got "${value}")`);
  return ms;
}

/** A variable of the environment; one set to nothing is not set (`ORG_NAME= report …`), as ARCHIVE_BUCKET. */
function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The options of `command`, read from `args` and checked. */
export function parseOptions(command: Command, args: string[]): CommonOptions {
  const raw = readArgs(command, args);
  const v = raw as Partial<Record<Exclude<OptionName, 'help'>, string>>;
  // Options that a combination leaves without effect are refused as well, rather than ignored.
  if (v.baseline !== undefined && v.input === undefined) {
    throw new UsageError(
      '--baseline reads the weeks before --input from a file; without --input the baseline comes from Datadog (--baseline-days N)',
    );
  }
  if (v['baseline-days'] !== undefined && v.input !== undefined) {
    throw new UsageError(
      '--baseline-days sets the baseline of a live read; with --input, give the weeks before it as a file (--baseline FILE)',
    );
  }
  if (command === 'show' && v.format !== undefined && v.out !== undefined) {
    throw new UsageError('show --format chooses what it prints; with --out it writes the archived files instead');
  }
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json (got "${format}")`);
  const timezone = canonicalTimeZone(v.timezone ?? 'UTC');
  if (timezone === undefined)
    throw new UsageError(`--timezone must be an IANA time zone such as Europe/Berlin (got "${v.timezone}")`);
  const site = v.site ?? fromEnv('DD_SITE') ?? 'datadoghq.com';
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
  if (v.user !== undefined && v.user.trim() === '')
    throw new UsageError('--user needs a Datadog user id, e-mail or name');
  const archive = archiveLocation(v.archive);
  const org = v.org ?? fromEnv('ORG_NAME');
  const key = v.key?.trim() || fromEnv('ARCHIVE_MAC_KEY')?.trim();
  return {
    command,
    baselineDays,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    workers,
    ...(archive !== undefined ? { archive } : {}),
    weeks,
    ...(v.week !== undefined ? { week: v.week } : {}),
    ...(v.report !== undefined ? { report: v.report } : {}),
    ...(v.team !== undefined ? { team: v.team.trim() } : {}),
    ...(v.org !== undefined
      ? { orgFrom: '--org' as const }
      : org !== undefined
        ? { orgFrom: 'ORG_NAME' as const }
        : {}),
    out: v.out,
    channel: v.channel ?? fromEnv('SLACK_CHANNEL') ?? 'C0123456789',
    channelFrom:
      v.channel !== undefined ? '--channel' : fromEnv('SLACK_CHANNEL') !== undefined ? 'SLACK_CHANNEL' : undefined,
    input: v.input,
    baseline: v.baseline,
    from,
    to,
    format,
    ...(v.user !== undefined ? { user: v.user.trim() } : {}),
    settings: reportSettings({ org: org ?? 'Datadog org', timezone, site }),
    ...(key ? { key } : {}),
  };
}
