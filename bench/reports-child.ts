/**
 * One measurement of bench/reports.ts, in its own process so its peak memory is its own: a group
 * of N team reports of one org (each scoped to 3 of the org's 40 people, teams read from a Teams
 * directory) run through the real run/report-group.ts — one shared read of a generated week and
 * its 28-day baseline, then each report analysed, rendered and delivered to in-memory senders.
 * Prints one JSON line: reports, events read, wall time, peak RSS (VmHWM).
 */
import { readFileSync } from 'node:fs';
import type { ReportDefinition } from '../functions/weekly-report/config/report-definitions';
import { EventRecord } from '../functions/weekly-report/core/normalize';
import type { TimeRange } from '../functions/weekly-report/core/time';
import type { Mergeable } from '../functions/weekly-report/core/types';
import type {
  AuditEventSource,
  ClaimResult,
  DeliveryLedger,
  FetchOptions,
  TeamDirectory,
} from '../functions/weekly-report/ports';
import { budgetUntil } from '../functions/weekly-report/run/budget';
import { type PlannedReport, runReportGroup } from '../functions/weekly-report/run/report-group';
import { generateScenario, outerTime } from '../test/support/generator';
import { testReport } from '../test/support/report-definition';

const reports = Number(process.argv[2] ?? '1');
const END = new Date('2026-11-23T00:00:00.000Z');
const scenario = generateScenario({ seed: 7, end: END, weekEvents: 20_000, people: 40 });
const events = [...scenario.baseline, ...scenario.window];

/** The audit search in memory: the range cut into 16 slices as the Datadog source does, each its own partial, merged. */
const SLICES = 16;
const source: AuditEventSource = {
  async collect<T extends Mergeable<T>>(range: TimeRange, create: () => T, _options?: FetchOptions): Promise<T> {
    const record = new EventRecord();
    const step = (range.to - range.from) / SLICES;
    const partials = Array.from({ length: SLICES }, () => create());
    for (const e of events) {
      const t = outerTime(e);
      if (t >= range.from && t < range.to)
        partials[Math.min(SLICES - 1, Math.floor((t - range.from) / step))]?.addRecord(record.read(e));
    }
    const [first, ...rest] = partials as [T, ...T[]];
    for (const p of rest) first.merge(p);
    return first;
  },
};

const people = scenario.teams.flatMap((t) => t.members);
const teams: TeamDirectory = {
  async resolve(handles) {
    return handles.map((handle) => {
      const n = Number(handle.slice(1));
      const members = [0, 1, 2].map((k) => people[(n * 3 + k) % people.length]).filter((m) => m !== undefined);
      return { handle, id: handle, name: handle, members: members.map((m) => ({ userId: m.id, email: m.email })) };
    });
  },
};

const ledger: DeliveryLedger = {
  async claim(): Promise<ClaimResult> {
    return { status: 'claimed' };
  },
  async recordDelivered() {},
  async recordUnknown() {},
  async release() {},
};
let sentBytes = 0;
const plans: PlannedReport[] = Array.from({ length: reports }, (_, i) => ({
  report: testReport({ org: 'Bench', name: `t${i}`, key: `t${i}`, scope: { teams: [`t${i}`] } }) as ReportDefinition,
  email: {
    recipients: ['security@example.com'],
    async send(message) {
      sentBytes += message.html.length;
      return { messageIds: ['m'] };
    },
  },
  slack: {
    channel: 'C0123456789',
    sender: {
      async post() {
        return { ts: '1.0' };
      },
      async find() {
        return { pages: 0, messages: 0 };
      },
      async findReply() {
        return { pages: 0, messages: 0 };
      },
    },
  },
}));

async function main(): Promise<void> {
  const quiet = { info() {}, warn() {}, error() {} };
  const started = performance.now();
  const now = Date.now();
  await runReportGroup(
    { source, teams, ledger, logger: quiet },
    plans,
    END.getTime() + 9 * 3_600_000,
    budgetUntil(now, now + 600_000),
  );
  const ms = performance.now() - started;
  const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const peakKiB = m ? Number(m[1]) : process.resourceUsage().maxRSS;
  console.log(JSON.stringify({ reports, events: events.length, ms, peakMiB: peakKiB / 1024, sentBytes }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
