/**
 * `manifest.json`: what seals one archived week. It lists each of the week's objects with its
 * SHA-256 and size, the week's window and report, and the previous archived week's window end
 * and MAC (a chain), and carries a MAC over all of that made with the archive's KMS HMAC key
 * (seal.ts makes and checks it; the key never leaves KMS). Anyone who can write the bucket can
 * recompute a SHA-256, but not the MAC.
 *
 * The bytes MACed are not the JSON (whose spelling is not unique) but a canonical text built from
 * the checked fields, one field a line, each line ending in LF, UTF-8:
 *
 *   ai-activity-audit.week-manifest 1
 *   report acme-corp
 *   window 2026-11-16T00:00:00.000Z 2026-11-23T00:00:00.000Z
 *   previous 2026-11-09T00:00:00.000Z mac:<base64 of the previous week's MAC>
 *   object aggregate.json.gz sha256:<64 hex> 1834
 *   object email.html sha256:<64 hex> 41210
 *   …                                 (one line per object, by name)
 *
 * `previous` is `previous none` for the first week of a report's archive, and
 * `previous <window end> unsigned` when the week before it had no verifiable manifest when this
 * one was written (a week archived before MACs existed). No field can hold a space or a line
 * break (each is checked), so the text has exactly one reading.
 */
import { createHash } from 'node:crypto';
import { count, Invalid, isoTime, isPlainObject, object, oneOf, text } from './checks';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_KIND = 'ai-activity-audit.week-manifest';
export const MANIFEST_SCHEMA = 1;
/** A manifest is under 2 KB; 64 KB is a cap, not a size. */
export const MANIFEST_CAP = 64_000;
/** What KMS computes with an HMAC_256 key. */
export const MANIFEST_ALGORITHM = 'HMAC_SHA_256';

/** One object of the week as its manifest records it. */
export interface ObjectDigest {
  /** Lower-case hex. */
  readonly sha256: string;
  readonly bytes: number;
}

/** The link to the archived week before: its window end and its MAC (null when it had none that verified). */
export interface ChainLink {
  readonly windowTo: string;
  readonly mac: string | null;
}

/** What the MAC covers. */
export interface WeekManifest {
  /** The report's name in keys (report-archive.ts `reportSlug`). */
  readonly report: string;
  readonly window: { readonly from: string; readonly to: string };
  /** By file name. */
  readonly objects: Readonly<Record<string, ObjectDigest>>;
  /** Null for the first week of the report's archive. */
  readonly previous: ChainLink | null;
}

/** A manifest with its MAC (base64) and the key that made it (KMS's ARN, for people: the check uses the configured key). */
export interface SealedManifest extends WeekManifest {
  readonly mac: string;
  readonly key: string;
}

