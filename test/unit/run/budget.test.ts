/** The invocation's time budget (run/budget.ts): which instant each dependency and the delivery end by. */
import { budgetUntil, invocationBudget } from '../../../functions/weekly-report/run/budget';

describe('invocationBudget', () => {
  it('gives a 5-minute invocation reads until 45 s before the delivery deadline, and each dependency its share', () => {
    // Act
    const budget = invocationBudget(1_000_000, 300_000);

    // Assess: 10 s kept before the timeout, 45 s of delivery reserve, the rest to read.
    expect(budget).toEqual({
      started: 1_000_000,
      readDeadline: 1_000_000 + 245_000,
      teamsDeadline: 1_000_000 + 98_000,
      usageDeadline: 1_000_000 + 122_500,
      deliveryDeadline: 1_000_000 + 290_000,
      hardDeadline: 1_000_000 + 299_000,
    });
  });

  it('keeps at most 40 % for delivery when the run is short, and whole milliseconds throughout', () => {
    // Act
    const budget = invocationBudget(0, 20_000.7);

    // Assess: 20 s - 10 s margin = 10 s usable (but never less than half), 4 s of it for delivery.
    expect(budget.deliveryDeadline).toBe(10_000);
    expect(budget.readDeadline).toBe(6_000);
    for (const value of Object.values(budget)) expect(Number.isInteger(value)).toBe(true);
  });
});

describe('budgetUntil', () => {
  it('orders the instants: teams ≤ usage ≤ reads < delivery ≤ hard', () => {
    // Act
    const budget = budgetUntil(0, 600_000, 610_000);

    // Assess
    expect(budget.teamsDeadline).toBeLessThanOrEqual(budget.usageDeadline);
    expect(budget.usageDeadline).toBeLessThanOrEqual(budget.readDeadline);
    expect(budget.readDeadline).toBe(600_000 - 45_000);
    expect(budget.deliveryDeadline).toBe(600_000);
    expect(budget.hardDeadline).toBe(610_000);
  });
});
