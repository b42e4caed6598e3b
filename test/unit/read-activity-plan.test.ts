/**
 * A read of one `activity` takes from the report archive only weeks read with that activity
 * (pipeline/read.ts `archivedWithActivity`, then history.ts `choosePlan`): a week archived before
 * every kind of AI activity was read lacks the agents' and MCP-driven actions of its people, so its
 * time is fetched instead.
 */
import type { ArchivedWeek } from '../../functions/weekly-report/core/archived-week';
import type { Activity } from '../../functions/weekly-report/core/types';
import { choosePlan } from '../../functions/weekly-report/pipeline/history';
import { archivedWithActivity } from '../../functions/weekly-report/pipeline/read';

const DAY = 86_400_000;
const END = Date.parse('2026-11-23T00:00:00Z');

function week(k: number, activity: Activity, total: number): ArchivedWeek {
  return {
    org: 'Acme',
    activity,
    window: { from: END - k * 7 * DAY, to: END - (k - 1) * 7 * DAY },
    complete: true,
    total,
    undated: 0,
    otherEvents: 0,
    minTime: END - k * 7 * DAY,
    maxTime: END - (k - 1) * 7 * DAY - 1,
    people: [],
    ...(activity === 'all' ? { ai: { total: total * 2, dated: total * 2, autonomous: 1 } } : {}),
  };
}

describe('archivedWithActivity', () => {
  const archived = {
    baseline: { from: END - 28 * DAY, to: END },
    weeks: [week(4, 'mcp', 700), week(3, 'all', 700), week(2, 'mcp', 700)],
    warnings: ['a warning'],
  };

  it('fetches the time of the weeks read with another activity, keeping the others and the warnings', () => {
    // Act
    const plan = choosePlan(archivedWithActivity(archived, 'all'), 'any');

    // Assess
    expect(plan.weeks.map((w) => w.window.from)).toEqual([END - 21 * DAY]);
    expect(plan.fetch).toEqual([
      { from: END - 28 * DAY, to: END - 21 * DAY },
      { from: END - 14 * DAY, to: END },
    ]);
    expect(plan.warnings).toEqual(['a warning']);
    // The pace of what is kept, in events of every kind.
    expect(plan.eventRate).toBeCloseTo(1400 / (7 * DAY));
  });

  it('keeps an archive whose weeks all fit as it is', () => {
    expect(archivedWithActivity(archived, 'mcp').weeks.map((w) => w.activity)).toEqual(['mcp', 'mcp']);
    const fitting = { ...archived, weeks: [week(4, 'mcp', 1)] };
    expect(archivedWithActivity(fitting, 'mcp')).toBe(fitting);
  });
});
