/**
 * The limiter every request of a source shares: at most `limit` at once, the lowest priority
 * first (the audit source's: the pages a slice has read; a range's probe before all), in arrival
 * order among equals.
 */
import { Limiter } from '../../../functions/weekly-report/adapters/datadog-retry';

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
