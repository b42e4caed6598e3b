/**
 * The commands that write the reports document into the function's bundle: run through
 * `bash -c`, as NodejsFunction's local bundling runs each afterBundling command, they must write
 * the content byte for byte whatever it holds, and refuse what the shell could not carry.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_ENCODED_FILE_BYTES, writeBundledFilesCommands } from '../../infra/bundled-files';

describe('writeBundledFilesCommands', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled files '));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes each file byte for byte, whatever quotes, $, backticks, newlines or non-ASCII it holds', () => {
    // Prepare
    const awkward = JSON.stringify({
      orgName: `O'Brien "&" Söhne $HOME \`id\` \\n ; rm -rf / #`,
      text: 'line 1\nline 2\r\n\ttab ✓ 日本',
    });
    const files = { 'reports.json': awkward, 'empty.txt': '' };

    // Act
    for (const command of writeBundledFilesCommands(dir, files)) execFileSync('bash', ['-c', command]);

    // Assess
    expect(fs.readFileSync(path.join(dir, 'reports.json'), 'utf8')).toBe(awkward);
    expect(fs.readFileSync(path.join(dir, 'empty.txt'), 'utf8')).toBe('');
    expect(fs.readdirSync(dir).sort()).toEqual(['empty.txt', 'reports.json']);
  });

  it('carries a large repetitive document in a command well under the 128 KiB a shell argument takes', () => {
    // Prepare: 500 KB of JSON that repeats itself, like dozens of reports with the same thresholds
    const content = JSON.stringify(
      Array.from({ length: 2000 }, (_, i) => ({ name: `report-${i}`, x: 'y'.repeat(200) })),
    );

    // Act
    const [command] = writeBundledFilesCommands(dir, { 'reports.json': content });
    execFileSync('bash', ['-c', command ?? '']);

    // Assess
    expect(content.length).toBeGreaterThan(400_000);
    expect(command?.length).toBeLessThan(64 * 1024);
    expect(fs.readFileSync(path.join(dir, 'reports.json'), 'utf8')).toBe(content);
  });

  it('refuses a file name that is not a plain name, and a file too large for one command', () => {
    // Prepare: random bytes do not compress
    const noise = Array.from({ length: 12_000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join('');

    // Act + Assess
    expect(() => writeBundledFilesCommands(dir, { '../reports.json': '{}' })).toThrow(/is not a plain name/);
    expect(() => writeBundledFilesCommands(dir, { 'a b.json': '{}' })).toThrow(/is not a plain name/);
    expect(() => writeBundledFilesCommands(dir, { 'reports.json': noise.repeat(2) })).toThrow(
      new RegExp(`bundled file reports.json takes \\d+ bytes encoded; at most ${MAX_ENCODED_FILE_BYTES} fit`),
    );
  });
});
