/**
 * ArrivalOrder (adapters/datadog/audit-range.ts): what the probe's cut and a slice's "read up to
 * here" rely on, that the events came oldest first. Pure.
 */
import { ArrivalOrder } from '../../../functions/weekly-report/adapters/datadog/audit-range';

function orderOf(times: readonly number[]): boolean {
  const order = new ArrivalOrder();
  for (const time of times) order.note(time);
  return order.ascending;
}

describe('ArrivalOrder', () => {
  it('holds for times that never go back, equal ones included, and for none at all', () => {
    expect(orderOf([])).toBe(true);
    expect(orderOf([5, 5, 7, 7, 7, 9])).toBe(true);
  });

  it('lets events without a time say nothing either way', () => {
    expect(orderOf([1, Number.NaN, 2, Number.NaN, 3])).toBe(true);
    expect(orderOf([3, Number.NaN, 2])).toBe(false);
  });

  it('breaks at the first time earlier than one before it, and stays broken', () => {
    expect(orderOf([1, 2, 1])).toBe(false);
    expect(orderOf([1, 3, 2, 4, 5, 6])).toBe(false);
    expect(orderOf([9, 8, 7])).toBe(false);
  });
});
