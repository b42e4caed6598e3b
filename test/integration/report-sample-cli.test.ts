/**
 * The sample export in samples/: a generated week (and the week before it) as a Datadog audit
 * search response, so the command line can be tried with no Datadog keys. The files are the
 * generator's output for the seed below, nothing edited by hand (this test regenerates them and
 * compares their JSON; after a generator change, `UPDATE_SAMPLES=1 npx jest
 * test/integration/report-sample-cli.test.ts && npx biome format --write samples` rewrites them in
 * the repository's JSON format). Then it runs the README's commands on them, exactly as written,
 * with no Datadog variables set.
 */
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateScenario, type RawAuditEvent } from '../support/generator';
import { runReport } from '../support/report-cli';

const ROOT = join(__dirname, '../..');
const SAMPLES = join(ROOT, 'samples');
const WEEK_FILE = 'audit-week.json';
const BASELINE_FILE = 'audit-baseline.json';

/** The README's commands, word for word (`npm run -s report -- ` is the runner). */
const SAMPLE_COMMANDS = {
  summarize: ['summarize', '--input', 'samples/audit-week.json'],
  render: [
    'render',
    '--input',
    'samples/audit-week.json',
    '--baseline',
    'samples/audit-baseline.json',
    '--out',
    'out/sample',
  ],
} as const;

/**
 * The scenario's strings that test escaping (`<script>`, `<!channel>`, template syntax), which a
 * first look at the tool should not be about, replaced by ordinary ones; the non-Latin name stays.
 */
const ORDINARY: Readonly<Record<string, string>> = {
  '<!channel> <script>alert(1)</script>': 'Checkout latency review',
  '<https://evil.example|click>': 'nb-4c1f-checkout',
  '"><img src=x onerror=alert(1)>': 'Q4 capacity plan',
  '*bold* {{template}} ${x}': 'On-call handover notes',
  '<@U123ABC> 日本語 Ελληνικά العربية 🚀': '田中 由紀 (Yuki Tanaka)',
};

/** A search response holding `events`, as indented JSON. */
function searchResponse(events: readonly RawAuditEvent[]): string {
  const ordinary = (_: string, value: unknown) => (typeof value === 'string' ? (ORDINARY[value] ?? value) : value);
  return `${JSON.stringify({ data: events }, ordinary, 2)}\n`;
}

/** The sample files: a week of 372 events (MCP tool calls, MCP-driven actions, an agent's) by 12 people ending Monday 2026-11-23, and the 7 days before it. */
function sampleFiles(): Record<string, string> {
  const scenario = generateScenario({
    seed: 2026,
    end: new Date('2026-11-23T00:00:00Z'),
    weekEvents: 200,
    people: 12,
    baselineDays: 7,
  });
  return { [WEEK_FILE]: searchResponse(scenario.window), [BASELINE_FILE]: searchResponse(scenario.baseline) };
}

describe('the sample export (samples/)', () => {
  const files = sampleFiles();
  if (process.env.UPDATE_SAMPLES === '1') {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(SAMPLES, name), text);
  }

  it('is the generator week of its seed, small, with nothing that tests escaping', () => {
    for (const [name, text] of Object.entries(files)) {
      const committed = readFileSync(join(SAMPLES, name), 'utf8');
      expect({ name, json: JSON.parse(committed) }).toEqual({ name, json: JSON.parse(text) });
      expect(Buffer.byteLength(committed)).toBeLessThan(768 * 1024);
      expect(committed).not.toMatch(/<|\{\{/);
    }
    expect((JSON.parse(files[WEEK_FILE] as string) as { data: unknown[] }).data).toHaveLength(372);
  });

  describe('with the README commands, no Datadog keys', () => {
    // The commands name samples/ and out/ relative to the repository: run them from a folder of
    // their own holding samples/, so out/sample is written there, not in the checkout.
    const cwd = mkdtempSync(join(tmpdir(), 'sample-cli-'));
    symlinkSync(SAMPLES, join(cwd, 'samples'));
    const noKeys = { DD_API_KEY: '', DD_APP_KEY: '', ARCHIVE_BUCKET: '', SLACK_CHANNEL: '', ORG_NAME: '' };

    it('summarizes the sample week: its calls, people and anomalies, on stdout only', async () => {
      // Act
      const r = await runReport([...SAMPLE_COMMANDS.summarize], noKeys, { cwd });

      // Assess
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/^AI Activity Audit — Datadog org — 2026-11-16 to 2026-11-22\n/);
      expect(r.stdout).toMatch(/^Total MCP tool calls: 3\d\d$/m);
      expect(r.stdout).toMatch(/^Unique users: 12$/m);
      expect(r.stdout).toContain('[high]');
    });

    it('renders the email, the Slack post and the summary of the sample week into out/sample', async () => {
      // Act
      const r = await runReport([...SAMPLE_COMMANDS.render], noKeys, { cwd });

      // Assess: with the week before as baseline, the rules that compare with it are evaluated.
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^report: wrote out\/sample\/email\.html, /);
      const out = join(cwd, 'out', 'sample');
      expect(readdirSync(out).sort()).toEqual(['email.html', 'email.txt', 'slack.json', 'summary.json']);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      // Every kind of AI activity (the default): the planted deletion through the MCP server is a third
      // destructive action, and the agent's autonomous change has its own flag.
      expect(summary.anomaly_counts).toMatchObject({
        destructive_action: 3,
        autonomous_change: 1,
        support_user: 1,
        first_time_user: 1,
        high_volume: 1,
        out_of_scope: 1,
        new_country: 1,
      });
      expect(readFileSync(join(out, 'email.html'), 'utf8')).toContain('AI Activity Audit');
    });
  });
});
