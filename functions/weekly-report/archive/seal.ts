/**
 * The seal of one report's archive: each week's `manifest.json` (manifest.ts) made when the week
 * is written, and checked before anything of the week is used.
 *
 * Writing: the week's manifest lists its objects' digests and names the latest week archived
 * before it (by window end) with that week's MAC, or `unsigned` when that week has no manifest
 * that verifies (one archived before MACs), or none at all for the first week; it is MACed by the
 * KMS key (MacSigner) and written after the objects, so a write cut short leaves a week without a
 * manifest (unusable, said) rather than a manifest naming objects that are not there.
 *
 * Reading, a week stands when:
 * - its manifest is there, is a manifest, belongs to this report and to the week of its key, and
 *   its MAC verifies with the configured key (never a key the bucket names);
 * - the next archived week, when its manifest verifies and names this week as the one before it,
 *   names it with this very MAC (else this week was replaced after that one was written: a replay
 *   of an older version, or a week swapped in);
 * and each object read must be listed by the manifest with the same SHA-256 (report-archive.ts).
 * A week the chain names but the archive no longer holds is `missing`: that is how a deleted week
 * is told from a week the job did not run (which no later week names).
 *
 * What a week's check found is kept for the life of this object (one invocation, one command), and
 * forgotten when a week is written.
 */
import type { BlobStore, CallOptions, MacSigner } from '../ports';
import { BlobTooLargeError, MacKeyError } from '../ports';
import { Invalid, parseJson } from './checks';
import {
  checkManifest,
  digest,
  encodeManifest,
  MANIFEST_CAP,
  MANIFEST_FILE,
  macMessage,
  type ObjectDigest,
  type SealedManifest,
  type WeekManifest,
} from './manifest';

/** What a week's manifest is. */
export type ManifestState =
  /** No `manifest.json`: archived before MACs, or the manifest was removed. */
  | { readonly kind: 'absent' }
  /**
   * There, but not this week's sealed manifest: `problem` says why. `code`: `mac` its MAC does not
   * verify, `week` it is another week's, `report` another report's, `form` not a manifest at all.
   */
  | { readonly kind: 'invalid'; readonly code: 'mac' | 'week' | 'report' | 'form'; readonly problem: string }
  /** It could not be checked: the store or the key could not be used. */
  | { readonly kind: 'unchecked'; readonly problem: string; readonly keyError?: MacKeyError }
  | { readonly kind: 'valid'; readonly manifest: SealedManifest };

/** Whether a week may be used, and if not why (said after `manifest.json: `). */
export type Standing =
  | { readonly ok: true; readonly manifest: SealedManifest }
  /** `transient`: the store or the key could not be used; asked again next time. */
  | { readonly ok: false; readonly problem: string; readonly transient?: boolean };

/** A week the chain names that the archive no longer holds. */
export interface MissingWeek {
  readonly windowTo: string;
  /** The week whose manifest names it as the one before it. */
  readonly namedBy: string;
}

export interface ArchiveSeal {
  /** The key, as configured. */
  readonly keyId: string;
  /** The manifest of a week being written (`manifest.json`'s bytes): chained to the latest week archived before it, MACed. */
  seal(
    window: { readonly from: string; readonly to: string },
    objects: ReadonlyArray<readonly [string, Uint8Array]>,
    call?: CallOptions,
  ): Promise<Uint8Array>;
  /** The week's manifest, checked (kept once read). */
  manifest(windowTo: string, call?: CallOptions): Promise<ManifestState>;
  /** Whether the week may be used (kept once known). */
  standing(windowTo: string, call?: CallOptions): Promise<Standing>;
  /** Weeks ending in (`after`, `through`] that a sealed week names as the one before it, but the archive no longer holds. */
  missing(after: string, through: string, call?: CallOptions): Promise<MissingWeek[]>;
  /** Forgets what was read (a week was written). */
  forget(): void;
}

