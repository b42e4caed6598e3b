/**
 * parseCredentials: the credentials secret's shape, field by field (Datadog API key 32 hex
 * characters, application key 40 or a ddapp_/ddpat_/ddsat_ token, Slack bot token xoxb-…), with
 * errors that name fields and never values; every value read is registered with the redaction
 * point, refused or not.
 */
import { parseCredentials } from '../../functions/weekly-report/adapters/secrets';
import { SecretError } from '../../functions/weekly-report/errors';
import { forgetSecrets, REDACTED, redact } from '../../functions/weekly-report/redact';

const SECRET_ID = 'ai-activity-audit/credentials';
const API_KEY = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const APP_KEY = 'decafbaddecafbaddecafbaddecafbaddecafbad';
const TOKEN = 'xoxb-1234567890-0987654321-MarkedTokenValue42';

/** The error `parse` throws (the test fails if it does not). */
function refusal(parse: () => unknown): Error {
  try {
    parse();
  } catch (e) {
    return e as Error;
  }
  throw new Error('accepted');
}

afterEach(() => forgetSecrets());

describe('parseCredentials', () => {
  it('reads the keys and the optional Slack token, dropping spaces and line breaks around them', () => {
    // Prepare
    const text = JSON.stringify({ ddApiKey: ` ${API_KEY}\n`, ddAppKey: APP_KEY, slackBotToken: `${TOKEN}\r\n` });

    // Act
    const credentials = parseCredentials(text, SECRET_ID);

    // Assess
    expect(credentials).toEqual({ ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: TOKEN });
  });

  it('accepts a secret without a Slack token, and the documented prefixed application keys and tokens', () => {
    // Prepare
    const texts = ['ddapp_AbC123-xyz_0987654321', 'ddpat_0123456789abcdef', 'ddsat_ZYXW.vuts~rq+po/nm='].map(
      (ddAppKey) => JSON.stringify({ ddApiKey: API_KEY, ddAppKey }),
    );

    // Act
    const read = texts.map((text) => parseCredentials(text, SECRET_ID));

    // Assess
    expect(read.map((c) => c.ddAppKey)).toEqual([
      'ddapp_AbC123-xyz_0987654321',
      'ddpat_0123456789abcdef',
      'ddsat_ZYXW.vuts~rq+po/nm=',
    ]);
    expect(read.every((c) => c.slackBotToken === undefined)).toBe(true);
  });

  it.each([
    ['a missing ddAppKey', { ddApiKey: API_KEY }, /ddAppKey is missing/],
    ['an empty ddApiKey', { ddApiKey: '', ddAppKey: APP_KEY }, /ddApiKey is missing/],
    ['a non-string token', { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: 5 }, /slackBotToken must be/],
    [
      'an API key with a line feed inside',
      { ddApiKey: `${API_KEY.slice(0, 16)}\n${API_KEY.slice(16)}`, ddAppKey: APP_KEY },
      /ddApiKey holds a line break: store 32 lower-case hexadecimal/,
    ],
    [
      'an application key with a carriage return inside',
      { ddApiKey: API_KEY, ddAppKey: `${APP_KEY.slice(0, 20)}\r${APP_KEY.slice(20)}` },
      /ddAppKey holds a line break/,
    ],
    [
      'an API key with a NUL inside',
      { ddApiKey: `${API_KEY.slice(0, 16)}\0${API_KEY.slice(16)}`, ddAppKey: APP_KEY },
      /ddApiKey holds a NUL character/,
    ],
    [
      'a token with a space inside',
      { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: `${TOKEN.slice(0, 20)} ${TOKEN.slice(20)}` },
      /slackBotToken holds a space or tab/,
    ],
    [
      'a token with an escape character inside',
      { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: `${TOKEN}\u001b[2J` },
      /slackBotToken holds a control character/,
    ],
    [
      'an API key cut short',
      { ddApiKey: API_KEY.slice(0, 31), ddAppKey: APP_KEY },
      /ddApiKey is not 32 lower-case hexadecimal characters .*\(it has 31 characters\)/,
    ],
    [
      'the application key in the API key field',
      { ddApiKey: APP_KEY, ddAppKey: APP_KEY },
      /ddApiKey is not 32 .*\(it has 40 characters\)/,
    ],
    [
      'an upper-case application key',
      { ddApiKey: API_KEY, ddAppKey: APP_KEY.toUpperCase() },
      /ddAppKey is not 40 lower-case/,
    ],
    [
      'a user token for the bot token',
      { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: TOKEN.replace('xoxb', 'xoxp') },
      /slackBotToken is not a Slack bot token starting xoxb-/,
    ],
    [
      'a rotating bot token',
      { ddApiKey: API_KEY, ddAppKey: APP_KEY, slackBotToken: `xoxe.${TOKEN}` },
      /slackBotToken is not a Slack bot token .*not a rotating xoxe\. token/,
    ],
  ])('refuses %s, naming the field and the secret, never a value', (_case, secret, expected) => {
    // Prepare
    const text = JSON.stringify(secret);

    // Act
    const error = refusal(() => parseCredentials(text, SECRET_ID));

    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toMatch(expected);
    expect(error.message).toContain(SECRET_ID);
    for (const value of [API_KEY, APP_KEY, TOKEN, 'c0ffee00', 'decafbad', 'MarkedToken']) {
      expect(error.message).not.toContain(value);
    }
    expect(error.cause).toBeUndefined();
  });

  it('names every bad field at once', () => {
    // Prepare
    const text = JSON.stringify({ ddApiKey: `${API_KEY}\n`.repeat(2), ddAppKey: 'short', slackBotToken: 'token' });

    // Act
    const error = refusal(() => parseCredentials(text, SECRET_ID));

    // Assess
    expect(error.message).toMatch(
      /ddApiKey holds a line break.*; ddAppKey is not 40.*; slackBotToken is not a Slack bot token/,
    );
  });

  it.each([
    ['an array', JSON.stringify([API_KEY]), /must be a JSON object/],
    ['plain text', API_KEY, /is not JSON/],
  ])('refuses %s without quoting it', (_case, text, expected) => {
    // Act
    const error = refusal(() => parseCredentials(text, SECRET_ID));

    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain(API_KEY);
    expect(error.cause).toBeUndefined();
  });

  it('registers every value it reads with the redaction point, a refused one too', () => {
    // Prepare
    const broken = `${APP_KEY.slice(0, 20)}\r\n${APP_KEY.slice(20)}`;
    const text = JSON.stringify({ ddApiKey: API_KEY, ddAppKey: broken, slackBotToken: TOKEN });

    // Act
    refusal(() => parseCredentials(text, SECRET_ID));
    const masked = redact(
      `api ${API_KEY}; app ${JSON.stringify(broken)}; token ${TOKEN}; half ${APP_KEY.slice(0, 20)}`,
    );

    // Assess
    expect(masked).toBe(`api ${REDACTED}; app "${REDACTED}"; token ${REDACTED}; half ${REDACTED}`);
  });
});
