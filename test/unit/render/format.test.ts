/**
 * Week-over-week deltas and shares as the email, the Slack post and the text part print them:
 * one phrase per figure, and never a zero percentage for something that changed or exists.
 */

import { computeDelta } from '../../../functions/weekly-report/render/view/format';
import { formatChangePercent, formatShare } from '../../../functions/weekly-report/render/view/percent';

describe('computeDelta', () => {
  it('says the change once, with the percentage and the count', () => {
    expect(computeDelta(2000, 1600)).toMatchObject({
      direction: 'up',
      change: '▲ +25% (+400)',
      text: '▲ +25% (+400) vs previous week',
      short: '+25% vs previous week',
    });
    expect(computeDelta(48_213, 51_002).text).toBe('▼ −5% (−2,789) vs previous week');
  });

  it('says "no change" once when a figure did not change', () => {
    const delta = computeDelta(67, 67);
    expect(delta.direction).toBe('flat');
    expect(delta.text).toBe('no change vs previous week');
    expect(delta.text.match(/previous week/g)).toHaveLength(1);
  });

  it('shows a decimal or the count, never an arrow with 0%', () => {
    expect(computeDelta(1001, 1000).text).toBe('▲ +0.1% (+1) vs previous week');
    expect(computeDelta(1001, 1000).short).toBe('+0.1% vs previous week');
    expect(computeDelta(100_001, 100_000).text).toBe('▲ +1 vs previous week');
    expect(computeDelta(99_999, 100_000).short).toBe('−1 vs previous week');
  });

  it('says there was nothing to compare with when the previous week had none', () => {
    expect(computeDelta(6, 0).text).toBe('▲ +6, none the previous week');
  });
});

describe('formatShare and formatChangePercent', () => {
  it('shows a small nonzero share as <1% and an almost-whole one as >99%', () => {
    expect(formatShare(2, 48_213)).toBe('<1%');
    expect(formatShare(0, 48_213)).toBe('0%');
    expect(formatShare(48_211, 48_213)).toBe('>99%');
    expect(formatShare(5, 5)).toBe('100%');
    expect(formatShare(1, 0)).toBe('0%');
  });

  it('rounds to whole percent from 1% up, to one decimal below, and gives up under 0.05%', () => {
    expect(formatChangePercent(15, 1000)).toBe('2%');
    expect(formatChangePercent(-9, 1000)).toBe('0.9%');
    expect(formatChangePercent(1, 1000)).toBe('0.1%');
    expect(formatChangePercent(1, 10_000)).toBeUndefined();
    expect(formatChangePercent(120_000, 10, 'plain')).toBe('1200000%');
    expect(formatChangePercent(120_000, 10)).toBe('1,200,000%');
  });
});
