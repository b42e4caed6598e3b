/**
 * The limiter every request of a source shares: at most `limit` at once, and a slice's next page
 * (an urgent request) before the first pages still waiting, in arrival order within each kind.
 */
import { Limiter } from '../../../functions/weekly-report/adapters/datadog-retry';

describe('Limiter', () => {
  it('serves urgent waiters first, each kind in arrival order, never more than its limit at once', async () => {
    // Prepare: one slot, held.
    const limiter = new Limiter(1, 1);
    await limiter.acquire();
    const order: string[] = [];
    const wait = (name: string, urgent: boolean) =>
      limiter.acquire(urgent).then(() => {
        order.push(name);
      });
    const all = [wait('first-a', false), wait('first-b', false), wait('next-a', true), wait('next-b', true)];

    // Act: free the slot four times, once per waiter served.
    for (let i = 0; i < 4; i++) {
      limiter.release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toHaveLength(i + 1);
    }
    await Promise.all(all);

    // Assess
    expect(order).toEqual(['next-a', 'next-b', 'first-a', 'first-b']);
  });
});
