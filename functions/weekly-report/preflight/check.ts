/**
 * The preflight's vocabulary and its runner. A check is a name, what it looks at (`target`), and
 * a run that ends in a Verdict: ok, fail (always with a one-line fix) or skip (why, and a fix when
 * there is something to do). The checks of one run go at once, each bounded by the run's deadline;
 * a check that throws or outlives the deadline fails, named, and never stops the others. Nothing
 * here sends a report: every check reads, or writes one clearly named probe it removes (archive.ts).
 */

export type CheckStatus = 'ok' | 'fail' | 'skip';

/** How one check ended. `detail` and `fix` are one line each and never hold a secret value. */
export interface Verdict {
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do; every failure has one. */
  readonly fix?: string;
}

/** One check: what it is, what it looks at, and how it runs (each outgoing call ends by `deadline`, epoch ms). */
export interface Check {
  /** What is checked, the same for every target: `datadog scope audit_logs_read`. */
  readonly name: string;
  /** What it looked at: `site datadoghq.com`, a channel ID, a sender address. */
  readonly target: string;
  run(deadline: number): Promise<Verdict>;
}

/** A check's result, as the command line prints it and the function returns it. */
export interface CheckResult extends Verdict {
  readonly name: string;
  readonly target: string;
  /** How long it took, ms. */
  readonly ms: number;
}

export const ok = (detail: string): Verdict => ({ status: 'ok', detail });
export const fail = (detail: string, fix: string): Verdict => ({ status: 'fail', detail, fix });
export const skip = (detail: string, fix?: string): Verdict => ({
  status: 'skip',
  detail,
  ...(fix !== undefined ? { fix } : {}),
});

/** True for a Verdict (what a shared look-up returns instead of its facts when it could not get them). */
export function isVerdict(value: unknown): value is Verdict {
  return typeof value === 'object' && value !== null && 'status' in value && 'detail' in value;
}

/** A check's text on one line: newlines and runs of blanks become one space, and it is cut at `max` characters. */
export function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Runs every check at once and returns their results in the order given. A check still running
 * at `deadline` fails with that said (its calls are bounded by the same deadline, so it ends soon
 * after); one that throws fails with the error's name and message.
 */
export async function runChecks(
  checks: readonly Check[],
  deadline: number,
  now: () => number = Date.now,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      const started = now();
      const verdict = await withinDeadline(check, deadline, now);
      return {
        name: check.name,
        target: oneLine(check.target, 200),
        status: verdict.status,
        detail: oneLine(verdict.detail),
        ...(verdict.fix !== undefined ? { fix: oneLine(verdict.fix) } : {}),
        ms: now() - started,
      };
    }),
  );
}

async function withinDeadline(check: Check, deadline: number, now: () => number): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Verdict>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          fail(
            'did not finish before the time given to the checks ran out',
            'run it again; if it keeps timing out, the service it calls does not answer from here (network, proxy, VPC without a NAT gateway)',
          ),
        ),
      Math.max(0, deadline - now()),
    );
  });
  try {
    return await Promise.race([check.run(deadline).catch(unexpected), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A check that threw instead of returning a verdict: a fault of ours, failed visibly. */
function unexpected(error: unknown): Verdict {
  const e = error instanceof Error ? error : new Error(String(error));
  return fail(
    `the check itself failed (${e.name}: ${e.message.slice(0, 200)})`,
    'report this as a bug of the preflight',
  );
}

/** Counts by status, for the closing line. */
export function tally(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** One line per check: `ok    datadog api key  site datadoghq.com: valid`, a failure with `→ fix: …`. */
export function formatResult(result: CheckResult): string {
  const status = result.status === 'fail' ? 'FAIL' : result.status;
  const fix = result.fix !== undefined ? ` → fix: ${result.fix}` : '';
  return `${status.padEnd(4)}  ${result.name}  ${result.target}: ${result.detail}${fix}`;
}

/** The closing line: `12 checks: 10 ok, 1 skipped, 1 failed`. */
export function formatTally(results: readonly CheckResult[]): string {
  const t = tally(results);
  return `${results.length} checks: ${t.ok} ok, ${t.skip} skipped, ${t.fail} failed`;
}
