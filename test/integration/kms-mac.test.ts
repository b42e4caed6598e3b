/**
 * The KMS MAC adapter (adapters/kms-mac.ts) with the real @aws-sdk/client-kms against our KMS
 * stand-in (test/support/kms-emulator.ts) on 127.0.0.1, reached the SDK's standard way
 * (AWS_ENDPOINT_URL_KMS): a MAC made is verified, any other message or MAC is not (false, not an
 * error), each stand-in starts on a free port with keys of its own, and a key that cannot be used
 * fails naming the key, the operation and the fix, never quoting what KMS said.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsMacSigner } from '../../functions/weekly-report/adapters/kms-mac';
import { MacKeyError } from '../../functions/weekly-report/ports';
import { LOCAL_CREDENTIALS, TEST_REGION } from '../support/aws-emulators';
import { type KmsEmulator, startKmsEmulator } from '../support/kms-emulator';

let kms: KmsEmulator;
let other: KmsEmulator;
const saved = { ...process.env };

beforeAll(async () => {
  [kms, other] = await Promise.all([startKmsEmulator(), startKmsEmulator()]);
  Object.assign(process.env, {
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_KMS: kms.url,
  });
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([kms?.close(), other?.close()]);
});

/** A client configured only by the environment, as the handler's is. */
const signerFor = (keyId: string) => createKmsMacSigner({ client: new KMSClient({}), keyId });

async function failure(call: Promise<unknown>): Promise<MacKeyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MacKeyError)) throw new Error(`expected a MacKeyError, got ${String(error)}`);
  return error;
}

describe('the KMS MAC signer over the stand-in', () => {
  it('starts each stand-in on its own free loopback port with keys of its own', () => {
    // Assess
    expect(kms.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(other.url).not.toBe(kms.url);
    expect(other.keyArn).not.toBe(kms.keyArn);
  });

  it('verifies the MAC it made, and no other message or MAC', async () => {
    // Prepare
    const signer = signerFor(kms.keyArn);
    const message = Buffer.from('ai-activity-audit.week-manifest 1\nreport acme\n');

    // Act
    const { mac, keyArn } = await signer.sign(message);

    // Assess
    expect(keyArn).toBe(kms.keyArn);
    expect(mac).toHaveLength(32);
    expect(await signer.verify(message, mac)).toBe(true);
    expect(await signer.verify(Buffer.from('ai-activity-audit.week-manifest 1\nreport acmf\n'), mac)).toBe(false);
    const flipped = Buffer.from(mac);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(await signer.verify(message, flipped)).toBe(false);
    expect(await signerFor(kms.createKey()).verify(message, mac)).toBe(false);
  });

  it('takes the key by its alias as KMS does', async () => {
    // Prepare
    const arn = kms.createKey('archive-by-alias');
    const message = Buffer.from('week');

    // Act
    const { mac, keyArn } = await signerFor('alias/archive-by-alias').sign(message);

    // Assess
    expect(keyArn).toBe(arn);
    expect(await signerFor(arn).verify(message, mac)).toBe(true);
  });

  it.each([
    ['an unknown key', () => signerFor(other.keyArn), 'NotFoundException', 'no such key: check ARCHIVE_MAC_KEY'],
    [
      'a disabled key',
      () => {
        const arn = kms.createKey();
        kms.setKeyEnabled(arn, false);
        return signerFor(arn);
      },
      'DisabledException',
      'the key is disabled or pending deletion',
    ],
  ])('fails with %s, naming the key and the fix', async (_name, make, code, hint) => {
    // Prepare
    const signer = make();

    // Act
    const error = await failure(signer.sign(Buffer.from('week')));

    // Assess
    expect(
      error.message.startsWith(`The archive's MAC key ${signer.keyId} could not be used (GenerateMac: ${code}): `),
    ).toBe(true);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('does not exist');
  });

  it('fails a role without the grant naming the action to grant, never what KMS said', async () => {
    // Prepare
    const signer = signerFor(kms.keyArn);
    const { mac } = await signer.sign(Buffer.from('week'));
    kms.denyAccess(true);
    try {
      // Act
      const error = await failure(signer.verify(Buffer.from('week'), mac));

      // Assess
      expect(error.message).toBe(
        `The archive's MAC key ${kms.keyArn} could not be used (VerifyMac: AccessDeniedException): the role may not kms:VerifyMac on it: grant kms:VerifyMac on this key`,
      );
      expect(error.message).not.toContain('assumed-role');
    } finally {
      kms.denyAccess(false);
    }
  });
});
