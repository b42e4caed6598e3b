/**
 * The credentials secret's `teamsWebhooks` (adapters/secrets.ts) and the preflight's Teams check
 * (preflight/teams.ts): each entry is checked on its own (https, not a retired Office 365
 * connector, no user name, one line), a bad one fails only its channel and never the secret, the
 * URL's secret part is masked wherever it is written, and the check fails a missing or unusable URL
 * naming the fix and otherwise skips, saying that a workflow cannot be called without posting.
 */
import { parseCredentials, parseTeamsWebhooks, teamsWebhookOf } from '../../functions/weekly-report/adapters/secrets';
import type { ReportDefinition } from '../../functions/weekly-report/config/report-definitions';
import type { Credentials } from '../../functions/weekly-report/ports';
import { teamsChecks } from '../../functions/weekly-report/preflight/teams';
import { forgetSecrets, redact } from '../../functions/weekly-report/redact';
import { testReport } from '../support/report-definition';

const SECRET_ID = 'ai-activity-audit/credentials';
const KEYS = { ddApiKey: 'c0ffee00c0ffee00c0ffee00c0ffee00', ddAppKey: 'decafbaddecafbaddecafbaddecafbaddecafbad' };
const SIG = 'Xq3vM1nR8sT0uW2yZ4aB6cD8eF0gH2iJ4kL6mN8oP0q';
const WORKFLOW =
  'https://prod-12.westeurope.logic.azure.com:443/workflows/0a1cf518606447afaa5483dfb2355c3f/triggers/manual/paths/invoke';
const URL_OK = `${WORKFLOW}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;

afterEach(() => forgetSecrets());

describe("the secret's teamsWebhooks", () => {
  it('reads each channel on its own: a bad entry is a problem of its channel, never a failed secret', () => {
    // Prepare
    const text = JSON.stringify({
      ...KEYS,
      teamsWebhooks: {
        security: ` ${URL_OK}\n`,
        plain: 'http://prod-1.westeurope.logic.azure.com/workflows/x?sig=abc',
        retired: 'https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456',
        spaced: 'https://prod-1.logic.azure.com/x y',
        empty: '',
        user: 'https://me:pw@prod-1.logic.azure.com/workflows/x',
        'bad name': URL_OK,
      },
    });

    // Act
    const credentials = parseCredentials(text, SECRET_ID);

    // Assess
    expect(credentials.teamsWebhooks?.urls).toEqual({ security: URL_OK });
    const problems = credentials.teamsWebhooks?.problems ?? {};
    expect(problems.plain).toMatch(/^teamsWebhooks\.plain must be https:/);
    expect(problems.retired).toMatch(
      /Office 365 connector's incoming webhook, which Microsoft retired: create a workflow/,
    );
    expect(problems.spaced).toMatch(/holds a space, a line break or a control character/);
    expect(problems.empty).toMatch(/must be the workflow's URL, a non-empty string/);
    expect(problems.user).toMatch(/carries a user name or password/);
    expect(problems['bad name']).toMatch(/a channel name is 1-64 of letters, digits, _ and -/);
    for (const problem of Object.values(problems)) expect(problem).not.toMatch(/abc|x y|me:pw|workflows/);
  });

  it('names what is missing for a channel, and the whole map when it is not an object', () => {
    // Act
    const none = teamsWebhookOf({}, 'security');
    const absent = teamsWebhookOf({ teamsWebhooks: parseTeamsWebhooks({ other: URL_OK }) }, 'security');
    const notMap = teamsWebhookOf({ teamsWebhooks: parseTeamsWebhooks(URL_OK) }, 'security');
    const found = teamsWebhookOf({ teamsWebhooks: parseTeamsWebhooks({ security: URL_OK }) }, 'security');

    // Assess
    expect(none).toEqual({
      problem: expect.stringMatching(/has no teamsWebhooks: add \{"teamsWebhooks": \{"security": "https:\/\/…"\}\}/),
    });
    expect(absent).toEqual({
      problem: expect.stringMatching(/has no entry "security": add "security": "https:\/\/…"/),
    });
    expect(notMap).toEqual({
      problem: expect.stringMatching(/^teamsWebhooks must be an object of channel name → URL/),
    });
    expect(found).toEqual({ url: URL_OK });
  });

  it('masks the URL wherever it is written, and its signature alone, but not its host', () => {
    // Prepare
    parseCredentials(JSON.stringify({ ...KEYS, teamsWebhooks: { security: URL_OK } }), SECRET_ID);

    // Act
    const masked = redact(`posting to ${URL_OK} failed; sig=${SIG}; ${encodeURIComponent(URL_OK)}`);

    // Assess
    expect(masked).not.toContain(SIG);
    expect(masked).not.toContain('0a1cf518606447afaa5483dfb2355c3f');
    expect(masked).not.toContain('/triggers/manual');
    expect(masked).toContain('https://prod-12.westeurope.logic.azure.com:443[redacted]');
  });
});

describe('the preflight check of Teams webhooks', () => {
  const reports: ReportDefinition[] = [
    testReport({ org: 'Acme', name: 'security', msTeams: { channel: 'security' } }),
    testReport({ org: 'Acme', name: 'sre', msTeams: { channel: 'security' } }),
    testReport({ org: 'Acme', name: 'platform', msTeams: { channel: 'platform' } }),
    testReport({ org: 'Acme', name: 'mail-only' }),
  ];
  const source = (credentials: Credentials | Error) => ({
    target: `secret ${SECRET_ID}`,
    load: () => (credentials instanceof Error ? Promise.reject(credentials) : Promise.resolve(credentials)),
    fixFor: () => 'fix the secret',
  });

  it('checks each channel once, naming its reports; a present https URL is a skip that says it was not called', async () => {
    // Prepare
    const checks = teamsChecks(
      reports,
      source({ ...KEYS, teamsWebhooks: parseTeamsWebhooks({ security: URL_OK, platform: 'http://x.example/w' }) }),
    );

    // Act
    const verdicts = await Promise.all(checks.map((c) => c.run(Date.now() + 1_000)));

    // Assess
    expect(checks.map((c) => [c.name, c.target])).toEqual([
      ['teams webhook', 'teamsWebhooks.security, for security and sre'],
      ['teams webhook', 'teamsWebhooks.platform, for platform'],
    ]);
    expect(verdicts[0]).toEqual({
      status: 'skip',
      detail: expect.stringMatching(
        /^URL present \(https, prod-12\.westeurope\.logic\.azure\.com\); not called: a Teams workflow takes no request that posts nothing/,
      ),
      fix: expect.any(String),
    });
    expect(verdicts[1]).toEqual({
      status: 'fail',
      detail: expect.stringMatching(/^teamsWebhooks\.platform must be https:/),
      fix: expect.stringMatching(
        /"teamsWebhooks": \{"platform": "https:\/\/…"\} in secret ai-activity-audit\/credentials/,
      ),
    });
    expect(JSON.stringify(verdicts)).not.toContain(SIG);
  });

  it('fails a channel missing from the secret, and skips when the credentials cannot be read', async () => {
    // Act
    const [missing] = await Promise.all(teamsChecks(reports.slice(0, 1), source(KEYS)).map((c) => c.run(0)));
    const [unread] = await Promise.all(
      teamsChecks(reports.slice(0, 1), source(new Error('AccessDenied'))).map((c) => c.run(0)),
    );

    // Assess
    expect(missing).toEqual(
      expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/has no teamsWebhooks/) }),
    );
    expect(unread).toEqual({ status: 'skip', detail: 'the credentials could not be read (see the credentials check)' });
  });
});
