/**
 * How long the Teams sender waits after a 429 (adapters/teams-webhook.ts `retryAfterSeconds`):
 * Retry-After in seconds or as an HTTP date, and nothing usable from anything else (the sender then
 * waits its default).
 */
import { retryAfterSeconds } from '../../../functions/weekly-report/adapters/teams-webhook';

describe('Retry-After of a Teams 429', () => {
  const now = Date.parse('2026-11-23T09:00:00Z');

  it('reads seconds and HTTP dates, a past date as no wait', () => {
    // Act
    const seconds = retryAfterSeconds(' 7 ', now);
    const date = retryAfterSeconds('Mon, 23 Nov 2026 09:00:12 GMT', now);
    const past = retryAfterSeconds('Mon, 23 Nov 2026 08:59:00 GMT', now);

    // Assess
    expect(seconds).toBe(7);
    expect(date).toBe(12);
    expect(past).toBe(0);
  });

  it('gives nothing for an absent or unreadable header', () => {
    // Act
    const values = [null, '', 'soon', '-3', '1.5'].map((h) => retryAfterSeconds(h, now));

    // Assess
    expect(values).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
