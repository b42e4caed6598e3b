/**
 * The shared read and a team whose members arrive while it runs (pipeline/read.ts), over a source
 * and an archive in memory (the ports, no network): the window and the org-wide report's baseline
 * are read before the team is known; the team's archived weeks of another membership are fetched
 * only once its members are, and weeks of today's membership are folded in; its baseline then
 * equals a read that fetched everything with today's members.
 */
import { createReportArchive } from '../../../functions/weekly-report/archive/report-archive';
import { type BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { archivedWeek } from '../../../functions/weekly-report/core/archived-week';
import { DeferredShare, FanOut } from '../../../functions/weekly-report/core/fan-out';
import { normalizeEvent } from '../../../functions/weekly-report/core/normalize';
import { personScope, type Share, scopeShare, WHOLE_ORG } from '../../../functions/weekly-report/core/scope';
import type { TimeRange } from '../../../functions/weekly-report/core/time';
import type { Mergeable } from '../../../functions/weekly-report/core/types';
import { readShares } from '../../../functions/weekly-report/pipeline/read';
import type { AuditEventSource, BlobStore } from '../../../functions/weekly-report/ports';
import { buildTeamsMessage } from '../../../functions/weekly-report/render/teams-card';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { generateEvents, outerTime, type RawAuditEvent } from '../../support/generator';
import { makeSummary } from '../../support/summary-fixtures';

const DAY = 86_400_000;
const END = Date.parse('2026-11-23T00:00:00Z');
const WINDOW = { from: END - 7 * DAY, to: END };
const EVENTS: readonly RawAuditEvent[] = [
  ...generateEvents({ seed: 5, from: new Date(END - 35 * DAY), to: new Date(END), count: 3000, people: 12 }),
];

/** A source over EVENTS that logs each range it is asked for, in order. */
function memorySource(log: string[]): AuditEventSource {
  return {
    async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T): Promise<T> {
      log.push(`collect ${new Date(range.from).toISOString()} ${new Date(range.to).toISOString()}`);
      await new Promise((resolve) => setImmediate(resolve));
      const part = create();
      for (const e of EVENTS) {
        const t = outerTime(e);
        if (t >= range.from && t < range.to) part.addRecord(normalizeEvent(e));
      }
      return part;
    },
  };
}

function memoryStore(): BlobStore {
  const objects = new Map<string, Uint8Array>();
  return {
    location: 'memory://',
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
    get: async (key) => objects.get(key),
    put: async (key, body) => void objects.set(key, body),
  };
}

/** People of EVENTS by user id, busiest first. */
function peopleByCalls(): string[] {
  const calls = new Map<string, number>();
  for (const e of EVENTS) {
    const key = normalizeEvent(e).personKey;
    if (key.startsWith('id:')) calls.set(key.slice(3), (calls.get(key.slice(3)) ?? 0) + 1);
  }
  return [...calls].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

/** The week ending `to`, read with `share`, as the archive keeps it. */
function weekOf(from: number, to: number, share: Share) {
  const fan = new FanOut([share], () => new WindowAggregate({ range: { from, to } }));
  for (const e of EVENTS) {
    const t = outerTime(e);
    if (t >= from && t < to) fan.add(e);
  }
  return archivedWeek('Acme', fan.aggregates[0] as WindowAggregate, { from, to }, share.fingerprint);
}

function figures(b: BaselineAggregate | undefined) {
  return {
    total: b?.total,
    previousTotal: b?.previousTotal,
    people: [...(b?.people ?? new Map())].sort(([x], [y]) => (x < y ? -1 : 1)),
  };
}

describe('a team whose members arrive during the read', () => {
  const ids = peopleByCalls();
  const members = ids.slice(0, 4).map((userId) => ({ userId }));
  const today = scopeShare(personScope('team sre', members));
  const before = scopeShare(personScope('team sre', [...members.slice(1), { userId: ids[5] as string }]));

  it('reads the window and the org-wide baseline first, then the weeks of another membership, and folds only those of today’s', async () => {
    // Prepare: weeks 1 and 2 of the baseline archived with the old membership, 3 and 4 with today's.
    const archive = createReportArchive(memoryStore(), 'sre');
    const rendered = {
      subject: '',
      html: '',
      text: '',
      slack: { post: { channel: '', text: '', blocks: [], unfurl_links: false as const }, thread: [] },
      teams: buildTeamsMessage(buildReportView(makeSummary())),
    };
    for (const [k, share] of [
      [4, before],
      [3, before],
      [2, today],
      [1, today],
    ] as const) {
      const from = WINDOW.from - k * 7 * DAY;
      const week = weekOf(from, from + 7 * DAY, share);
      const windowTo = new Date(from + 7 * DAY).toISOString();
      await archive.write(
        windowTo,
        { ...rendered, summary: makeSummary({ window: { from: new Date(from).toISOString(), to: windowTo } }) },
        week,
      );
    }
    const log: string[] = [];
    const deferred = new DeferredShare();
    let release: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => {
      release = resolve;
    }).then(() => {
      log.push('team settled');
      deferred.settle(today);
    });

    // Act: the team settles only once the read has asked for something.
    const reading = readShares(
      memorySource(log),
      { window: WINDOW, timezone: 'UTC', windowDays: 7, baselineDays: 28, sharesSettled: settled },
      [{ share: WHOLE_ORG }, { share: deferred, archive, settled }],
    );
    while (log.length < 2) await new Promise((resolve) => setImmediate(resolve));
    release();
    const [, team] = await reading;
    const [, fetched] = await readShares(
      memorySource([]),
      { window: WINDOW, timezone: 'UTC', windowDays: 7, baselineDays: 28 },
      [{ share: WHOLE_ORG }, { share: today }],
    );

    // Assess
    const at = log.indexOf('team settled');
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(log[0]).toBe(`collect ${iso(WINDOW.from)} ${iso(WINDOW.to)}`);
    // The org-wide baseline (its own weeks are not archived here) is asked for before the team is known.
    expect(log.slice(0, at)).toContain(`collect ${iso(WINDOW.from - 28 * DAY)} ${iso(WINDOW.from)}`);
    // The team's two weeks of the old membership, after.
    expect(log.slice(at + 1)).toEqual([`collect ${iso(WINDOW.from - 28 * DAY)} ${iso(WINDOW.from - 14 * DAY)}`]);
    expect(team?.baselineSources).toEqual({ archive_days: 14, fetched_days: 14 });
    expect(figures(team?.baseline)).toEqual(figures(fetched?.baseline));
    expect(team?.archiveWarnings).toHaveLength(2);
    expect(team?.membership).toEqual({ fingerprint: today.fingerprint, label: 'team sre', people: 4 });
  });
});
