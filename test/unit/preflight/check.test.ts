/**
 * The preflight's runner and its lines (functions/weekly-report/preflight/check.ts), with checks
 * made here: results come back in the order planned whatever order they finish in; a check that
 * throws or outlives the deadline fails, named, without stopping the others; every line is one line.
 */
import {
  type Check,
  fail,
  formatResult,
  formatTally,
  ok,
  runChecks,
  skip,
  type Verdict,
} from '../../../functions/weekly-report/preflight/check';

const settlesAfter = (ms: number, verdict: Verdict) => () =>
  new Promise<Verdict>((resolve) => setTimeout(() => resolve(verdict), ms));

function check(name: string, run: (deadline: number) => Promise<Verdict>): Check {
  return { name, target: `target of ${name}`, run };
}

describe('runChecks', () => {
  it('keeps the planned order, whichever check finishes first', async () => {
    // Prepare
    const checks = [
      check('slow', settlesAfter(30, ok('done late'))),
      check('fast', settlesAfter(0, skip('nothing to do'))),
    ];

    // Act
    const results = await runChecks(checks, Date.now() + 5_000);

    // Assess
    expect(results.map((r) => [r.name, r.status, r.detail])).toEqual([
      ['slow', 'ok', 'done late'],
      ['fast', 'skip', 'nothing to do'],
    ]);
    expect(results[0]?.ms).toBeGreaterThanOrEqual(25);
  });

  it('fails a check that throws, naming the error, and still runs the others', async () => {
    // Prepare
    const checks = [
      check('broken', () => Promise.reject(new TypeError('x is undefined'))),
      check('fine', settlesAfter(0, ok('fine'))),
    ];

    // Act
    const [broken, fine] = await runChecks(checks, Date.now() + 5_000);

    // Assess
    expect(broken).toMatchObject({ status: 'fail', detail: 'the check itself failed (TypeError: x is undefined)' });
    expect(broken?.fix).toContain('bug');
    expect(fine?.status).toBe('ok');
  });

  it('fails a check still running at the deadline, and returns by then', async () => {
    // Prepare
    const started = Date.now();
    const checks = [
      check('hangs', () => new Promise<Verdict>(() => undefined)),
      check('quick', settlesAfter(0, ok('quick'))),
    ];

    // Act
    const [hangs, quick] = await runChecks(checks, started + 50);

    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(hangs).toMatchObject({
      status: 'fail',
      detail: 'did not finish before the time given to the checks ran out',
    });
    expect(hangs?.fix).toContain('network');
    expect(quick?.status).toBe('ok');
  });

  it('gives each check the deadline', async () => {
    // Prepare
    const deadline = Date.now() + 4_321;
    let seen = 0;

    // Act
    await runChecks(
      [
        check('sees', async (d) => {
          seen = d;
          return ok('seen');
        }),
      ],
      deadline,
    );

    // Assess
    expect(seen).toBe(deadline);
  });
});

describe('formatResult', () => {
  it('writes one line per check, a failure with its fix, whatever newlines its text held', async () => {
    // Prepare
    const [result] = await runChecks(
      [check('datadog api key', async () => fail('refused\n(HTTP 403)', 'check\nddApiKey'))],
      Date.now() + 1_000,
    );

    // Act
    const line = formatResult(result as NonNullable<typeof result>);

    // Assess
    expect(line).toBe('FAIL  datadog api key  target of datadog api key: refused (HTTP 403) → fix: check ddApiKey');
  });

  it('counts the statuses in the closing line', async () => {
    // Prepare
    const results = await runChecks(
      [check('a', async () => ok('a')), check('b', async () => skip('b')), check('c', async () => fail('c', 'fix c'))],
      Date.now() + 1_000,
    );

    // Act + Assess
    expect(formatTally(results)).toBe('3 checks: 1 ok, 1 skipped, 1 failed');
    expect(results.map(formatResult).map((l) => l.slice(0, 6))).toEqual(['ok    ', 'skip  ', 'FAIL  ']);
  });
});
