/**
 * The limiter every request of a source shares: at most `limit` at once, the lowest priority
 * first (the audit source's: the pages a slice has read; a range's probe before all), in arrival
 * order among equals. And the retrying call: a malformed answer is retried, any other error of
 * decoding an answer is thrown.
 */
import { DatadogAuthError, MalformedResponseError } from '../../../functions/weekly-report/adapters/datadog/errors';
import { Breaker, createRetryingCall, Limiter } from '../../../functions/weekly-report/adapters/datadog/retry';

describe('Limiter', () => {
  it('serves the lowest priority first, equals in arrival order, never more than its limit at once', async () => {
    // Prepare: one slot, held.
    const limiter = new Limiter(1, 1);
    await limiter.acquire();
    const order: string[] = [];
    const wait = (name: string, priority: number) =>
      limiter.acquire(priority).then(() => {
        order.push(name);
      });
    const all = [
      wait('page-2-a', 2),
      wait('page-1-a', 1),
      wait('first-a', 0),
      wait('page-1-b', 1),
      wait('first-b', 0),
      wait('probe', -1),
    ];

    // Act: free the slot once per waiter, each time serving one.
    for (let i = 0; i < all.length; i++) {
      limiter.release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toHaveLength(i + 1);
    }
    await Promise.all(all);

    // Assess
    expect(order).toEqual(['probe', 'first-a', 'first-b', 'page-1-a', 'page-1-b', 'page-2-a']);
  });
});

describe('createRetryingCall', () => {
  const policy = {
    maxAttempts: 3,
    maxRateLimitWaitMs: 10,
    backoffBaseMs: 1,
    requestTimeoutMs: 1000,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    authError: (status: number) => new DatadogAuthError(status, 'refused'),
  };

  it('retries an answer refused as malformed, as a 5xx, and says why it gave up', async () => {
    // Prepare
    let calls = 0;
    const fetchOne = createRetryingCall(
      async () => {
        calls++;
        return { headers: {} };
      },
      new Limiter(1, 1),
      policy,
      async () => {
        throw new MalformedResponseError('data is null, not an array', {});
      },
    );

    // Act
    const outcome = await fetchOne('request', Number.POSITIVE_INFINITY, new Breaker(10));

    // Assess
    expect(calls).toBe(3);
    expect(outcome).toEqual({
      ok: false,
      cause: 'Datadog sent a malformed response (data is null, not an array); gave up after 3 attempts',
    });
  });

  it('lets any other error of the answer’s decoding (a bug of ours) through at once, never as an outage', async () => {
    // Prepare
    let calls = 0;
    const limiter = new Limiter(1, 1);
    const fetchOne = createRetryingCall(
      async () => {
        calls++;
        return { headers: {} };
      },
      limiter,
      policy,
      async () => {
        throw new TypeError('Cannot read properties of undefined');
      },
    );

    // Act
    const error = await fetchOne('request', Number.POSITIVE_INFINITY, new Breaker(10)).catch((e: unknown) => e);

    // Assess: thrown, tried once, and the slot given back.
    expect(error).toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
    await limiter.acquire();
  });
});
