/**
 * The function as it deploys: the bundle the stack's local bundling builds
 * (scripts/lib/function-bundle.cjs, with the slim Datadog client), run in a fresh Node process as
 * Lambda runs it (`index.handler`, NODE_OPTIONS=--enable-source-maps) against the stand-ins of
 * test/support/handler-harness.ts, for one report end to end. Also: its size, what it leaves out
 * (the fetch polyfills, and with them the `punycode` that Node 24 warns about), and that loading
 * and running it prints no warning; Node 20 reports the `punycode` deprecation only with
 * --pending-deprecation, which the run sets. REPORT_TEST_NODE=/path/to/node (Node 24, say) runs
 * the same process under that Node as well.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { functionBundle, PROJECT_ROOT } from '../../infra/report-function';
import { EVENT, logLines, nonJsonLines, useHandlerHarness } from '../support/handler-harness';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const harness = useHandlerHarness();

/** Loads the bundle as Lambda does, invokes `index.handler` once, and writes its result to RESULT_FILE. */
const INVOKE = `
const started = Date.now();
const { handler } = require(process.env.BUNDLE);
const context = {
  awsRequestId: 'req-built-bundle', functionName: 'weekly-report', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:weekly-report', memoryLimitInMB: '1024',
  logGroupName: '/aws/lambda/weekly-report', logStreamName: 'local', callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 120000 - (Date.now() - started),
};
handler(JSON.parse(process.env.EVENT), context).then(
  (result) => require('node:fs').writeFileSync(process.env.RESULT_FILE, JSON.stringify(result)),
  (error) => { console.error(error); process.exitCode = 1; },
);
`;

describe('the built function bundle', () => {
  let dir: string;
  let bundle: string;
  let metafile: Metafile;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-bundle-'));
    const result = await functionBundle.buildFunction({ outdir: dir, overrides: { logLevel: 'silent' } });
    bundle = path.join(dir, functionBundle.BUNDLE_FILE);
    metafile = result.metafile;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes at most 1.5 MiB and leaves out the fetch polyfills, pako and punycode', () => {
    // Act
    const bytes = fs.statSync(bundle).size;
    const packages = Object.keys(metafile.inputs).filter((input) =>
      /node_modules\/(cross-fetch|node-fetch|whatwg-url|tr46|punycode|pako)\//.test(input),
    );

    // Assess
    expect(bytes).toBeLessThanOrEqual(1.5 * MIB);
    expect(packages).toEqual([]);
    expect(fs.readFileSync(bundle, 'utf8')).not.toMatch(/require\(["']punycode["']\)/);
    // The slim serializer: a few dozen of the client's ~6,200 v2 models, not all of them.
    const models = Object.keys(metafile.inputs).filter((input) =>
      /datadog-api-client-v2\/models\/\w+\.js$/.test(input),
    );
    expect(models.length).toBeGreaterThan(20);
    expect(models.length).toBeLessThan(200);
  });

  const nodes = [process.execPath, ...(process.env.REPORT_TEST_NODE ? [process.env.REPORT_TEST_NODE] : [])];
  it.each(nodes)(
    'delivers one report end to end in a fresh process of %s, printing nothing but JSON log lines',
    async (node) => {
      // Prepare
      const env = harness().appEnv();
      const resultFile = path.join(dir, `result-${path.basename(node)}-${Date.now()}.json`);

      // Act
      const { stdout, stderr } = await run(node, ['--pending-deprecation', '-e', INVOKE], {
        env: {
          ...process.env,
          ...env,
          NODE_OPTIONS: '--enable-source-maps',
          BUNDLE: bundle,
          EVENT: JSON.stringify(EVENT),
          RESULT_FILE: resultFile,
        },
        timeout: 60_000,
        maxBuffer: 16 * MIB,
      });

      // Assess
      expect(stderr).toBe('');
      expect(nonJsonLines(stdout)).toEqual([]);
      const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
      expect(result.channels).toEqual([
        { channel: 'email', outcome: 'delivered' },
        { channel: 'slack', outcome: 'delivered' },
        { channel: 'slack_thread', outcome: 'delivered' },
      ]);
      expect(result.totalToolCalls).toBeGreaterThan(0);
      const emails = await harness().emailsOf(env.ORG_NAME as string);
      expect(emails).toHaveLength(1);
      expect(emails[0]?.html).toMatch(/<html/i);
      expect(emails[0]?.text).toContain(String(result.totalToolCalls));
      const posts = harness().postsOf(env.ORG_NAME as string);
      expect(posts).toHaveLength(1);
      const replies = harness().repliesOf(env.ORG_NAME as string);
      expect(replies).toHaveLength(1);
      expect(replies[0]?.thread_ts).toBe(posts[0]?.ts);
      const outcomes = logLines(stdout).filter((l) => l.message === 'channel_outcome');
      expect(outcomes.map((l) => `${l.channel}:${l.outcome}`).sort()).toEqual([
        'email:delivered',
        'slack:delivered',
        'slack_thread:delivered',
      ]);
    },
  );
});

describe('the slim Datadog client (scripts/lib/slim-datadog-client.cjs, in both bundles)', () => {
  const { SLIM_CLIENT_PLUGINS } = require('../../scripts/lib/slim-datadog-client.cjs') as {
    SLIM_CLIENT_PLUGINS: import('esbuild').Plugin[];
  };
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slim-client-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Bundles `source` with the slim client's plugins and loads it. */
  async function load(name: string, source: string): Promise<Record<string, unknown>> {
    const entry = path.join(dir, `${name}.ts`);
    fs.writeFileSync(entry, source);
    const { build } = await import('esbuild');
    await build({
      ...functionBundle.FUNCTION_BUILD_OPTIONS,
      entryPoints: [entry],
      outfile: path.join(dir, `${name}.js`),
      plugins: SLIM_CLIENT_PLUGINS,
      // The entry sits in a temporary directory; the client comes from the project's packages.
      nodePaths: [path.join(PROJECT_ROOT, 'node_modules')],
      logLevel: 'silent',
    });
    return require(path.join(dir, `${name}.js`)) as Record<string, unknown>;
  }

  const API = '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis';

  it('refuses, by name, an operation it leaves out, instead of sending it with its models missing', async () => {
    // Prepare
    const client = await load(
      'left-out',
      `export { AuditApi } from '${API}/AuditApi';\nexport { createConfiguration } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common';\n`,
    );
    const AuditApi = client.AuditApi as new (
      configuration: unknown,
    ) => Record<string, (p: unknown) => Promise<unknown>>;
    const createConfiguration = client.createConfiguration as (c: unknown) => unknown;
    const api = new AuditApi(createConfiguration({ authMethods: { apiKeyAuth: 'k', appKeyAuth: 'a' } }));

    // Act + Assess
    expect(() => api.listAuditLogs?.({})).toThrow(
      /AuditApi\.listAuditLogs is left out of the slim client; add it to SLIM_APIS in scripts\/lib\/slim-datadog-client\.cjs/,
    );
    expect(typeof api.searchAuditLogs).toBe('function');
  });

  it('fails the build for a v2 API it does not know, naming the list to add it to', async () => {
    // Act
    const built = load('unknown-api', `export { UsersApi } from '${API}/UsersApi';\n`);

    // Assess
    await expect(built).rejects.toThrow(
      /UsersApi is imported but not in SLIM_APIS; update scripts\/lib\/slim-datadog-client\.cjs/,
    );
  });
});
