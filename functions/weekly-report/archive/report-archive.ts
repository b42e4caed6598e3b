/**
 * The report archive: every run's report, kept where a reviewer can find it and later runs can
 * build on it. One prefix per report and window, the window end in ISO 8601 in the key:
 *
 *   reports/{report}/{window.to}/summary.json        the summary JSON (schema 1), as sent: plain JSON, never compressed
 *                               /point.json         the week's figures for the trend, its groups (archive/point.ts)
 *                               /email.html, email.txt the email as sent
 *                               /slack.json         the chat.postMessage arguments: {"post": args, "thread": [args, …]}
 *                               /aggregate.json.gz  the week's mergeable aggregate (core/archived-week.ts)
 *
 * Writing is idempotent: a retry writes the same objects under the same keys. Reading never
 * trusts an object: each is read under a size cap (ARCHIVE_CAPS, checked on the object's size
 * before its body is read; the aggregate also on what it decompresses to) and checked against the
 * schema of its kind and version (summary-schema.ts, point.ts, rendering-schema.ts, the
 * aggregate's decoder); one that does not fit throws ArchiveObjectError naming the object and the
 * first problem, and the caller leaves that week out or fetches its time from Datadog, saying so.
 *
 * With a MAC key (`signer`), each week is sealed by a `manifest.json` (manifest.ts, seal.ts): its
 * objects' SHA-256s and the previous archived week's MAC, MACed by the KMS key. Every read of a
 * sealed archive first checks the week (its manifest, its MAC, the chain to the next week) and
 * then the object's SHA-256 against the manifest; a week without a manifest is not used at all.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ArchivedWeek, ArchivedWeekError, decodeArchivedWeek, encodeArchivedWeek } from '../core/archived-week';
import type { Summary } from '../core/types';
import {
  type BlobStore,
  BlobTooLargeError,
  type CallOptions,
  type MacSigner,
  type RenderedReport,
  type SlackReport,
} from '../ports';
import { ArchiveObjectError, Invalid, parseJson, size } from './checks';
import { digest, MANIFEST_FILE } from './manifest';
import { checkPoint, encodePoint, pointOfSummary, type WeekPoint } from './point';
import { checkEmailHtml, checkEmailText, checkSlackReport } from './rendering-schema';
import { type ArchiveSeal, createArchiveSeal, type MissingWeek } from './seal';
import { checkSummary, checkSummaryFigures, type SummaryFigures } from './summary-schema';

export const ARCHIVE_ROOT = 'reports';

export const ARCHIVE_FILES = {
  summary: 'summary.json',
  point: 'point.json',
  html: 'email.html',
  text: 'email.txt',
  slack: 'slack.json',
  aggregate: 'aggregate.json.gz',
} as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  [ARCHIVE_FILES.summary]: 'application/json; charset=utf-8',
  [ARCHIVE_FILES.point]: 'application/json; charset=utf-8',
  [ARCHIVE_FILES.html]: 'text/html; charset=utf-8',
  [ARCHIVE_FILES.text]: 'text/plain; charset=utf-8',
  [ARCHIVE_FILES.slack]: 'application/json; charset=utf-8',
  [ARCHIVE_FILES.aggregate]: 'application/gzip',
};

/**
 * The most of each object a reader takes, in bytes (decimal megabytes, as messages say them).
 * Each is many times what the job writes (docs/archive.md says how each was sized), so only a
 * damaged, foreign or hostile object is refused; refused, it costs one warning, never memory.
 */
export const ARCHIVE_CAPS = {
  /** Summaries of a week of many anomalies reach tens of MB (41 MB seen); the legacy trend reads them one at a time. */
  [ARCHIVE_FILES.summary]: 64_000_000,
  /** A point is ~250 bytes plus its groups (~80 bytes each, at most 500 of them): a few KB, ~130 KB at worst. */
  [ARCHIVE_FILES.point]: 256_000,
  /** The email is kept under 100 KB (Gmail clips at ~102 KB). */
  [ARCHIVE_FILES.html]: 2_000_000,
  [ARCHIVE_FILES.text]: 2_000_000,
  /** A post and its thread reply, each of at most 50 blocks of at most 3,000 characters and a fallback text: well under 1 MB. */
  [ARCHIVE_FILES.slack]: 1_000_000,
  /** The aggregate as stored (gzip). */
  [ARCHIVE_FILES.aggregate]: 8_000_000,
} as const satisfies Record<ArchiveFile, number>;

/** What `aggregate.json.gz` may decompress to (~150 bytes a person: 200,000 people). */
export const AGGREGATE_MAX_JSON_BYTES = 32_000_000;

