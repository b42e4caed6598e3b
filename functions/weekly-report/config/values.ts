/**
 * Validation of single configuration values, used by the one reports parser (parse-reports.ts,
 * at synth and at cold start) and by the stack's deployment-wide keys, so every path accepts and
 * refuses the same things.
 * Every function returns problems instead of throwing, so callers can list them all at once.
 */
import {
  ANOMALY_KINDS,
  type AnomalyKind,
  DEFAULT_THRESHOLDS,
  type ExceptionRule,
  type Severity,
  type SuppressRule,
  type Thresholds,
} from '../core/types';

/**
 * The Datadog sites the report reads (the API is `api.<site>`). Each is a value of the `site`
 * server variable of @datadog/datadog-api-client 1.64.0, which serves the Audit and Metrics APIs
 * alike; `uk1.datadoghq.com` (UK1, London) joined that list in 2026. The client also knows
 * `us2.ddog-gov.com`, left out here until someone checks Audit Trail there.
 */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
] as const;
export type DatadogSite = (typeof DATADOG_SITES)[number];

export function isDatadogSite(value: unknown): value is DatadogSite {
  return typeof value === 'string' && (DATADOG_SITES as readonly string[]).includes(value);
}

/**
 * The spelling of an IANA time zone to keep, or undefined when it is none. A zone is kept as the
 * user wrote it (`Asia/Kolkata` stays `Asia/Kolkata`, although Intl calls it `Asia/Calcutta`):
 * only its case is corrected (`europe/berlin` → `Europe/Berlin`, `utc` → `UTC`), because Intl
 * matches zone names without regard to case while EventBridge Scheduler takes them as written.
 * The right case is known for the zones Intl lists and for the name Intl resolves a zone to; an
 * alias Intl does not list (`Asia/Kolkata`, `US/Pacific`) is kept as given when each of its parts
 * starts as IANA names do (not with a lower-case letter), else it can only be spelled as the zone
 * Intl resolves it to. Idempotent. UTC offsets such as `+01:00` (accepted by newer Intl versions)
 * are not IANA zones and are refused, since the schedule takes IANA names only.
 */
export function canonicalTimeZone(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '' || /^[+-]/.test(value)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  if (/^[+-]/.test(resolved)) return undefined;
  const lower = value.toLowerCase();
  if (resolved.toLowerCase() === lower) return resolved;
  const listed = knownZones().get(lower);
  if (listed !== undefined) return listed;
  return value.split('/').every((part) => !/^[a-z]/.test(part)) ? value : resolved;
}

let zonesByLowerCase: Map<string, string> | undefined;
/** The zones Intl lists, by their lower-case spelling (built once, on first use). */
function knownZones(): Map<string, string> {
  zonesByLowerCase ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return zonesByLowerCase;
}

export function isValidTimeZone(value: unknown): value is string {
  return canonicalTimeZone(value) !== undefined;
}

/** A pragmatic address check: one `@`, no spaces or angle brackets, a dotted domain. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/.test(value);
}

/** Slack conversation IDs: C (public), G (private/group), D (direct message), then 8+ upper-case alphanumerics. */
export function isSlackChannelId(value: unknown): value is string {
  return typeof value === 'string' && /^[CGD][A-Z0-9]{8,}$/.test(value);
}

/**
 * A value as a problem shows it: its JSON, shortened so that a long value pasted by mistake is
 * not echoed whole.
 */