export const MANIFEST_ABSENT =
  'is missing: the week was archived before the archive was signed, or its manifest was removed';

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function createArchiveSeal(options: {
  readonly store: BlobStore;
  readonly slug: string;
  readonly signer: MacSigner;
  /** The key of a week's object. */
  readonly keyOf: (windowTo: string, name: string) => string;
  /** The window ends of every archived week of the report (any object under its folder), oldest first. */
  readonly weeks: (call?: CallOptions) => Promise<string[]>;
}): ArchiveSeal {
  const { store, slug, signer, keyOf } = options;
  let listing: Promise<string[]> | undefined;
  const manifests = new Map<string, Promise<ManifestState>>();
  const standings = new Map<string, Promise<Standing>>();

  async function readManifest(windowTo: string, call?: CallOptions): Promise<ManifestState> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await store.get(keyOf(windowTo, MANIFEST_FILE), { ...call, maxBytes: MANIFEST_CAP });
    } catch (error) {
      if (error instanceof BlobTooLargeError)
        return { kind: 'invalid', code: 'form', problem: 'is larger than its 64 KB cap' };
      const reason = error instanceof Error ? error.message : String(error);
      return { kind: 'unchecked', problem: `could not be read (${reason.slice(0, 300)})` };
    }
    if (bytes === undefined) return { kind: 'absent' };
    let manifest: SealedManifest;
    try {
      manifest = checkManifest(parseJson(bytes));
    } catch (error) {
      if (error instanceof Invalid) return { kind: 'invalid', code: 'form', problem: error.message };
      throw error;
    }
    if (manifest.report !== slug) {
      return {
        kind: 'invalid',
        code: 'report',
        problem: `belongs to the report ${manifest.report}, not ${slug}: copied from another report's archive`,
      };
    }
    if (manifest.window.to !== windowTo) {
      return {
        kind: 'invalid',
        code: 'week',
        problem: `window.to is ${manifest.window.to}, not the week of its key (${windowTo}): moved or swapped from another week`,
      };
    }
    let verified: boolean;
    try {
      verified = await signer.verify(macMessage(manifest), Buffer.from(manifest.mac, 'base64'), call);
    } catch (error) {
      if (error instanceof MacKeyError) {
        return { kind: 'unchecked', problem: `could not be verified (${error.message})`, keyError: error };
      }
      throw error;
    }
    if (!verified) {
      return {
        kind: 'invalid',
        code: 'mac',
        problem: "its MAC does not verify with the archive's key: the week was changed or forged after it was archived",
      };
    }
    return { kind: 'valid', manifest };
  }

  const weeks = (call?: CallOptions): Promise<string[]> => {
    if (!listing) {
      listing = options.weeks(call);
      listing.catch(() => {
        listing = undefined;
      });
    }
    return listing;
  };

  const seal: ArchiveSeal = {
    keyId: signer.keyId,

    manifest(windowTo, call) {
      let state = manifests.get(windowTo);
      if (!state) {
        state = readManifest(windowTo, call);
        manifests.set(windowTo, state);
        // What could not be checked (a store or KMS hiccup) is asked again next time.
        void state.then(
          (s) => s.kind === 'unchecked' && manifests.delete(windowTo),
          () => manifests.delete(windowTo),
        );
      }
      return state;
    },

    standing(windowTo, call) {
      let standing = standings.get(windowTo);
      if (!standing) {
        standing = (async (): Promise<Standing> => {
          const state = await seal.manifest(windowTo, call);
          if (state.kind === 'absent') return { ok: false, problem: MANIFEST_ABSENT };
          if (state.kind === 'unchecked') return { ok: false, problem: state.problem, transient: true };
          if (state.kind === 'invalid') return { ok: false, problem: state.problem };
          const all = await weeks(call);
          const next = all.find((w) => w > windowTo);
          if (next !== undefined) {
            const after = await seal.manifest(next, call);
            if (after.kind === 'unchecked') {
              return {
                ok: false,
                problem: `could not be checked against the next archived week (${after.problem})`,
                transient: true,
              };
            }
            const link = after.kind === 'valid' ? after.manifest.previous : null;
            if (link !== null && link.windowTo === windowTo && link.mac !== state.manifest.mac) {
              return {
                ok: false,
                problem: `is not the one the next archived week (ending ${next}) was chained to: the week was replaced after that week was archived`,
              };
            }
          }
          return { ok: true, manifest: state.manifest };
        })();
        standings.set(windowTo, standing);
        void standing.then(
          (s) => !s.ok && s.transient === true && standings.delete(windowTo),
          () => standings.delete(windowTo),
        );
      }
      return standing;
    },

    async missing(after, through, call) {
      const all = await weeks(call);
      const held = new Set(all);
      const out: MissingWeek[] = [];
      for (const w of all) {
        if (w <= after) continue;
        const state = await seal.manifest(w, call);
        const link = state.kind === 'valid' ? state.manifest.previous : null;
        if (link !== null && link.windowTo > after && link.windowTo <= through && !held.has(link.windowTo)) {
          out.push({ windowTo: link.windowTo, namedBy: w });
        }
        // The first week after `through` is the last that can name one inside it.
        if (w > through) break;
      }
      return out;
    },

    async seal(window, objects, call) {
      // Fresh: what this object read before may predate another write.
      const before = (await options.weeks(call)).filter((w) => w < window.to);
      const latest = before[before.length - 1];
      let previous: WeekManifest['previous'] = null;
      if (latest !== undefined) {
        const state = await readManifest(latest, call);
        // A week whose manifest cannot be checked now cannot be chained to truthfully: fail, to be retried.
        if (state.kind === 'unchecked')
          throw state.keyError ?? new Error(`${MANIFEST_FILE} of ${latest} ${state.problem}`);
        previous = { windowTo: latest, mac: state.kind === 'valid' ? state.manifest.mac : null };
      }
      const digests: Record<string, ObjectDigest> = {};
      for (const [name, bytes] of objects) digests[name] = digest(bytes);
      const manifest: WeekManifest = { report: slug, window, objects: digests, previous };
      const { mac, keyArn } = await signer.sign(macMessage(manifest), call);
      return Buffer.from(encodeManifest({ ...manifest, mac: base64(mac), key: keyArn }), 'utf8');
    },

    forget() {
      listing = undefined;
      manifests.clear();
      standings.clear();
    },
  };
  return seal;
}
