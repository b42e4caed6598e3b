/**
 * Local AWS stand-ins for tests and `npm start`, all in-process on 127.0.0.1 (port 0):
 * aws-ses-v2-local (SES; sent mail read back from its `GET /store`), dynalite (DynamoDB, with
 * the idempotency table created) and s3rver (S3, the report archive's bucket; it needs path-style
 * addressing, bucket names of 3+ characters and the credentials S3RVER/S3RVER, which the other
 * two accept too). The real SDK clients reach them through the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables returned by `awsEnv`.
 *
 * aws-ses-v2-local keeps only the first `Destination.ToAddresses.member.N` of a v1 SendEmail
 * (its schema drops the others), so a thin recording proxy in front of it keeps every
 * recipient of each message, matched to the message by the MessageId it returns. The proxy also
 * counts SendEmail requests and can lose an answer: `dropNextAnswers` lets SES take the message
 * (it is stored) and then closes the client's connection without answering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import startSesLocal from 'aws-ses-v2-local';

/** dynalite is CommonJS without type declarations; this is the part of its API we use. */
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = require('dynalite') as Dynalite;

/** s3rver ships no type declarations either; the part of its API we use. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;
const S3rver = require('s3rver') as S3rverClass;

/** The one key pair every stand-in accepts (s3rver insists on exactly this one). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface SentEmail {
  readonly messageId: string;
  readonly from: string;
  /** Every To recipient of the message (from the recording proxy). */
  readonly to: readonly string[];
  readonly subject: string;
  readonly html?: string;
  readonly text?: string;
}

export interface SesEmulator {
  readonly url: string;
  /** SendEmail requests that reached the proxy (every attempt the SDK made). */
  readonly sendRequests: number;
  /** The next `times` SendEmails are sent (and stored) but their answer never reaches the client. */
  dropNextAnswers(times?: number): void;
  emails(): Promise<SentEmail[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface DynamoEmulator {
  readonly url: string;
  readonly tableName: string;
  close(): Promise<void>;
}

export interface AwsEmulators {
  readonly ses: SesEmulator;
  readonly dynamo: DynamoEmulator;
  close(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';

/** The environment the SDK needs to talk to the stand-ins (fake credentials, endpoints, region). */
export function awsEnv(endpoints: {
  ses?: string;
  dynamo?: string;
  secretsManager?: string;
  s3?: string;
}): Record<string, string> {
  return {
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(endpoints.ses ? { AWS_ENDPOINT_URL_SES: endpoints.ses } : {}),
    ...(endpoints.dynamo ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo } : {}),
    ...(endpoints.secretsManager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager } : {}),
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
  };
}

export interface S3Emulator {
  readonly url: string;
  /** The bucket created at start. */
  readonly bucket: string;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 with one bucket, its files in a fresh temporary directory. */
export async function startS3Emulator(bucket = 'ai-activity-audit-archive'): Promise<S3Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export async function startAwsEmulators(options: { tableName?: string } = {}): Promise<AwsEmulators> {
  const [ses, dynamo] = await Promise.all([startSesEmulator(), startDynamoEmulator(options.tableName)]);
  return { ses, dynamo, close: async () => void (await Promise.all([ses.close(), dynamo.close()])) };
}

export async function startSesEmulator(): Promise<SesEmulator> {
  const backend = await startSesLocal({ host: '127.0.0.1', port: 0 });
  const backendPort = (backend.address() as AddressInfo).port;
  const recipients = new Map<string, string[]>();
  let sendRequests = 0;
  let answersToDrop = 0;

  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const to = toAddresses(req.headers['content-type'] ?? '', body.toString('utf8'));
      const isSend = to !== undefined;
      if (isSend) sendRequests++;
      const dropAnswer = isSend && answersToDrop > 0;
      if (dropAnswer) answersToDrop--;
      const upstream = request(
        { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            const text = Buffer.concat(out).toString('utf8');
            const id = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
            if (id && to) recipients.set(id, to);
            // SES took it; the answer is what gets lost.
            if (dropAnswer) return void res.socket?.destroy();
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const backendUrl = `http://127.0.0.1:${backendPort}`;

  return {
    url,
    get sendRequests() {
      return sendRequests;
    },
    dropNextAnswers(times = 1) {
      answersToDrop += times;
    },
    async emails() {
      const store = (await (await fetch(`${backendUrl}/store`)).json()) as {
        emails: Array<{
          messageId: string;
          from: string;
          destination: { to: string[] };
          subject: string;
          body: { html?: string; text?: string };
        }>;
      };
      return store.emails.map((e) => ({
        messageId: e.messageId,
        from: e.from,
        to: recipients.get(e.messageId) ?? e.destination.to,
        subject: e.subject,
        ...(e.body.html !== undefined ? { html: e.body.html } : {}),
        ...(e.body.text !== undefined ? { text: e.body.text } : {}),
      }));
    },
    async clear() {
      await fetch(`${backendUrl}/clear-store`, { method: 'POST' });
      recipients.clear();
    },
    close: async () => {
      await Promise.all([closeServer(proxy), closeServer(backend)]);
    },
  };
}

export async function startDynamoEmulator(tableName = 'ai-activity-audit-deliveries'): Promise<DynamoEmulator> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    );
  } catch {
    // dynalite does not implement TTL; the attribute is still written and checked by the tests.
  }
  client.destroy();
  return { url, tableName, close: () => closeServer(server) };
}

/** Recipients of a v1 SendEmail, from its query-protocol form body. */
function toAddresses(contentType: string, body: string): string[] | undefined {
  if (!contentType.includes('x-www-form-urlencoded')) return undefined;
  const params = new URLSearchParams(body);
  if (params.get('Action') !== 'SendEmail') return undefined;
  return [...params.entries()]
    .filter(([k]) => k.startsWith('Destination.ToAddresses.member.'))
    .sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
    .map(([, v]) => v);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections?.();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
