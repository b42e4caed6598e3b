/**
 * A KMS stand-in on 127.0.0.1 (port 0) speaking the service's JSON protocol (`POST /`,
 * `X-Amz-Target: TrentService.<Operation>`, `application/x-amz-json-1.1`), enough for the real
 * @aws-sdk/client-kms through AWS_ENDPOINT_URL_KMS: GenerateMac and VerifyMac with HMAC_256 keys
 * (HMAC_SHA_256), each key a random 32-byte secret the stand-in keeps and never hands out, as KMS
 * does. Keys are named by id, ARN or alias, as KMS takes them. Like KMS: a MAC that does not verify
 * answers 400 KMSInvalidMacException; an unknown key NotFoundException; a disabled one
 * DisabledException; another algorithm InvalidKeyUsageException; a message of 0 or more than 4,096
 * bytes ValidationException. `denyAccess` makes every call answer AccessDeniedException (a role
 * without the grant). Calls are counted by operation.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KMS_ACCOUNT = '123456789012';
export const KMS_REGION = 'us-east-1';
/** KMS takes messages of 1 to 4,096 bytes for GenerateMac and VerifyMac. */
const MAX_MESSAGE_BYTES = 4096;

export interface KmsEmulator {
  readonly url: string;
  /** The ARN of the key created at start. */
  readonly keyArn: string;
  /** Calls answered, by operation (`GenerateMac`, `VerifyMac`, …). */
  readonly calls: Readonly<Record<string, number>>;
  /** A new HMAC_256 key (with an alias, `alias/<name>`, when given); returns its ARN. */
  createKey(alias?: string): string;
  /** Disables (or enables again) a key: its calls answer DisabledException. */
  setKeyEnabled(keyArn: string, enabled: boolean): void;
  /** Every call answers AccessDeniedException until called with false. */
  denyAccess(deny: boolean): void;
  close(): Promise<void>;
}

interface Key {
  readonly id: string;
  readonly arn: string;
  readonly secret: Buffer;
  enabled: boolean;
}

export async function startKmsEmulator(): Promise<KmsEmulator> {
  const keys = new Map<string, Key>();
  const aliases = new Map<string, string>();
  const calls: Record<string, number> = {};
  let denied = false;

  const createKey = (alias?: string): string => {
    const id = randomUUID();
    const arn = `arn:aws:kms:${KMS_REGION}:${KMS_ACCOUNT}:key/${id}`;
    keys.set(id, { id, arn, secret: randomBytes(32), enabled: true });
    if (alias !== undefined) aliases.set(`alias/${alias}`, id);
    return arn;
  };

  /** The key a KeyId names: its id, ARN, alias or alias ARN. */
  const keyOf = (keyId: unknown): Key | undefined => {
    if (typeof keyId !== 'string') return undefined;
    const aliasArn = /^arn:aws:kms:[^:]+:\d{12}:(alias\/.+)$/.exec(keyId);
    const keyArn = /^arn:aws:kms:[^:]+:\d{12}:key\/(.+)$/.exec(keyId);
    const id = aliasArn ? aliases.get(aliasArn[1] as string) : keyArn ? keyArn[1] : (aliases.get(keyId) ?? keyId);
    return id === undefined ? undefined : keys.get(id);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': randomUUID(),
        });
        res.end(JSON.stringify(body));
      };
      const error = (type: string, message: string) => reply(400, { __type: type, message });
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
        return error('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
      if (operation !== 'GenerateMac' && operation !== 'VerifyMac') {
        return error('UnknownOperationException', `Unsupported operation ${target}`);
      }
      calls[operation] = (calls[operation] ?? 0) + 1;
      if (denied) {
        return error(
          'AccessDeniedException',
          `User: arn:aws:sts::${KMS_ACCOUNT}:assumed-role/test is not authorized to perform: kms:${operation}`,
        );
      }
      let input: { KeyId?: unknown; MacAlgorithm?: unknown; Message?: unknown; Mac?: unknown };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
      } catch {
        return error('SerializationException', 'Invalid JSON');
      }
      const key = keyOf(input.KeyId);
      if (!key) return error('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
      if (!key.enabled) return error('DisabledException', `${key.arn} is disabled.`);
      if (input.MacAlgorithm !== 'HMAC_SHA_256') {
        return error('InvalidKeyUsageException', `${String(input.MacAlgorithm)} is not supported by ${key.arn}`);
      }
      const message = typeof input.Message === 'string' ? Buffer.from(input.Message, 'base64') : Buffer.alloc(0);
      if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
        return error('ValidationException', `Message must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
      }
      const mac = createHmac('sha256', key.secret).update(message).digest();
      if (operation === 'GenerateMac') {
        return reply(200, { KeyId: key.arn, Mac: mac.toString('base64'), MacAlgorithm: 'HMAC_SHA_256' });
      }
      const given = typeof input.Mac === 'string' ? Buffer.from(input.Mac, 'base64') : Buffer.alloc(0);
      if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
        return error('KMSInvalidMacException', 'The MAC is not valid for the message and key.');
      }
      reply(200, { KeyId: key.arn, MacAlgorithm: 'HMAC_SHA_256', MacValid: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const keyArn = createKey('ai-activity-audit-archive');
  return {
    url: `http://127.0.0.1:${port}`,
    keyArn,
    calls,
    createKey,
    setKeyEnabled(arn, enabled) {
      const key = keyOf(arn);
      if (!key) throw new Error(`no such key ${arn}`);
      key.enabled = enabled;
    },
    denyAccess(deny) {
      denied = deny;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
