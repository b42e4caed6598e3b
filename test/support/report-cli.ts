/**
 * Runs the real `report` entry point (scripts/report.cjs, as `npm run -s report -- …` does; it
 * builds dist/cli/ first when stale) as a child process, asynchronously, so an emulator living in
 * the test's own process keeps serving while it runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

export interface ReportRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runReport(
  args: string[],
  env: Record<string, string> = {},
  options: { readonly cwd?: string; readonly stdin?: string | Buffer } = {},
): Promise<ReportRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/report.cjs'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    });
    child.stdin.end(options.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
