/**
 * Syntax check of EventBridge Scheduler expressions (`cron(...)`, `rate(...)`, `at(...)`), so a
 * typo fails `cdk synth` with a precise message instead of a CloudFormation rollback minutes later.
 * Rules: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 * It is part of the reports parser (parse-reports.ts), which the function runs too: the function
 * never reads the schedule, but it refuses a reports document the stack would have refused.
 */
import { REPORT_DEFAULTS } from './report-definitions';

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Upper-case names accepted in place of numbers; index 0 maps to `min`. */
  readonly names?: readonly string[];
  /** `?` allowed (day-of-month, day-of-week). */
  readonly question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, question: true },
  { name: 'year', min: 1970, max: 2199 },
];
const DAY_OF_MONTH = 2;
const DAY_OF_WEEK = 4;

/** The example in messages: the default schedule. */
const SCHEDULE_EXAMPLE = REPORT_DEFAULTS.schedule;

/**
 * Returns the problems of a schedule expression (empty when EventBridge Scheduler accepts it).
 * Each problem is a sentence that says what is wrong and how to write it instead.
 */
export function validateScheduleExpression(expression: string): string[] {
  const text = expression.trim();
  const match = /^(cron|rate|at)\((.*)\)$/s.exec(text);
  if (!match) {
    return [
      `must be cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss), e.g. ${SCHEDULE_EXAMPLE}`,
    ];
  }
  const [, kind, body = ''] = match;
  if (kind === 'rate') return validateRate(body);
  if (kind === 'at') return validateAt(body);
  return validateCron(body);
}

function validateRate(body: string): string[] {
  const m = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  if (!m)
    return [
      'rate(...) must be rate(value unit) with a positive integer and minute(s), hour(s) or day(s), e.g. rate(7 days)',
    ];
  const value = Number(m[1]);
  const unit = m[2] ?? '';
  const problems: string[] = [];
  if (!Number.isSafeInteger(value) || value < 1) problems.push('rate(...) value must be a positive integer');
  const singular = ['minute', 'hour', 'day'];
  const plural = singular.map((u) => `${u}s`);
  if (![...singular, ...plural].includes(unit)) {
    problems.push(`rate(...) unit must be minute(s), hour(s) or day(s) (got "${unit}")`);
  } else if (value === 1 && plural.includes(unit)) {
    problems.push(`rate(...) takes a singular unit when the value is 1: rate(1 ${unit.slice(0, -1)})`);
  } else if (value > 1 && singular.includes(unit)) {
    problems.push(`rate(...) takes a plural unit when the value is not 1: rate(${value} ${unit}s)`);
  }
  return problems;
}

function validateAt(body: string): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!m) return ['at(...) must be at(yyyy-mm-ddThh:mm:ss) without a zone (the timezone key gives it)'];
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const valid =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    h < 24 &&
    mi < 60 &&
    s < 60;
  return valid ? [] : [`at(...) is not a real date and time: ${body.trim()}`];
}

function validateCron(body: string): string[] {
  const parts = body.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== FIELDS.length) {
    return [
      `cron(...) needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}; e.g. ${SCHEDULE_EXAMPLE}`,
    ];
  }
  const problems: string[] = [];
  parts.forEach((part, i) => {
    const field = FIELDS[i] as CronField;
    problems.push(...validateCronField(part, field, i).map((p) => `cron(...) ${field.name} field "${part}": ${p}`));
  });
  const dom = parts[DAY_OF_MONTH];
  const dow = parts[DAY_OF_WEEK];
  if (dom === '?' && dow === '?') {
    problems.push(
      'cron(...) day-of-month and day-of-week cannot both be "?"; set one of them, e.g. cron(0 9 ? * MON *)',
    );
  } else if (dom !== '?' && dow !== '?') {
    problems.push(
      'cron(...) day-of-month and day-of-week cannot both be set; put "?" in one of them, e.g. cron(0 9 ? * MON *) or cron(0 9 1 * ? *)',
    );
  }
  return problems;
}