/** An object's digest. */
export function digest(bytes: Uint8Array): ObjectDigest {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** Base64 of a 32-byte HMAC-SHA-256. */
const MAC_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
/** An instant as the archive's keys spell it (`toISOString`): one spelling per instant, so the chain compares them as text. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `value` if it matches `re`; a field that could hold a space or a line break would give the text two readings. */
function field(value: string, re: RegExp, what: string): string {
  if (!re.test(value)) throw new Error(`a week manifest's ${what} is not of its form`);
  return value;
}

/** The canonical text the MAC is made over (see the top of this file); throws on a field not of its form. */
export function macMessage(manifest: WeekManifest): Uint8Array {
  const previous =
    manifest.previous === null
      ? 'none'
      : `${field(manifest.previous.windowTo, ISO_INSTANT, 'previous week')} ${
          manifest.previous.mac === null
            ? 'unsigned'
            : `mac:${field(manifest.previous.mac, MAC_BASE64, 'previous MAC')}`
        }`;
  const lines = [
    `${MANIFEST_KIND} ${MANIFEST_SCHEMA}`,
    `report ${field(manifest.report, SLUG, 'report')}`,
    `window ${field(manifest.window.from, ISO_INSTANT, 'window')} ${field(manifest.window.to, ISO_INSTANT, 'window')}`,
    `previous ${previous}`,
    ...Object.keys(manifest.objects)
      .sort()
      .map((name) => {
        const o = manifest.objects[name] as ObjectDigest;
        if (!Number.isSafeInteger(o.bytes) || o.bytes < 0) throw new Error("a week manifest's size is not a count");
        return `object ${field(name, FILE_NAME, 'object name')} sha256:${field(o.sha256, HEX_SHA256, 'SHA-256')} ${o.bytes}`;
      }),
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** The JSON text of `manifest.json`. */
export function encodeManifest(manifest: SealedManifest): string {
  const objects = Object.fromEntries(
    Object.keys(manifest.objects)
      .sort()
      .map((name) => [name, manifest.objects[name]]),
  );
  return `${JSON.stringify(
    {
      kind: MANIFEST_KIND,
      schema: MANIFEST_SCHEMA,
      report: manifest.report,
      window: manifest.window,
      objects,
      previous:
        manifest.previous === null ? null : { window_to: manifest.previous.windowTo, mac: manifest.previous.mac },
      algorithm: MANIFEST_ALGORITHM,
      key: manifest.key,
      mac: manifest.mac,
    },
    null,
    2,
  )}\n`;
}

const pattern =
  (re: RegExp, what: string) =>
  (value: unknown, at: string): string => {
    if (typeof value !== 'string' || !re.test(value)) throw new Invalid(at, `is not ${what}`);
    return value;
  };

/** An instant in the keys' spelling. */
const instant = (value: unknown, at: string): string =>
  pattern(ISO_INSTANT, 'an ISO time as the archive writes them')(isoTime(value, at), at);

const digestCheck = object({ sha256: pattern(HEX_SHA256, 'a SHA-256 in hex'), bytes: count });

const manifestCheck = object({
  report: pattern(SLUG, "a report's name in keys"),
  window: object({ from: instant, to: instant }),
  objects: (value: unknown, at: string) => {
    if (!isPlainObject(value)) throw new Invalid(at, 'is not an object');
    const entries = Object.entries(value);
    if (entries.length === 0 || entries.length > 32) throw new Invalid(at, 'does not list 1 to 32 objects');
    const out: Record<string, ObjectDigest> = {};
    for (const [name, entry] of entries) {
      if (!FILE_NAME.test(name))
        throw new Invalid(at, `names an object that is not a file name (${name.slice(0, 40)})`);
      out[name] = digestCheck(entry, `${at}.${name}`);
    }
    return out;
  },
  previous: (value: unknown, at: string): ChainLink | null => {
    if (value === null) return null;
    const link = object({
      window_to: instant,
      mac: (v: unknown, a: string) => (v === null ? null : pattern(MAC_BASE64, 'a MAC in base64')(v, a)),
    })(value, at);
    return { windowTo: link.window_to, mac: link.mac };
  },
  algorithm: oneOf([MANIFEST_ALGORITHM]),
  key: text(2048),
  mac: pattern(MAC_BASE64, 'a MAC in base64'),
});

/** The manifest in a parsed `manifest.json`, checked; throws Invalid naming the first problem. */
export function checkManifest(value: unknown): SealedManifest {
  if (!isPlainObject(value) || value.kind !== MANIFEST_KIND) throw new Invalid('', 'is not a week manifest');
  if (value.schema !== MANIFEST_SCHEMA) {
    throw new Invalid('schema', `is ${JSON.stringify(value.schema)} (this version reads ${MANIFEST_SCHEMA})`);
  }
  const m = manifestCheck(value, '');
  if (Date.parse(m.window.from) >= Date.parse(m.window.to)) throw new Invalid('window', 'does not end after it starts');
  if (m.previous !== null && Date.parse(m.previous.windowTo) >= Date.parse(m.window.to)) {
    throw new Invalid('previous.window_to', 'is not before the week');
  }
  return {
    report: m.report,
    window: { from: m.window.from, to: m.window.to },
    objects: m.objects,
    previous: m.previous,
    mac: m.mac,
    key: m.key,
  };
}