export function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 56)}…${text.slice(-1)}` : text;
}

/**
 * A trimmed non-empty text, or undefined for absent/empty (so `-c slackChannel=` turns Slack off).
 * Values arrive typed (cdk.json, a reports document) or as strings (`-c key=value`, environment
 * variables); a number is taken as its text.
 */
export function readString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** An array (cdk.json) or a comma-separated string (`-c`, EMAIL_TO); undefined when it is neither. */
export function readList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // `-c emailTo='["a@x.com"]'` arrives as JSON text; accept it like the array form.
    if (trimmed.startsWith('[')) {
      try {
        return readList(JSON.parse(trimmed));
      } catch {
        return undefined;
      }
    }
    return trimmed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  return undefined;
}

export interface Parsed<T> {
  readonly value: T;
  /** Each problem names the offending field inside the value; empty when the value is fine. */
  readonly problems: readonly string[];
}

const THRESHOLD_INTEGER_KEYS = ['burstCalls', 'burstMinutes', 'scopeMinBaselineCalls'] as const;
const SEVERITY_NAMES: readonly Severity[] = ['high', 'medium', 'low'];

/** Parses `thresholds` (an object or its JSON text); unknown keys and non-positive integers are problems. */
export function parseThresholds(raw: unknown): Parsed<Thresholds> {
  const problems: string[] = [];
  if (raw === undefined || raw === null || raw === '') return { value: DEFAULT_THRESHOLDS, problems };
  const input = typeof raw === 'string' ? tryParseJson(raw, problems) : raw;
  if (input === undefined) return { value: DEFAULT_THRESHOLDS, problems };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { value: DEFAULT_THRESHOLDS, problems: ['must be a JSON object such as {"burstCalls":100}'] };
  }
  const result: { -readonly [K in keyof Thresholds]: Thresholds[K] } = { ...DEFAULT_THRESHOLDS };
  for (const [key, v] of Object.entries(input)) {
    if ((THRESHOLD_INTEGER_KEYS as readonly string[]).includes(key)) {
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) {
        result[key as (typeof THRESHOLD_INTEGER_KEYS)[number]] = v;
      } else {
        problems.push(`${key} must be a positive integer (got ${JSON.stringify(v)})`);
      }
    } else if (key === 'highSeverityResourceTypes') {
      if (Array.isArray(v) && v.every((t) => typeof t === 'string' && t !== '')) {
        result.highSeverityResourceTypes = v as string[];
      } else {
        problems.push('highSeverityResourceTypes must be an array of resource type names');
      }
    } else if (key === 'newClientSeverity') {
      if (SEVERITY_NAMES.includes(v as Severity)) result.newClientSeverity = v as Severity;
      else problems.push(`newClientSeverity must be ${SEVERITY_NAMES.join(', ')} (got ${JSON.stringify(v)})`);
    } else {
      problems.push(
        `unknown key ${JSON.stringify(key)} (known: ${[...THRESHOLD_INTEGER_KEYS, 'highSeverityResourceTypes', 'newClientSeverity'].join(', ')})`,
      );
    }
  }
  return { value: result, problems };
}

/** Parses `suppress` (an array or its JSON text) of `{kind, user?, resource_type?, action?, client?, agent?}`. */
export function parseSuppress(raw: unknown): Parsed<SuppressRule[]> {
  const problems: string[] = [];
  if (raw === undefined || raw === null || raw === '') return { value: [], problems };
  const input = typeof raw === 'string' ? tryParseJson(raw, problems) : raw;
  if (input === undefined) return { value: [], problems };
  if (!Array.isArray(input))
    return { value: [], problems: ['must be a JSON array of {kind, user?, resource_type?, action?, client?, agent?}'] };
  const rules: SuppressRule[] = [];
  input.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`[${i}] must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    if (!ANOMALY_KINDS.includes(e.kind as AnomalyKind)) {
      problems.push(`[${i}].kind must be one of ${ANOMALY_KINDS.join(', ')} (got ${JSON.stringify(e.kind)})`);
      return;
    }
    for (const key of Object.keys(e)) {
      if (!['kind', 'user', 'resource_type', 'action', 'client', 'agent'].includes(key)) {
        problems.push(`[${i}] has unknown key ${key}`);
      } else if (typeof e[key] !== 'string') problems.push(`[${i}].${key} must be a string`);
    }
    rules.push({
      kind: e.kind as AnomalyKind,
      ...(typeof e.user === 'string' ? { user: e.user } : {}),
      ...(typeof e.resource_type === 'string' ? { resource_type: e.resource_type } : {}),
      ...(typeof e.action === 'string' ? { action: e.action } : {}),
      ...(typeof e.client === 'string' ? { client: e.client } : {}),
      ...(typeof e.agent === 'string' ? { agent: e.agent } : {}),
    });
  });
  return { value: rules, problems };
}

const RULE_KEYS = ['kind', 'user', 'resource_type', 'action', 'client', 'agent'] as const;
const EXCEPTION_KEYS = [...RULE_KEYS, 'owner', 'reason', 'expires'] as const;
/** An exception's `owner` and `reason` are shown with the group: one line each, of a readable length. */
const OWNER_MAX = 200;
const REASON_MAX = 500;

