/**
 * The report archive's reads over a store in memory (the BlobStore port, honouring `maxBytes` as
 * the real stores do): every object is read under its cap, and one over it is refused from its
 * size without its body; the aggregate is refused once it decompresses past its cap (a gzip
 * bomb); what comes back is checked as its kind; a file of another week, or a name that is not an
 * archive file, is refused. And the plan of a baseline folds only weeks of the report's membership.
 */
import { gzipSync } from 'node:zlib';
import { ArchiveObjectError } from '../../../functions/weekly-report/archive/checks';
import {
  AGGREGATE_MAX_JSON_BYTES,
  ARCHIVE_CAPS,
  ARCHIVE_FILES,
  createReportArchive,
  type ReportArchive,
} from '../../../functions/weekly-report/archive/report-archive';
import { WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { type ArchivedWeek, archivedWeek } from '../../../functions/weekly-report/core/archived-week';
import { membershipFingerprint, personScope } from '../../../functions/weekly-report/core/scope';
import { type ArchivedBaseline, choosePlan, weekName } from '../../../functions/weekly-report/pipeline/history';
import { type BlobGetOptions, type BlobStore, BlobTooLargeError } from '../../../functions/weekly-report/ports';
import { renderReport } from '../../../functions/weekly-report/render';
import { makeBusySummary } from '../../support/summary-fixtures';

const DAY = 86_400_000;

/** A BlobStore in memory that reports which bodies were read (a refused object's never is). */
function memoryStore(): BlobStore & { objects: Map<string, Uint8Array>; bodiesRead: string[] } {
  const objects = new Map<string, Uint8Array>();
  const bodiesRead: string[] = [];
  return {
    location: 'memory://archive',
    objects,
    bodiesRead,
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix));
    },
    async get(key, options?: BlobGetOptions) {
      const body = objects.get(key);
      if (body === undefined) return undefined;
      if (options?.maxBytes !== undefined && body.length > options.maxBytes) {
        throw new BlobTooLargeError(key, body.length, options.maxBytes);
      }
      bodiesRead.push(key);
      return body;
    },
    async put(key, body) {
      objects.set(key, body);
    },
  };
}

const summary = makeBusySummary(12);
const WINDOW_TO = summary.window.to;
const rendered = renderReport(summary, { slackChannel: 'C0123456789' });
const range = { from: Date.parse(summary.window.from), to: Date.parse(summary.window.to) };
const week = archivedWeek('Acme', new WindowAggregate({ range }), range);

async function archiveWithOneWeek(): Promise<{ archive: ReportArchive; store: ReturnType<typeof memoryStore> }> {
  const store = memoryStore();
  const archive = createReportArchive(store, 'Acme');
  await archive.write(WINDOW_TO, rendered, week);
  return { archive, store };
}

const keyOf = (file: string) => `reports/acme/${WINDOW_TO}/${file}`;

async function problem(read: Promise<unknown>): Promise<string> {
  try {
    await read;
    return 'read';
  } catch (error) {
    if (error instanceof ArchiveObjectError) return error.message;
    throw error;
  }
}

describe('report archive reads', () => {
  it('reads back what it wrote, each object checked', async () => {
    // Act
    const { archive } = await archiveWithOneWeek();

    // Assess
    expect(JSON.stringify(await archive.readSummary(WINDOW_TO))).toBe(JSON.stringify(summary));
    // The point holds the summary's figures, and its groups for the next week's comparison.
    const { groups, ...figures } = (await archive.readPoint(WINDOW_TO)) ?? {};
    expect(figures).toEqual(await archive.readSummaryFigures(WINDOW_TO));
    expect(groups).toEqual({ total: 0, items: [] });
    expect(await archive.readWeek(WINDOW_TO)).toEqual(week);
    const onRecord = await archive.readRendering(WINDOW_TO);
    expect(onRecord.html).toBe(rendered.html);
    expect(onRecord.text).toBe(rendered.text);
    expect(JSON.stringify(onRecord.slack)).toBe(JSON.stringify(rendered.slack));
    for (const name of Object.values(ARCHIVE_FILES)) expect(await archive.readFile(WINDOW_TO, name)).toBeDefined();
  });

  it.each(Object.values(ARCHIVE_FILES))(
    'refuses a %s over its cap from its size, without reading its body',
    async (name) => {
      // Prepare
      const { archive, store } = await archiveWithOneWeek();
      store.objects.set(keyOf(name), new Uint8Array(ARCHIVE_CAPS[name] + 1));
      store.bodiesRead.length = 0;

      // Act
      const why = await problem(archive.readFile(WINDOW_TO, name));

      // Assess
      expect(why).toMatch(
        new RegExp(`^${name.replace('.', '\\.')}: is [\\d.]+ (MB|KB), over the [\\d.]+ (MB|KB) cap$`),
      );
      expect(store.bodiesRead).toEqual([]);
    },
  );

  it('refuses an aggregate that decompresses past its cap (a gzip bomb), and one that is not gzip', async () => {
    // Prepare: a few tens of kilobytes that inflate to twice the cap.
    const { archive, store } = await archiveWithOneWeek();
    store.objects.set(keyOf(ARCHIVE_FILES.aggregate), gzipSync(Buffer.alloc(2 * AGGREGATE_MAX_JSON_BYTES)));

    // Act
    const bomb = await problem(archive.readWeek(WINDOW_TO));
    store.objects.set(keyOf(ARCHIVE_FILES.aggregate), Buffer.from('plain text'));
    const plain = await problem(archive.readWeek(WINDOW_TO));
    store.objects.delete(keyOf(ARCHIVE_FILES.aggregate));
    const missing = await problem(archive.readWeek(WINDOW_TO));

    // Assess
    expect(bomb).toBe('aggregate.json.gz: decompresses to more than 32.0 MB, the cap');
    expect(plain).toBe('aggregate.json.gz: not a gzip file');
    expect(missing).toBe('aggregate.json.gz: is missing');
  });

  it('refuses an object of another week than its key, and a name that is not an archive file', async () => {
    // Prepare: the point of another week put under this one.
    const { archive, store } = await archiveWithOneWeek();
    const other = JSON.parse(Buffer.from(store.objects.get(keyOf('point.json')) as Uint8Array).toString());
    other.window.to = '2026-11-30T00:00:00.000Z';
    store.objects.set(keyOf('point.json'), Buffer.from(JSON.stringify(other)));

    // Act / Assess
    expect(await problem(archive.readPoint(WINDOW_TO))).toBe(
      `point.json: window.to is 2026-11-30T00:00:00.000Z, not the week of its key (${WINDOW_TO})`,
    );
    expect(await problem(archive.readFile(WINDOW_TO, '../../secrets'))).toBe(
      '../../secrets: is not a file of the archive',
    );
  });

  it('names the first unusable object of a rendering', async () => {
    // Prepare
    const { archive, store } = await archiveWithOneWeek();
    store.objects.delete(keyOf('email.txt'));

    // Act / Assess
    expect(await problem(archive.readRendering(WINDOW_TO))).toBe('email.txt: is missing');
  });

  it('says undefined for an absent summary or point (a week archived before points)', async () => {
    const { archive, store } = await archiveWithOneWeek();
    store.objects.delete(keyOf('point.json'));
    expect(await archive.readPoint(WINDOW_TO)).toBeUndefined();
    expect(await archive.readSummary('2020-01-06T00:00:00.000Z')).toBeUndefined();
  });
});

