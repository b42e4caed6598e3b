/**
 * A Secrets Manager stand-in on 127.0.0.1 (port 0) speaking the service's JSON protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`, `application/x-amz-json-1.1`), enough
 * for the real SDK client via AWS_ENDPOINT_URL_SECRETS_MANAGER. Unknown secrets answer
 * ResourceNotFoundException like the service; requests are counted to check caching.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerEmulator {
  readonly url: string;
  /** GetSecretValue calls seen. */
  readonly requests: number;
  setSecret(name: string, value: string): void;
  deleteSecret(name: string): void;
  close(): Promise<void>;
}

export async function startSecretsManagerEmulator(
  secrets: Readonly<Record<string, string>> = {},
): Promise<SecretsManagerEmulator> {
  const store = new Map(Object.entries(secrets));
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, errorType?: string) => {
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': `req-${requests}`,
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
        });
        res.end(JSON.stringify(body));
      };
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
        return reply(400, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'secretsmanager.GetSecretValue') {
        return reply(400, { __type: 'UnknownOperationException', message: `Unsupported operation ${target}` });
      }
      requests++;
      let input: { SecretId?: unknown };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown };
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'Invalid JSON' });
      }
      const name = typeof input.SecretId === 'string' ? input.SecretId : '';
      const value = store.get(name);
      if (value === undefined) {
        return reply(
          400,
          { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." },
          'ResourceNotFoundException',
        );
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
        Name: name,
        VersionId: '00000000-0000-0000-0000-000000000001',
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    setSecret: (name, value) => void store.set(name, value),
    deleteSecret: (name) => void store.delete(name),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
