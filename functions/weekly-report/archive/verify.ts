/**
 * The whole check of one report's signed archive (`report verify`): every week's manifest and
 * MAC, every object's SHA-256 against its manifest, and the chain from each week to the one before
 * it. Each break is listed with its week and kind:
 * - `bad_mac`: the manifest's MAC does not verify with the key (the manifest was changed or forged);
 * - `bad_manifest`: `manifest.json` is not a manifest (not JSON, not its form, too large);
 * - `wrong_week` / `wrong_report`: the manifest is another week's or another report's (a week
 *   swapped, moved or copied in);
 * - `no_manifest`: a week after the first signed one (or one a later week was chained to by its
 *   MAC) has no manifest: it was removed;
 * - `changed_object` / `missing_object` / `unlisted_object`: an object differs from its manifest's
 *   SHA-256, is gone, or is there without being listed;
 * - `missing_week`: a week the chain names is gone (deleted after it was archived);
 * - `replaced_week`: a week is not the version the next week was chained to (a replay of an older
 *   version, or a week swapped in);
 * - `unchecked`: an object or manifest could not be read;
 * - `unsigned_archive`: the archive holds weeks but not one signed week.
 * Weeks without a manifest before the first signed week are `unsigned` (archived before MACs):
 * listed, not a break (no run uses them). A week the chain passes over but that verifies is a later
 * run of an earlier window: a note, not a break (only the key can make it). A key that cannot be
 * used (KMS unreachable, access denied) throws MacKeyError: nothing can be said then.
 */
import { type BlobStore, type CallOptions, MacKeyError, type MacSigner } from '../ports';
import { digest, MANIFEST_FILE } from './manifest';
import { ARCHIVE_CAPS, ARCHIVE_ROOT, createReportArchive } from './report-archive';
import type { ManifestState } from './seal';

export type BreakKind =
  | 'bad_mac'
  | 'bad_manifest'
  | 'wrong_week'
  | 'wrong_report'
  | 'no_manifest'
  | 'changed_object'
  | 'missing_object'
  | 'unlisted_object'
  | 'missing_week'
  | 'replaced_week'
  | 'unchecked'
  | 'unsigned_archive';

export interface ChainBreak {
  /** The week's window end (empty for `unsigned_archive`). */
  readonly windowTo: string;
  readonly kind: BreakKind;
  /** The object concerned, for object breaks. */
  readonly object?: string;
  /** What is wrong, in words. */
  readonly detail: string;
}

export type WeekStatus = 'verified' | 'unsigned' | 'broken' | 'missing';

export interface WeekVerdict {
  readonly windowTo: string;
  readonly status: WeekStatus;
}

export interface ArchiveVerification {
  readonly report: string;
  readonly location: string;
  /** Every week, held or named by the chain, oldest first. */
  readonly weeks: readonly WeekVerdict[];
  readonly breaks: readonly ChainBreak[];
  /** What is worth saying but breaks nothing (weeks archived after a later one). */
  readonly notes: readonly string[];
}

/** The most of an object that is not an archive file a check reads (its digest is all it needs). */
const OTHER_CAP = 64_000_000;

const capOf = (name: string): number => (ARCHIVE_CAPS as Readonly<Record<string, number>>)[name] ?? OTHER_CAP;

const KIND_OF_CODE: Readonly<Record<string, BreakKind>> = {
  mac: 'bad_mac',
  week: 'wrong_week',
  report: 'wrong_report',
  form: 'bad_manifest',
};

