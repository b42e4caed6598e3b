/**
 * The report archive: every run's report, kept where a reviewer can find it and later runs can
 * build on it. One prefix per report and window, the window end in ISO 8601 in the key:
 *
 *   reports/{report}/{window.to}/summary.json        the summary JSON (schema 1), as sent
 *                               /email.html, email.txt the email as sent
 *                               /slack.json         the chat.postMessage arguments
 *                               /aggregate.json.gz  the week's mergeable aggregate (core/archived-week.ts)
 *
 * Writing is idempotent: a retry writes the same objects under the same keys. Reading never
 * trusts an object: a week whose aggregate does not gunzip, parse, match its checksum or
 * schema is reported as unusable (the caller fetches that time from Datadog instead).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ArchivedWeek, ArchivedWeekError, decodeArchivedWeek, encodeArchivedWeek } from '../core/archived-week';
import type { Summary } from '../core/types';
import type { BlobStore, CallOptions, RenderedReport } from '../ports';

export const ARCHIVE_ROOT = 'reports';

export const ARCHIVE_FILES = {
  summary: 'summary.json',
  html: 'email.html',
  text: 'email.txt',
  slack: 'slack.json',
  aggregate: 'aggregate.json.gz',
} as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  [ARCHIVE_FILES.summary]: 'application/json; charset=utf-8',
  [ARCHIVE_FILES.html]: 'text/html; charset=utf-8',
  [ARCHIVE_FILES.text]: 'text/plain; charset=utf-8',
  [ARCHIVE_FILES.slack]: 'application/json; charset=utf-8',
  [ARCHIVE_FILES.aggregate]: 'application/gzip',
};

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

export interface ReportArchive {
  /** Where the archive is, for messages (`s3://bucket/reports/acme/` or a directory). */
  readonly location: string;
  readonly slug: string;
  /** The archived reports of this report, oldest first. */
  list(call?: CallOptions): Promise<ArchivedReport[]>;
  /** Writes the report's five files; returns their keys. */
  write(windowTo: string, report: RenderedReport, week: ArchivedWeek, call?: CallOptions): Promise<string[]>;
  /** The week's aggregate; throws ArchivedWeekError when it is missing or unusable. */
  readWeek(windowTo: string, call?: CallOptions): Promise<ArchivedWeek>;
  /** The archived summary, or undefined when absent or not JSON. */
  readSummary(windowTo: string, call?: CallOptions): Promise<Summary | undefined>;
  /** One archived file's bytes, or undefined when absent. */
  readFile(windowTo: string, name: string, call?: CallOptions): Promise<Uint8Array | undefined>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function createReportArchive(store: BlobStore, reportName: string): ReportArchive {
  const slug = reportSlug(reportName);
  const prefix = `${ARCHIVE_ROOT}/${slug}/`;
  const keyOf = (windowTo: string, name: string): string => `${prefix}${windowTo}/${name}`;

  const archive: ReportArchive = {
    location: `${store.location.replace(/\/+$/, '')}/${prefix}`,
    slug,

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
      const files: Array<[string, Uint8Array]> = [
        [ARCHIVE_FILES.summary, Buffer.from(`${JSON.stringify(report.summary, null, 2)}\n`)],
        [ARCHIVE_FILES.html, Buffer.from(report.html)],
        [ARCHIVE_FILES.text, Buffer.from(report.text)],
        [ARCHIVE_FILES.slack, Buffer.from(`${JSON.stringify(report.slack, null, 2)}\n`)],
        // gzip without a file name or time in its header: the same week gives the same bytes.
        [ARCHIVE_FILES.aggregate, gzipSync(encodeArchivedWeek(week))],
      ];
      await Promise.all(
        files.map(([name, body]) =>
          store.put(keyOf(windowTo, name), body, CONTENT_TYPES[name] ?? 'application/octet-stream', call),
        ),
      );
      return files.map(([name]) => keyOf(windowTo, name));
    },

    async readWeek(windowTo, call) {
      const bytes = await store.get(keyOf(windowTo, ARCHIVE_FILES.aggregate), call);
      if (bytes === undefined) throw new ArchivedWeekError('no aggregate.json.gz');
      let text: string;
      try {
        text = gunzipSync(bytes).toString('utf8');
      } catch {
        throw new ArchivedWeekError('not a gzip file');
      }
      return decodeArchivedWeek(text);
    },

    async readSummary(windowTo, call) {
      const bytes = await store.get(keyOf(windowTo, ARCHIVE_FILES.summary), call);
      if (bytes === undefined) return undefined;
      try {
        const summary = JSON.parse(Buffer.from(bytes).toString('utf8')) as Summary;
        return summary?.schema === 1 ? summary : undefined;
      } catch {
        return undefined;
      }
    },

    readFile(windowTo, name, call) {
      return store.get(keyOf(windowTo, name), call);
    },
  };
  return archive;
}
