/**
 * Where credentials may be sent (config/api-url.ts): an API base URL is https:, or plain http to a
 * loopback stand-in only; the rule holds at cold start (DD_API_URL, SLACK_API_URL, naming the
 * variable) and in the Datadog client itself (the command line's DD_API_URL), which also refuses
 * a key a request header could not carry, before any request. No network.
 */
import { createDatadogClient } from '../../../functions/weekly-report/adapters/datadog/client';
import { apiBaseUrlProblem } from '../../../functions/weekly-report/config/api-url';
import { readEnv } from '../../../functions/weekly-report/config/env';
import { ConfigError } from '../../../functions/weekly-report/errors';

const ENV = {
  ORG_NAME: 'Acme',
  EMAIL_FROM: 'audit@example.com',
  EMAIL_TO: 'security@example.com',
  IDEMPOTENCY_TABLE: 'deliveries',
};
const KEYS = { apiKey: 'c0ffee00c0ffee00c0ffee00c0ffee00', appKey: 'decafbaddecafbaddecafbaddecafbaddecafbad' };

describe('apiBaseUrlProblem', () => {
  it.each([
    'https://api.datadoghq.eu',
    'https://proxy.internal.example:8443/datadog/',
    'http://127.0.0.1:4010',
    'http://[::1]:4010/api/',
    'http://localhost:4010',
    'http://LOCALHOST:4010',
  ])('accepts %s', (url) => {
    // Act
    const problem = apiBaseUrlProblem(url);

    // Assess
    expect(problem).toBeUndefined();
  });

  it.each([
    ['http://api.datadoghq.com', /^must be https: \(plain http only to 127\.0\.0\.1, ::1 or localhost/],
    ['http://127.0.0.2:4010', /^must be https:/],
    ['http://localhost.attacker.example', /^must be https:/],
    ['ftp://api.datadoghq.com', /^must be an https: URL, not ftp:/],
    ['api.datadoghq.com', /^is not a URL/],
  ])('refuses %s', (url, expected) => {
    // Act
    const problem = apiBaseUrlProblem(url);

    // Assess
    expect(problem).toMatch(expected);
  });
});

describe('readEnv', () => {
  it('refuses a plain-http DD_API_URL or SLACK_API_URL to another host, naming the variable', () => {
    // Prepare
    const env = { ...ENV, DD_API_URL: 'http://dd-proxy.example', SLACK_API_URL: 'http://slack-proxy.example/api/' };

    // Act
    const read = () => readEnv(env);

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/DD_API_URL must be https: .*\n- SLACK_API_URL must be https: /);
  });
});

describe('createDatadogClient', () => {
  it('refuses a plain-http base URL to another host before any request', () => {
    // Prepare
    const make = () => createDatadogClient({ ...KEYS, baseUrl: 'http://dd-proxy.example', fetch: () => never() });

    // Act, Assess
    expect(make).toThrow(/The Datadog base URL \(DD_API_URL\) must be https:/);
  });

  it.each([
    ['API key (DD_API_KEY)', { apiKey: `${KEYS.apiKey.slice(0, 16)}\n${KEYS.apiKey.slice(16)}` }],
    ['application key (DD_APP_KEY)', { appKey: `${KEYS.appKey}\r` }],
    ['application key (DD_APP_KEY)', { appKey: `${KEYS.appKey.slice(0, 20)} ${KEYS.appKey.slice(20)}` }],
    ['API key (DD_API_KEY)', { apiKey: `${KEYS.apiKey}\0` }],
  ])('refuses an %s a header could not carry, without quoting it', (name, keys) => {
    // Prepare
    const make = () => createDatadogClient({ ...KEYS, ...keys, fetch: () => never() });

    // Act
    let message = '';
    try {
      make();
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toContain(`The Datadog ${name} holds a line break, a control character or a space`);
    expect(message).not.toContain(KEYS.apiKey.slice(0, 16));
    expect(message).not.toContain(KEYS.appKey.slice(0, 20));
  });
});

/** A transport that must never be called. */
function never(): Promise<never> {
  throw new Error('no request may be made');
}
