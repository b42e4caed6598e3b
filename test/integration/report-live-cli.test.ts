/**
 * `report summarize` and `report preview` without --input: the real CLI process fetches from the
 * Datadog audit API emulator over 127.0.0.1 (DD_API_URL), exactly as it would from Datadog.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatadogEmulator, startDatadogEmulator } from '../support/datadog-emulator';
import { generateScenario } from '../support/generator';

const ROOT = join(__dirname, '../..');
const END = new Date('2026-11-23T09:00:00Z');

/** Runs the CLI asynchronously (the emulator lives in this process and must keep serving). */
function report(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The real entry point, as `npm run -s report -- …` runs it (it builds dist/cli/ first when stale).
    const child = spawn(process.execPath, [join(ROOT, 'scripts/report.cjs'), ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('report CLI against Datadog (emulated)', () => {
  let datadog: DatadogEmulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    const scenario = generateScenario({ seed: 9, end: END });
    datadog = await startDatadogEmulator({ events: [...scenario.baseline, ...scenario.window] });
    env = { DD_API_URL: datadog.url, DD_API_KEY: datadog.apiKey, DD_APP_KEY: datadog.appKey };
  });
  afterAll(async () => {
    await datadog?.close();
  });

  it('summarizes the window and its baseline fetched live', async () => {
    const from = new Date(END.getTime() - 7 * 86_400_000).toISOString();
    const r = await report(['summarize', '--from', from, '--to', END.toISOString(), '--format', 'json'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.window).toEqual({ from, to: END.toISOString() });
    expect(s.complete).toBe(true);
    expect(s.total_tool_calls).toBeGreaterThan(1000);
    expect(s.baseline.events).toBeGreaterThan(1000);
    expect(s.previous_window.total_tool_calls).toBeGreaterThan(0);
    expect(s.anomaly_counts.first_time_user).toBeGreaterThan(0);
  });

  it('previews into a folder, printing the report and sending nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'preview-'));
    const r = await report(['preview', '--to', END.toISOString(), '--out', out, '--org', 'Acme'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^AI Activity Audit — Acme — 2026-11-16 to 2026-11-23\n/);
    expect(r.stdout).toContain('nothing was sent');
    for (const f of ['email.html', 'email.txt', 'slack.json', 'summary.json'])
      expect(existsSync(join(out, f))).toBe(true);
    const slack = JSON.parse(readFileSync(join(out, 'slack.json'), 'utf8'));
    // Exactly chat.postMessage arguments, and never a token.
    expect(Object.keys(slack)).toEqual(expect.arrayContaining(['channel', 'text', 'blocks', 'unfurl_links']));
    for (const key of Object.keys(slack))
      expect(['channel', 'text', 'blocks', 'unfurl_links', 'unfurl_media']).toContain(key);
    expect(slack.unfurl_links).toBe(false);
  });

  it('says which variables are missing, and names the scope, without a key', async () => {
    const r = await report(['summarize'], { DD_API_URL: datadog.url, DD_API_KEY: '', DD_APP_KEY: '' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'report: without --input, events come from Datadog: set DD_API_KEY and DD_APP_KEY (scope audit_logs_read)',
    );
  });

  it('fails with one clear line when Datadog refuses the keys', async () => {
    const r = await report(['summarize'], { ...env, DD_APP_KEY: 'wrong-app-key-secret' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/audit_logs_read/);
    expect(r.stderr).not.toContain('wrong-app-key-secret');
  });
});
