/**
 * `report verify`: checks a signed report archive (docs/archive.md "A tamper-evident archive"):
 * every week's manifest and MAC, every object's SHA-256, and the chain from each week to the one
 * before it, for one report (`--report NAME`, `--org NAME`) or every report the archive holds.
 * Each break is listed with its week (changed, missing or unlisted object, missing week, a week
 * replaced, swapped or moved, a bad MAC); the exit code is 1 on any break, 0 when every week
 * verifies (weeks archived before MACs are listed as unsigned), 2 for a usage mistake.
 *
 * The key is used through KMS with the caller's AWS credentials, region and AWS_ENDPOINT_URL_KMS
 * (the SDK's standard way), named by `--key` or ARCHIVE_MAC_KEY (the stack output
 * ArchiveMacKeyArn); VerifyMac is the only call. The command line loads this module from its own
 * bundle (dist/cli/verify.cjs, scripts/build-cli.cjs), so the KMS client costs nothing to the other
 * commands; its errors are handled here, since its classes are not report.cjs's.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsMacSigner } from '../functions/weekly-report/adapters/kms-mac';
import {
  type ArchiveVerification,
  type BreakKind,
  verifyReportArchive,
} from '../functions/weekly-report/archive/verify';
import { weekName } from '../functions/weekly-report/pipeline/history';
import { MacKeyError } from '../functions/weekly-report/ports';
import { printable } from '../functions/weekly-report/render/plain-text';
import { ArchiveOptionError, archiveReports, openArchiveStore } from './archive-option';
import type { CommonOptions } from './options';

export interface VerifyIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: VerifyIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

const KIND_WORDS: Readonly<Record<BreakKind, string>> = {
  bad_mac: 'bad MAC',
  bad_manifest: 'bad manifest',
  wrong_week: 'swapped or moved week',
  wrong_report: "another report's week",
  no_manifest: 'removed manifest',
  changed_object: 'changed object',
  missing_object: 'missing object',
  unlisted_object: 'unlisted object',
  missing_week: 'missing week',
  replaced_week: 'replaced or reordered week',
  unchecked: 'could not be checked',
  unsigned_archive: 'nothing signed',
};

/** Runs the check; returns the exit code. */
export async function runVerify(options: CommonOptions, io: VerifyIo = processIo): Promise<number> {
  const say = (line: string): void => io.stderr(`report: ${printable(line)}\n`);
  if (!options.archive) {
    say('verify needs the archive: --archive DIR|s3://bucket[/prefix], or ARCHIVE_BUCKET');
    return 2;
  }
  if (!options.key) {
    say("verify needs the archive's MAC key: --key ARN (the stack output ArchiveMacKeyArn), or ARCHIVE_MAC_KEY");
    return 2;
  }
  const kms = new KMSClient({});
  try {
    const store = await openArchiveStore(options.archive, { mustExist: true });
    const named = options.report !== undefined || options.orgFrom !== undefined;
    const reports = named
      ? [options.report ?? options.settings.org]
      : (await archiveReports(store)).map((r) => r.report);
    if (reports.length === 0) {
      say(`the archive ${store.location} holds no reports`);
      return 1;
    }
    const signer = createKmsMacSigner({ client: kms, keyId: options.key });
    const results: ArchiveVerification[] = [];
    for (const report of reports) results.push(await verifyReportArchive(store, report, signer));
    if (named && results[0]?.weeks.length === 0) {
      say(`no archived weeks of ${reports[0]} in ${results[0]?.location ?? store.location}`);
      return 1;
    }
    const broken = results.some((r) => r.breaks.length > 0);
    if (options.format === 'json') {
      io.stdout(printableJson({ ok: !broken, key: options.key, reports: results }));
    } else {
      io.stdout(results.map((r) => formatVerification(r, options.key as string, options.settings.timezone)).join('\n'));
    }
    return broken ? 1 : 0;
  } catch (error) {
    say(error instanceof MacKeyError ? `cannot verify: ${error.message}` : errorMessage(error));
    return error instanceof ArchiveOptionError ? 2 : 1;
  } finally {
    kms.destroy();
  }
}

/** As cli/output.ts's printableJson (not imported: it would bring the text renderer into this bundle). */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
function printableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One report's result as text: each week with its status, then each break and note, then a count. */
export function formatVerification(result: ArchiveVerification, key: string, timezone: string): string {
  const name = (w: string): string => `${weekName(w, timezone)} (${w})`;
  const lines = [`${result.location} (key ${key})`];
  for (const week of result.weeks) {
    const status =
      week.status === 'verified'
        ? 'verified'
        : week.status === 'unsigned'
          ? 'unsigned (archived before MACs)'
          : week.status.toUpperCase();
    lines.push(`  ${status.padEnd(9)} ${name(week.windowTo)}`);
  }
  if (result.breaks.length > 0) {
    lines.push('Breaks:');
    for (const b of result.breaks) {
      const where = b.windowTo === '' ? 'the archive' : name(b.windowTo);
      lines.push(`  ${where}: ${KIND_WORDS[b.kind]}: ${b.detail}`);
    }
  }
  for (const note of result.notes) lines.push(`Note: ${note}`);
  const verified = result.weeks.filter((w) => w.status === 'verified').length;
  const unsigned = result.weeks.filter((w) => w.status === 'unsigned').length;
  lines.push(
    `${result.report}: ${verified} of ${result.weeks.length} weeks verified` +
      (unsigned > 0 ? `, ${unsigned} unsigned` : '') +
      (result.breaks.length === 0
        ? ', no break.'
        : `, ${result.breaks.length} break${result.breaks.length === 1 ? '' : 's'}.`),
  );
  return `${lines.map((l) => printable(l)).join('\n')}\n`;
}
