/**
 * The command line's side of the redaction point (functions/weekly-report/redact.ts): the
 * Datadog keys it reads from the environment are registered there, and everything it writes to
 * stdout and stderr passes through it, so a key pasted where it does not belong (an option's
 * value, a URL) or quoted by an error is printed as `[redacted]`. Installed once, at the start of
 * `main`; while no key is set it writes what it is given.
 */
import { redact, registerSecret } from '../functions/weekly-report/redact';

let installed = false;

/** Registers `secrets` (unset ones are skipped) and masks every later write to stdout and stderr. */
export function maskProcessOutput(secrets: ReadonlyArray<string | undefined>): void {
  for (const secret of secrets) registerSecret(secret);
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(maskChunk(chunk), ...rest)) as typeof stream.write;
  }
}

/** A chunk with its secrets masked: text as text; bytes read as UTF-8, and kept as they came when they hold none. */
function maskChunk(chunk: unknown): unknown {
  if (typeof chunk === 'string') return redact(chunk);
  if (chunk instanceof Uint8Array) {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    const masked = redact(text);
    return masked === text ? chunk : Buffer.from(masked, 'utf8');
  }
  return chunk;
}