/** Checks every week of `report` in `store` with `signer`'s key. Throws MacKeyError when the key cannot be used, and what listing the store throws. */
export async function verifyReportArchive(
  store: BlobStore,
  report: string,
  signer: MacSigner,
  call?: CallOptions,
): Promise<ArchiveVerification> {
  const archive = createReportArchive(store, report, { signer });
  const seal = archive.seal;
  if (!seal) throw new Error('a signed archive has a seal');
  const listed = await archive.list(call);
  const held = new Set(listed.map((r) => r.windowTo));
  const states = new Map<string, ManifestState>();
  // One at a time, oldest first: a few small reads and one KMS call a week.
  for (const r of listed) {
    const state = await seal.manifest(r.windowTo, call);
    if (state.kind === 'unchecked' && state.keyError instanceof MacKeyError) throw state.keyError;
    states.set(r.windowTo, state);
  }
  const breaks: ChainBreak[] = [];
  const notes: string[] = [];
  const broken = new Set<string>();
  const missing = new Set<string>();
  const add = (b: ChainBreak): void => {
    if (breaks.some((x) => x.windowTo === b.windowTo && x.kind === b.kind && x.object === b.object)) return;
    breaks.push(b);
    if (b.kind === 'missing_week') missing.add(b.windowTo);
    else if (b.windowTo !== '') broken.add(b.windowTo);
  };
  const firstSigned = listed.find((r) => states.get(r.windowTo)?.kind === 'valid')?.windowTo;

  for (const r of listed) {
    const w = r.windowTo;
    const state = states.get(w) as ManifestState;
    if (state.kind === 'absent') {
      if (firstSigned !== undefined && w > firstSigned) {
        add({
          windowTo: w,
          kind: 'no_manifest',
          detail: `${MANIFEST_FILE} is missing, though the weeks are signed since ${firstSigned}: removed after it was archived`,
        });
      }
      continue;
    }
    if (state.kind === 'unchecked') {
      add({ windowTo: w, kind: 'unchecked', object: MANIFEST_FILE, detail: `${MANIFEST_FILE} ${state.problem}` });
      continue;
    }
    if (state.kind === 'invalid') {
      add({
        windowTo: w,
        kind: KIND_OF_CODE[state.code] ?? 'bad_manifest',
        detail: `${MANIFEST_FILE} ${state.problem}`,
      });
      continue;
    }
    const { manifest } = state;

    // Its objects, each against its digest; and nothing beside them that the manifest does not list.
    for (const [name, listedDigest] of Object.entries(manifest.objects)) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await store.get(`${ARCHIVE_ROOT}/${archive.slug}/${w}/${name}`, { ...call, maxBytes: capOf(name) });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        add({
          windowTo: w,
          kind: 'unchecked',
          object: name,
          detail: `${name} could not be read (${reason.slice(0, 200)})`,
        });
        continue;
      }
      if (bytes === undefined) {
        add({
          windowTo: w,
          kind: 'missing_object',
          object: name,
          detail: `${name} is missing: removed after it was archived`,
        });
        continue;
      }
      const found = digest(bytes);
      if (found.sha256 !== listedDigest.sha256 || found.bytes !== listedDigest.bytes) {
        add({
          windowTo: w,
          kind: 'changed_object',
          object: name,
          detail: `${name} does not match its manifest (another SHA-256): changed after it was archived`,
        });
      }
    }
    for (const name of r.files) {
      if (name !== MANIFEST_FILE && !Object.hasOwn(manifest.objects, name)) {
        add({
          windowTo: w,
          kind: 'unlisted_object',
          object: name,
          detail: `${name} is not in the week's manifest: added after it was archived`,
        });
      }
    }

    // Its link to the week before.
    const link = manifest.previous;
    if (link === null) continue;
    if (!held.has(link.windowTo)) {
      add({
        windowTo: link.windowTo,
        kind: 'missing_week',
        detail: `the week is missing: removed after it was archived (the week ending ${w} was chained to it)`,
      });
    } else {
      const before = states.get(link.windowTo) as ManifestState;
      if (link.mac !== null && before.kind === 'valid' && before.manifest.mac !== link.mac) {
        add({
          windowTo: link.windowTo,
          kind: 'replaced_week',
          detail: `the week is not the one the week ending ${w} was chained to: replaced after that week was archived`,
        });
      } else if (link.mac !== null && before.kind === 'absent') {
        add({
          windowTo: link.windowTo,
          kind: 'no_manifest',
          detail: `${MANIFEST_FILE} is missing, though the week ending ${w} was chained to its MAC: removed after it was archived`,
        });
      } else if (link.mac === null && before.kind === 'valid') {
        add({
          windowTo: link.windowTo,
          kind: 'replaced_week',
          detail: `the week is signed, but the week ending ${w} was chained to it unsigned: replaced after that week was archived`,
        });
      }
    }
    // Weeks between the one it names and itself were archived after it (or are not what they say).
    for (const other of listed) {
      if (other.windowTo > link.windowTo && other.windowTo < w && states.get(other.windowTo)?.kind === 'valid') {
        notes.push(
          `${other.windowTo} was archived after ${w}, which is chained to ${link.windowTo}: a later run of an earlier window`,
        );
      }
    }
  }
  if (listed.length > 0 && firstSigned === undefined) {
    add({
      windowTo: '',
      kind: 'unsigned_archive',
      detail: `not one of its ${listed.length} weeks has a manifest that verifies: nothing in it can be trusted`,
    });
  }

  const weeks: WeekVerdict[] = [...new Set([...held, ...missing])].sort().map((w) => ({
    windowTo: w,
    status: missing.has(w)
      ? 'missing'
      : broken.has(w)
        ? 'broken'
        : states.get(w)?.kind === 'valid'
          ? 'verified'
          : 'unsigned',
  }));
  breaks.sort((a, b) => (a.windowTo < b.windowTo ? -1 : a.windowTo > b.windowTo ? 1 : 0));
  return { report: archive.slug, location: archive.location, weeks, breaks, notes };
}
