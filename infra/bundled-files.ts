/**
 * Files the stack writes into the function's bundle at synth, next to the handler (the reports
 * document). NodejsFunction's afterBundling hook takes shell commands, run one by one as
 * `bash -c <command>` (`cmd /c` on Windows), so each file travels inside its command: gzipped,
 * so that dozens of similar reports take a few KB, then base64, so no quote, `$`, newline or
 * non-ASCII character in it can break the shell. Linux takes one argument of at most 128 KiB
 * (MAX_ARG_STRLEN), hence a limit on the encoded size, checked at synth with the other settings.
 */
import { gzipSync } from 'node:zlib';

/** The longest encoded file a command may carry: 128 KiB less room for the script and the output path. */
export const MAX_ENCODED_FILE_BYTES = 120 * 1024;

/** Reads its arguments (directory, name, base64 of the gzipped content) and writes the file. */
const WRITE_SCRIPT =
  "const[d,n,b]=process.argv.slice(1);require('fs').writeFileSync(require('path').join(d,n),require('zlib').gunzipSync(Buffer.from(b,'base64')))";

/** The content as the command carries it. Level 9 and no timestamp: the same content gives the same text. */
export function encodeBundledFile(content: string): string {
  return gzipSync(Buffer.from(content, 'utf8'), { level: 9 }).toString('base64');
}

/**
 * One shell command per file that writes it into `dir` (NodejsFunction's `outputDir`).
 * @throws Error when a file name is not a plain name or a file is too large for one command
 */
export function writeBundledFilesCommands(dir: string, files: Readonly<Record<string, string>>): string[] {
  return Object.entries(files).map(([name, content]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new Error(`bundled file name ${JSON.stringify(name)} is not a plain name`);
    const encoded = encodeBundledFile(content);
    if (encoded.length > MAX_ENCODED_FILE_BYTES) {
      throw new Error(
        `bundled file ${name} takes ${encoded.length} bytes encoded; at most ${MAX_ENCODED_FILE_BYTES} fit`,
      );
    }
    return `node -e "${WRITE_SCRIPT}" "${dir}" ${name} ${encoded}`;
  });
}
