/** parseCredentials: the credentials secret's shape, with errors that name fields and never values. */
import { parseCredentials } from '../../functions/weekly-report/adapters/secrets';
import { SecretError } from '../../functions/weekly-report/errors';

const SECRET_ID = 'ai-activity-audit/credentials';

describe('parseCredentials', () => {
  it('reads the keys and the optional Slack token', () => {
    // Prepare
    const text = JSON.stringify({ ddApiKey: ' api ', ddAppKey: 'app', slackBotToken: 'xoxb-1' });

    // Act
    const credentials = parseCredentials(text, SECRET_ID);

    // Assess
    expect(credentials).toEqual({ ddApiKey: 'api', ddAppKey: 'app', slackBotToken: 'xoxb-1' });
  });

  it('accepts a secret without a Slack token', () => {
    // Prepare
    const text = JSON.stringify({ ddApiKey: 'api', ddAppKey: 'app' });

    // Act
    const credentials = parseCredentials(text, SECRET_ID);

    // Assess
    expect(credentials).toEqual({ ddApiKey: 'api', ddAppKey: 'app' });
  });

  it.each([
    ['a missing ddAppKey', JSON.stringify({ ddApiKey: 'VALUE-1234' }), /ddAppKey is missing/],
    ['an empty ddApiKey', JSON.stringify({ ddApiKey: '', ddAppKey: 'VALUE-1234' }), /ddApiKey is missing/],
    [
      'a non-string token',
      JSON.stringify({ ddApiKey: 'a', ddAppKey: 'VALUE-1234', slackBotToken: 5 }),
      /slackBotToken/,
    ],
    ['an array', JSON.stringify(['VALUE-1234']), /must be a JSON object/],
    ['plain text', 'VALUE-1234', /is not JSON/],
  ])('refuses %s, naming the secret and never the values', (_case, text, expected) => {
    // Prepare
    const parse = () => parseCredentials(text, SECRET_ID);

    // Act
    const error = (() => {
      try {
        parse();
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();

    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toMatch(expected);
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).not.toContain('VALUE-1234');
    expect(error.cause).toBeUndefined();
  });
});