describe('a baseline plan and memberships', () => {
  const END = Date.parse('2026-11-23T00:00:00Z');
  const baseline = { from: END - 28 * DAY, to: END };
  const sre = personScope('team sre', [
    { userId: 'U1', email: 'ana@example.com' },
    { userId: 'U2', email: 'bo@example.com' },
  ]);
  const today = membershipFingerprint(sre);
  const before = membershipFingerprint(personScope('team sre', [{ userId: 'U1', email: 'ana@example.com' }]));
  const weekOf = (k: number, membership: string | null | undefined): ArchivedWeek => {
    const r = { from: END - (k + 1) * 7 * DAY, to: END - k * 7 * DAY };
    const w = archivedWeek('Acme', new WindowAggregate({ range: r }), r, membership ?? undefined);
    if (membership === undefined) {
      const { membership: _none, ...v1 } = w;
      return v1;
    }
    return w;
  };
  const archived: ArchivedBaseline = {
    baseline,
    weeks: [weekOf(3, before), weekOf(2, undefined), weekOf(1, today), weekOf(0, null)],
    warnings: [],
  };

  it('gives the same fingerprint whatever the order of the members, and another when someone joins', () => {
    const reordered = personScope('team sre', [
      { userId: 'u2', email: 'BO@example.com' },
      { userId: 'U1', email: 'ana@example.com' },
    ]);
    expect(membershipFingerprint(reordered)).toBe(today);
    expect(before).not.toBe(today);
    expect(sre.people).toBe(2);
  });

  it("folds only the weeks archived with the report's membership, fetching the others with a warning each", () => {
    // Act
    const team = choosePlan(archived, { fingerprint: today, label: 'team sre', people: 2 });
    const org = choosePlan(archived, {});
    const any = choosePlan(archived, 'any');

    // Assess
    expect(team.weeks.map((w) => w.membership)).toEqual([today]);
    expect(team.refetch).toHaveLength(3);
    expect(team.fetch).toEqual([
      { from: baseline.from, to: END - 14 * DAY },
      { from: END - 7 * DAY, to: END },
    ]);
    expect(team.warnings).toEqual([
      "The membership of team sre changed since the week ending 1 Nov 2026 was archived, so that week was fetched from Datadog with today's 2 people.",
      "The week ending 8 Nov 2026 was archived without its membership, so it was fetched from Datadog with today's 2 people of team sre.",
      "The membership of team sre changed since the week ending 22 Nov 2026 was archived, so that week was fetched from Datadog with today's 2 people.",
    ]);
    // The whole org folds its own weeks and those that recorded none (schema 1), never a team's.
    expect(org.weeks.map((w) => w.membership)).toEqual([undefined, null]);
    expect(any.weeks).toHaveLength(4);
    expect(any.fetch).toEqual([]);
  });

  it('names a week by its last local day', () => {
    expect(weekName('2026-11-23T00:00:00.000Z', 'UTC')).toBe('the week ending 22 Nov 2026');
    expect(weekName('2026-11-23T00:00:00.000Z', 'Pacific/Kiritimati')).toBe('the week ending 23 Nov 2026');
  });
});