function validateCronField(part: string, field: CronField, index: number): string[] {
  if (part === '?') return field.question ? [] : ['"?" is only allowed in day-of-month and day-of-week'];
  const upper = part.toUpperCase();
  const items = upper.split(',');
  if (items.some((item) => item === '')) return ['has an empty list item'];
  const special = items.filter((item) => hasSpecial(item, field));
  if (special.length > 0) {
    if (items.length > 1) return ['L, W and # cannot be combined with other values in a list'];
    return validateSpecial(upper, field, index);
  }
  return items.flatMap((item) => validateItem(item, field));
}

/** True when the item uses L, W or # outside a month or day name (JUL and WED contain those letters). */
function hasSpecial(item: string, field: CronField): boolean {
  const withoutNames = (field.names ?? []).reduce((rest, name) => rest.replaceAll(name, ''), item);
  return /[LW#]/.test(withoutNames);
}

/** `L`, `LW`, `nW` (day-of-month); `L`, `nL`, `n#k` (day-of-week). */
function validateSpecial(item: string, field: CronField, index: number): string[] {
  if (index === DAY_OF_MONTH) {
    if (item === 'L' || item === 'LW') return [];
    const w = /^(\d+)W$/.exec(item);
    if (w) return inRange(Number(w[1]), field) ? [] : [`day ${w[1]} is outside 1-31`];
    return ['day-of-month accepts L (last day), LW (last weekday) or nW (weekday nearest day n), e.g. 15W'];
  }
  if (index === DAY_OF_WEEK) {
    if (item === 'L') return [];
    const last = /^([A-Z]{3}|\d+)L$/.exec(item);
    if (last) return toValue(last[1] ?? '', field) === undefined ? [`unknown day "${last[1]}" (1-7 or SUN-SAT)`] : [];
    const nth = /^([A-Z]{3}|\d+)#(\d+)$/.exec(item);
    if (nth) {
      const problems: string[] = [];
      if (toValue(nth[1] ?? '', field) === undefined) problems.push(`unknown day "${nth[1]}" (1-7 or SUN-SAT)`);
      const k = Number(nth[2]);
      if (k < 1 || k > 5) problems.push(`#${nth[2]} must be #1 to #5 (the nth weekday of the month)`);
      return problems;
    }
    return ['day-of-week accepts L, nL (last weekday n of the month, e.g. 6L) or n#k (kth weekday n, e.g. MON#1)'];
  }
  return ['L, W and # are only allowed in day-of-month and day-of-week'];
}

/** `*`, `v`, `a-b`, each optionally followed by `/step`. */
function validateItem(item: string, field: CronField): string[] {
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length > 0) return ['has more than one "/"'];
  const problems: string[] = [];
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > field.max) {
      problems.push(`step "/${step}" must be an integer from 1 to ${field.max}`);
    }
  }
  if (range === '*') return problems;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((b) => b === ''))
    return [...problems, `"${range}" is not a value or a range a-b`];
  const values = bounds.map((b) => toValue(b, field));
  values.forEach((v, i) => {
    if (v === undefined) problems.push(`"${bounds[i]}" is not ${describeAllowed(field)}`);
  });
  const [lo, hi] = values;
  if (lo !== undefined && hi !== undefined && lo > hi) {
    problems.push(`range "${range}" runs backwards; write it from low to high`);
  }
  return problems;
}

function toValue(token: string, field: CronField): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return inRange(n, field) ? n : undefined;
  }
  const index = field.names?.indexOf(token) ?? -1;
  return index >= 0 ? field.min + index : undefined;
}

function inRange(n: number, field: CronField): boolean {
  return Number.isInteger(n) && n >= field.min && n <= field.max;
}

function describeAllowed(field: CronField): string {
  const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
  return `${field.min}-${field.max}${names}`;
}
