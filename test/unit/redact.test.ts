/**
 * The redaction point (functions/weekly-report/redact.ts): a registered secret is masked wherever
 * it turns up in text, whole, cut short, split at a line break it holds, JSON-escaped or
 * URL-encoded; in a log line's fields and the handler's result (a masked copy); and in an error
 * that leaves the job (masked in place, its class kept). With no secret registered, nothing changes.
 */
import {
  forgetSecrets,
  hasSecrets,
  REDACTED,
  redact,
  redactError,
  redactValue,
  registerSecret,
} from '../../functions/weekly-report/redact';

const KEY = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const BROKEN = '0123456789abcdef\r\n0123456789abcdef\u0000tail-of-it';

afterEach(() => forgetSecrets());

describe('redact', () => {
  it('changes nothing while no secret is registered', () => {
    // Prepare
    const text = `key ${KEY}`;

    // Act
    const out = redact(text);

    // Assess
    expect(hasSecrets()).toBe(false);
    expect(out).toBe(text);
  });

  it('masks a secret whole, cut short, and in the message fetch makes of an invalid header', () => {
    // Prepare
    registerSecret(KEY);
    const headerMessage = `Headers.append: "${KEY}" is an invalid header value.`;

    // Act
    const whole = redact(`key=${KEY}!`);
    const cut = redact(`Datadog unreachable (${headerMessage.slice(0, 40)}`);
    const twice = redact(`${KEY} and ${KEY}`);
    const header = redact(headerMessage);

    // Assess
    expect(whole).toBe(`key=${REDACTED}!`);
    expect(cut).toBe(`Datadog unreachable (Headers.append: "${REDACTED}`);
    expect(twice).toBe(`${REDACTED} and ${REDACTED}`);
    expect(header).toBe(`Headers.append: "${REDACTED}" is an invalid header value.`);
  });

  it('masks a secret holding CR, LF and NUL: as it is, JSON-escaped, URL-encoded, and piece by piece', () => {
    // Prepare
    registerSecret(BROKEN);

    // Act
    const raw = redact(`[${BROKEN}]`);
    const json = redact(JSON.stringify({ error: BROKEN }));
    const url = redact(`?k=${encodeURIComponent(BROKEN)}`);
    const lines = redact(BROKEN.split(/[\r\n\0]+/).join(' | '));

    // Assess
    expect(raw).toBe(`[${REDACTED}]`);
    expect(json).toBe(`{"error":"${REDACTED}"}`);
    expect(url).toBe(`?k=${REDACTED}`);
    expect(lines).toBe(`${REDACTED} | ${REDACTED} | ${REDACTED}`);
  });

  it('leaves runs shorter than twelve characters of a secret, and ignores values too short to mask', () => {
    // Prepare
    registerSecret(KEY);
    registerSecret('abc');

    // Act
    const out = redact(`id ${KEY.slice(0, 11)} abc`);

    // Assess
    expect(out).toBe(`id ${KEY.slice(0, 11)} abc`);
  });
});

describe('redactValue', () => {
  it('masks every string of a log line or a result, keys and errors included, in a copy', () => {
    // Prepare
    registerSecret(KEY);
    const cause = new TypeError(`Headers.append: "${KEY}" is an invalid header value.`);
    const extra = {
      error: `fetch failed: ${KEY}`,
      nested: [{ [KEY]: 1, reason: KEY.slice(3) }],
      failure: new Error('outer', { cause }),
      count: 3,
    };

    // Act
    const masked = redactValue(extra);

    // Assess
    expect(JSON.stringify(masked)).not.toContain(KEY.slice(4, 16));
    expect(masked.error).toBe(`fetch failed: ${REDACTED}`);
    expect(masked.nested).toEqual([{ [REDACTED]: 1, reason: REDACTED }]);
    expect((masked.failure.cause as Error).message).toBe(`Headers.append: "${REDACTED}" is an invalid header value.`);
    expect((masked.failure.cause as Error).stack).not.toContain(KEY);
    expect(masked.count).toBe(3);
    expect(extra.error).toContain(KEY);
  });

  it('copes with a cycle', () => {
    // Prepare
    registerSecret(KEY);
    const looped: Record<string, unknown> = { key: KEY };
    looped.self = looped;

    // Act
    const masked = redactValue(looped);

    // Assess
    expect(masked.key).toBe(REDACTED);
    expect(masked.self).toBe(masked);
  });
});

describe('redactError', () => {
  it('masks an error in place, its causes and an AggregateError’s errors, keeping its class', () => {
    // Prepare
    registerSecret(KEY);
    class DeliveryProblem extends Error {}
    const inner = new Error(`token ${KEY}`);
    const error = new DeliveryProblem(`2 reports failed: ${KEY}`, { cause: new AggregateError([inner], KEY) });

    // Act
    const out = redactError(error);

    // Assess
    expect(out).toBe(error);
    expect(out).toBeInstanceOf(DeliveryProblem);
    expect(out.message).toBe(`2 reports failed: ${REDACTED}`);
    expect(out.stack).not.toContain(KEY);
    expect((out.cause as AggregateError).message).toBe(REDACTED);
    expect(inner.message).toBe(`token ${REDACTED}`);
  });
});