/** `YYYY-MM-DD` of the same day one year after the UTC day of `now` (29 Feb → 1 Mar). */
export function oneYearAfter(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), d.getUTCDate())).toISOString().slice(0, 10);
}

/** A real calendar day written `YYYY-MM-DD`. */
export function isCalendarDay(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === value;
}

/**
 * Parses `exceptions` (an array or its JSON text) of `{kind, user?, resource_type?, action?,
 * client?, agent?, owner, reason, expires}`: each matches flags as a suppress rule does and must
 * say who accepted them (`owner`), why (`reason`) and until which day (`expires`, `YYYY-MM-DD`, at
 * most a year after `now`, so no exception is forever). A day already past is taken: the groups
 * it matched then say the exception expired.
 */
export function parseExceptions(raw: unknown, now: number): Parsed<ExceptionRule[]> {
  const problems: string[] = [];
  if (raw === undefined || raw === null || raw === '') return { value: [], problems };
  const input = typeof raw === 'string' ? tryParseJson(raw, problems) : raw;
  if (input === undefined) return { value: [], problems };
  if (!Array.isArray(input))
    return {
      value: [],
      problems: [
        'must be a JSON array of {kind, user?, resource_type?, action?, client?, agent?, owner, reason, expires}',
      ],
    };
  const latest = oneYearAfter(now);
  const rules: ExceptionRule[] = [];
  input.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`[${i}] must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    if (!ANOMALY_KINDS.includes(e.kind as AnomalyKind)) {
      problems.push(`[${i}].kind must be one of ${ANOMALY_KINDS.join(', ')} (got ${JSON.stringify(e.kind)})`);
    }
    for (const key of Object.keys(e)) {
      if (!(EXCEPTION_KEYS as readonly string[]).includes(key)) problems.push(`[${i}] has unknown key ${key}`);
      else if (typeof e[key] !== 'string') problems.push(`[${i}].${key} must be a string`);
    }
    const text = (key: 'owner' | 'reason', max: number, what: string): void => {
      const v = e[key];
      if (v === undefined || (typeof v === 'string' && v.trim() === '')) {
        problems.push(`[${i}].${key} is required: ${what}`);
      } else if (typeof v === 'string' && (/[\r\n]/.test(v) || v.length > max)) {
        problems.push(`[${i}].${key} must be one line of at most ${max} characters`);
      }
    };
    text('owner', OWNER_MAX, 'who accepted these flags, e.g. "secops@example.com"');
    text('reason', REASON_MAX, 'why they are accepted, e.g. "migration of the monitors to Terraform"');
    if (e.expires === undefined) {
      problems.push(`[${i}].expires is required: the last day it holds, YYYY-MM-DD, at most a year ahead (${latest})`);
    } else if (typeof e.expires === 'string' && !isCalendarDay(e.expires)) {
      problems.push(`[${i}].expires must be a day written YYYY-MM-DD (got ${quote(e.expires)})`);
    } else if (typeof e.expires === 'string' && e.expires > latest) {
      problems.push(
        `[${i}].expires is ${e.expires}, more than a year ahead: an exception holds at most a year (until ${latest}); renew it when it expires`,
      );
    }
    if (problems.length > before) return;
    const str = (key: string): string => (e[key] as string).trim();
    rules.push({
      kind: e.kind as AnomalyKind,
      ...Object.fromEntries(RULE_KEYS.slice(1).flatMap((key) => (typeof e[key] === 'string' ? [[key, e[key]]] : []))),
      owner: str('owner'),
      reason: str('reason'),
      expires: e.expires as string,
    });
  });
  return { value: rules, problems };
}

/** Parses a positive integer given as a number or a decimal string. */
export function parsePositiveInteger(raw: unknown, fallback: number): Parsed<number> {
  if (raw === undefined || raw === null || raw === '') return { value: fallback, problems: [] };
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (Number.isInteger(n) && n > 0) return { value: n, problems: [] };
  return { value: fallback, problems: [`must be a positive integer (got ${JSON.stringify(raw)})`] };
}

function tryParseJson(text: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch {
    problems.push('is not valid JSON');
    return undefined;
  }
}