export type ArchiveFile = (typeof ARCHIVE_FILES)[keyof typeof ARCHIVE_FILES];

/** `s3://bucket/some/prefix` → bucket and prefix (without a trailing slash); undefined when it is not one. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (!m) return undefined;
  return { bucket: m[1] as string, prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/** A report's name in keys: lower case, letters and digits, words joined by `-` ("Acme Corp" → `acme-corp`). */
export function reportSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return slug || 'report';
}

export interface ArchivedReport {
  /** The window end, as in the key and in `summary.window.to`. */
  readonly windowTo: string;
  /** File names present under the report's prefix. */
  readonly files: readonly string[];
}

/** A week's rendering as archived: what its channels were sent. */
export interface ArchivedRendering {
  readonly summary: Summary;
  readonly html: string;
  readonly text: string;
  readonly slack: SlackReport;
}

export interface ReportArchive {
  /** Where the archive is, for messages (`s3://bucket/reports/acme/` or a directory). */
  readonly location: string;
  readonly slug: string;
  /** The archived reports of this report, oldest first. */
  list(call?: CallOptions): Promise<ArchivedReport[]>;
  /** Writes the report's six files; returns their keys. */
  write(windowTo: string, report: RenderedReport, week: ArchivedWeek, call?: CallOptions): Promise<string[]>;
  /** The week's aggregate; throws ArchiveObjectError when it is missing or unusable. */
  readWeek(windowTo: string, call?: CallOptions): Promise<ArchivedWeek>;
  /** The week's trend point; undefined when it has none (archived before points); throws ArchiveObjectError when unusable. */
  readPoint(windowTo: string, call?: CallOptions): Promise<WeekPoint | undefined>;
  /** The figures of the archived summary (only those are checked and kept); undefined when absent; throws ArchiveObjectError. */
  readSummaryFigures(windowTo: string, call?: CallOptions): Promise<SummaryFigures | undefined>;
  /** The whole archived summary, checked; undefined when absent; throws ArchiveObjectError when unusable. */
  readSummary(windowTo: string, call?: CallOptions): Promise<Summary | undefined>;
  /** The archived summary, email and Slack message, each checked; throws ArchiveObjectError naming the first missing or unusable. */
  readRendering(windowTo: string, call?: CallOptions): Promise<ArchivedRendering>;
  /**
   * One archived file's bytes, checked as its kind is (any other name is refused); undefined when
   * absent; throws ArchiveObjectError when unusable.
   */
  readFile(windowTo: string, name: string, call?: CallOptions): Promise<Uint8Array | undefined>;
  /** The seal of a signed archive (a MAC key given): each week's manifest and standing. */
  readonly seal?: ArchiveSeal;
  /**
   * Weeks ending in (`after`, `through`] that a sealed week names as the one before it but the
   * archive no longer holds (deleted after they were archived); none for an unsigned archive.
   */
  missingWeeks(after: string, through: string, call?: CallOptions): Promise<MissingWeek[]>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The checks of each file, on its bytes (the aggregate's on its decompressed JSON). */
const FILE_CHECKS: Readonly<Record<ArchiveFile, (bytes: Uint8Array, windowTo: string) => unknown>> = {
  [ARCHIVE_FILES.summary]: (bytes, windowTo) => sameWeek(checkSummary(parseJson(bytes)).window.to, windowTo),
  [ARCHIVE_FILES.point]: (bytes, windowTo) => sameWeek(checkPoint(parseJson(bytes)).window.to, windowTo),
  [ARCHIVE_FILES.html]: checkEmailHtml,
  [ARCHIVE_FILES.text]: checkEmailText,
  [ARCHIVE_FILES.slack]: (bytes) => checkSlackReport(parseJson(bytes)),
  [ARCHIVE_FILES.aggregate]: (bytes, windowTo) => decodeWeek(bytes, windowTo),
};

/** An object read back belongs to the week of its key, or it is not that week's. */
function sameWeek(windowEnd: string, windowTo: string): string {
  if (windowEnd !== windowTo) throw new Invalid('window.to', `is ${windowEnd}, not the week of its key (${windowTo})`);
  return windowEnd;
}

/** The aggregate in gzip `bytes`, decompressed under its cap and decoded; throws Invalid. */
function decodeWeek(bytes: Uint8Array, windowTo: string): ArchivedWeek {
  let json: Buffer;
  try {
    json = gunzipSync(bytes, { maxOutputLength: AGGREGATE_MAX_JSON_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new Invalid('', `decompresses to more than ${size(AGGREGATE_MAX_JSON_BYTES)}, the cap`);
    }
    throw new Invalid('', 'is not a gzip file');
  }
  let week: ArchivedWeek;
  try {
    week = decodeArchivedWeek(json.toString('utf8'));
  } catch (error) {
    if (error instanceof ArchivedWeekError) throw new Invalid('', error.message);
    throw error;
  }
  if (new Date(week.window.to).toISOString() !== windowTo) {
    throw new Invalid(
      'window.to',
      `is ${new Date(week.window.to).toISOString()}, not the week of its key (${windowTo})`,
    );
  }
  return week;
}

function isArchiveFile(name: string): name is ArchiveFile {
  return Object.hasOwn(FILE_CHECKS, name);
}

export function createReportArchive(
  store: BlobStore,
  reportName: string,
  options: {
    /** The archive's MAC key: weeks are sealed when written and checked when read. @default unsigned */
    readonly signer?: MacSigner;
  } = {},
): ReportArchive {
  const slug = reportSlug(reportName);
  const prefix = `${ARCHIVE_ROOT}/${slug}/`;
  const keyOf = (windowTo: string, name: string): string => `${prefix}${windowTo}/${name}`;
  const seal = options.signer
    ? createArchiveSeal({
        store,
        slug,
        signer: options.signer,
        keyOf,
        weeks: async (call) => (await archive.list(call)).map((r) => r.windowTo),
      })
    : undefined;

  /** The object's bytes under its cap; undefined when absent; ArchiveObjectError when too large or unreadable. */
  async function fetch(windowTo: string, name: ArchiveFile, call?: CallOptions): Promise<Uint8Array | undefined> {
    if (seal) return fetchSealed(seal, windowTo, name, call);
    return fetchObject(windowTo, name, call);
  }

  /**
   * The object of a sealed week: the week must stand (seal.ts), and the object be the one its
   * manifest lists, byte for byte. Anything else throws ArchiveObjectError naming the manifest or
   * the object, so the week is left out as any unusable one is.
   */
  async function fetchSealed(
    sealed: ArchiveSeal,
    windowTo: string,
    name: ArchiveFile,
    call?: CallOptions,
  ): Promise<Uint8Array> {
    let standing: Awaited<ReturnType<ArchiveSeal['standing']>>;
    try {
      standing = await sealed.standing(windowTo, call);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ArchiveObjectError(MANIFEST_FILE, `could not be checked (${reason.slice(0, 300)})`, { cause: error });
    }
    if (!standing.ok) throw new ArchiveObjectError(MANIFEST_FILE, standing.problem);
    const listed = standing.manifest.objects[name];
    if (listed === undefined) throw new ArchiveObjectError(name, "is not in the week's manifest");
    const bytes = await fetchObject(windowTo, name, call);
    if (bytes === undefined) {
      throw new ArchiveObjectError(
        name,
        "is missing, though the week's manifest lists it: removed after it was archived",
      );
    }
    const found = digest(bytes);
    if (found.sha256 !== listed.sha256 || found.bytes !== listed.bytes) {
      throw new ArchiveObjectError(
        name,
        "does not match the week's manifest (another SHA-256): changed after it was archived",
      );
    }
    return bytes;
  }

  async function fetchObject(windowTo: string, name: ArchiveFile, call?: CallOptions): Promise<Uint8Array | undefined> {
    const maxBytes = ARCHIVE_CAPS[name];
    try {
      return await store.get(keyOf(windowTo, name), { ...call, maxBytes });
    } catch (error) {
      if (error instanceof BlobTooLargeError) {
        const found = error.size > maxBytes ? `is ${size(error.size)}` : 'is larger';
        throw new ArchiveObjectError(name, `${found}, over the ${size(maxBytes)} cap`, { cause: error });
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new ArchiveObjectError(name, `could not be read (${reason.slice(0, 300)})`, { cause: error });
    }
  }

  /** `check` over the bytes, its Invalid turned into an ArchiveObjectError naming the object. */
  function checked<T>(name: ArchiveFile, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof Invalid) throw new ArchiveObjectError(name, error.message);
      throw error;
    }
  }

  async function read<T>(
    windowTo: string,
    name: ArchiveFile,
    parse: (bytes: Uint8Array) => T,
    call?: CallOptions,
  ): Promise<T | undefined> {
    const bytes = await fetch(windowTo, name, call);
    return bytes === undefined ? undefined : checked(name, () => parse(bytes));
  }

  async function required<T>(
    windowTo: string,
    name: ArchiveFile,
    parse: (bytes: Uint8Array) => T,
    call?: CallOptions,
  ): Promise<T> {
    const value = await read(windowTo, name, parse, call);
    if (value === undefined) throw new ArchiveObjectError(name, 'is missing');
    return value;
  }

  const archive: ReportArchive = {
    location: `${store.location.replace(/\/+$/, '')}/${prefix}`,
    slug,
    ...(seal ? { seal } : {}),

    async missingWeeks(after, through, call) {
      return seal ? seal.missing(after, through, call) : [];
    },

    async list(call) {
      const byWindow = new Map<string, string[]>();
      for (const key of await store.list(prefix, call)) {
        const [windowTo, name, ...rest] = key.slice(prefix.length).split('/');
        if (!windowTo || !name || rest.length > 0 || !ISO.test(windowTo)) continue;
        byWindow.set(windowTo, [...(byWindow.get(windowTo) ?? []), name]);
      }
      return [...byWindow]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([windowTo, files]) => ({ windowTo, files: files.sort() }));
    },

    async write(windowTo, report, week, call) {
      const files: Array<[ArchiveFile, Uint8Array]> = [
        // Plain JSON, whatever else changes: `jq` and the command line read it as it is.
        [ARCHIVE_FILES.summary, Buffer.from(`${JSON.stringify(report.summary, null, 2)}\n`)],
        [ARCHIVE_FILES.point, Buffer.from(encodePoint(pointOfSummary(report.summary)))],
        [ARCHIVE_FILES.html, Buffer.from(report.html)],
        [ARCHIVE_FILES.text, Buffer.from(report.text)],
        [ARCHIVE_FILES.slack, Buffer.from(`${JSON.stringify(report.slack, null, 2)}\n`)],
        // gzip without a file name or time in its header: the same week gives the same bytes.
        [ARCHIVE_FILES.aggregate, gzipSync(encodeArchivedWeek(week))],
      ];
      // Sealed before anything is written (a key that cannot be used writes nothing, to be retried);
      // the manifest goes last, so a write cut short leaves a week without one: unusable, and said.
      const manifest = seal
        ? await seal.seal({ from: report.summary.window.from, to: windowTo }, files, call)
        : undefined;
      try {
        await Promise.all(
          files.map(([name, body]) =>
            store.put(keyOf(windowTo, name), body, CONTENT_TYPES[name] ?? 'application/octet-stream', call),
          ),
        );
        if (manifest)
          await store.put(keyOf(windowTo, MANIFEST_FILE), manifest, 'application/json; charset=utf-8', call);
      } finally {
        // What this archive read of its weeks may no longer hold.
        seal?.forget();
      }
      return [...files.map(([name]) => keyOf(windowTo, name)), ...(manifest ? [keyOf(windowTo, MANIFEST_FILE)] : [])];
    },

    readWeek(windowTo, call) {
      return required(windowTo, ARCHIVE_FILES.aggregate, (bytes) => decodeWeek(bytes, windowTo), call);
    },

    readPoint(windowTo, call) {
      return read(
        windowTo,
        ARCHIVE_FILES.point,
        (bytes) => {
          const point = checkPoint(parseJson(bytes));
          sameWeek(point.window.to, windowTo);
          return point;
        },
        call,
      );
    },

    readSummaryFigures(windowTo, call) {
      return read(
        windowTo,
        ARCHIVE_FILES.summary,
        (bytes) => {
          const figures = checkSummaryFigures(parseJson(bytes));
          sameWeek(figures.window.to, windowTo);
          return figures;
        },
        call,
      );
    },

    readSummary(windowTo, call) {
      return read(
        windowTo,
        ARCHIVE_FILES.summary,
        (bytes) => {
          const summary = checkSummary(parseJson(bytes));
          sameWeek(summary.window.to, windowTo);
          return summary;
        },
        call,
      );
    },

    async readRendering(windowTo, call) {
      // One after the other: the summary may be large, and the first problem is enough.
      const summary = await archive.readSummary(windowTo, call);
      if (summary === undefined) throw new ArchiveObjectError(ARCHIVE_FILES.summary, 'is missing');
      const html = await required(windowTo, ARCHIVE_FILES.html, checkEmailHtml, call);
      const text = await required(windowTo, ARCHIVE_FILES.text, checkEmailText, call);
      const slack = await required(windowTo, ARCHIVE_FILES.slack, (bytes) => checkSlackReport(parseJson(bytes)), call);
      return { summary, html, text, slack };
    },

    async readFile(windowTo, name, call) {
      if (!isArchiveFile(name)) throw new ArchiveObjectError(name, 'is not a file of the archive');
      const bytes = await fetch(windowTo, name, call);
      if (bytes === undefined) return undefined;
      checked(name, () => FILE_CHECKS[name](bytes, windowTo));
      return bytes;
    },
  };
  return archive;
}
