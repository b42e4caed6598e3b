/**
 * The command line's transport (adapters/datadog/node-transport.ts) against real servers on 127.0.0.1,
 * side by side with the global fetch it stands in for: the same status, headers and bodies
 * (gzip, deflate and br undone), the same errors for a refused connection, a timeout and a body
 * cut short, request bodies sent intact, sockets kept alive, and HTTPS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, globalAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Transport, TransportResponse } from '../../functions/weekly-report/adapters/datadog/client';
import { nodeHttpTransport } from '../../functions/weekly-report/adapters/datadog/node-transport';

const JSON_BODY = JSON.stringify({ data: [{ id: 'é-1', attributes: { message: 'ünïcode ✓' } }], meta: { page: {} } });

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = req.url ?? '/';
  const json = { 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '7' };
  if (url === '/plain') res.writeHead(200, json).end(JSON_BODY);
  else if (url === '/gzip') res.writeHead(200, { ...json, 'Content-Encoding': 'gzip' }).end(gzipSync(JSON_BODY));
  else if (url === '/deflate')
    res.writeHead(200, { ...json, 'Content-Encoding': 'deflate' }).end(deflateSync(JSON_BODY));
  else if (url === '/br') res.writeHead(200, { ...json, 'Content-Encoding': 'br' }).end(brotliCompressSync(JSON_BODY));
  else if (url === '/forbidden') res.writeHead(403, json).end('{"errors":["Forbidden"]}');
  else if (url === '/empty') res.writeHead(204).end();
  else if (url === '/cookies') res.writeHead(200, { 'Set-Cookie': ['a=1', 'b=2'] }).end('ok');
  else if (url === '/echo')
    res.writeHead(200, json).end(JSON.stringify({ method: req.method, length: req.headers['content-length'], body }));
  else if (url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2000);
  else if (url === '/stall') {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('half');
  } else if (url === '/cut') {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('half', () => res.socket?.destroy());
  } else res.writeHead(404).end('no such route');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function handler() {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => route(req, res, Buffer.concat(chunks).toString('utf8')));
  };
}

/** What a caller can see of a response: status, the headers that matter here, the body as text. */
async function seen(
  response: TransportResponse,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (['content-type', 'x-ratelimit-remaining', 'set-cookie'].includes(name)) headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

describe('node:http transport, beside the global fetch', () => {
  const connections = { count: 0 };
  const server = createHttpServer(handler());
  server.on('connection', () => connections.count++);
  let base: string;
  const transports: Array<[string, Transport]> = [
    ['node:http', nodeHttpTransport],
    ['fetch', globalThis.fetch as Transport],
  ];

  beforeAll(async () => {
    base = `http://${await listen(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['/plain', '/gzip', '/deflate', '/br', '/forbidden', '/empty', '/cookies', '/nowhere'])(
    'answers %s as fetch does',
    async (path) => {
      // Act
      const [ours, theirs] = await Promise.all(transports.map(([, t]) => t(`${base}${path}`).then(seen)));

      // Assess
      expect(ours).toEqual(theirs);
      if (['/plain', '/gzip', '/deflate', '/br'].includes(path)) expect(ours?.body).toBe(JSON_BODY);
    },
  );

  it('gives the body as bytes through arrayBuffer, decoded', async () => {
    // Act
    const bytes = await (await nodeHttpTransport(`${base}/gzip`)).arrayBuffer();

    // Assess
    expect(Buffer.from(bytes).toString('utf8')).toBe(JSON_BODY);
  });

  it('sends a request body intact, with its length', async () => {
    // Prepare
    const body = JSON.stringify({ filter: { query: '@evt.name:"MCP Server" ✓' } });

    // Act
    const answer = JSON.parse(await (await nodeHttpTransport(`${base}/echo`, { method: 'POST', body })).text());

    // Assess
    expect(answer).toEqual({ method: 'POST', length: String(Buffer.byteLength(body)), body });
  });

  it('keeps the connection alive across requests', async () => {
    // Prepare
    const before = connections.count;

    // Act
    for (let i = 0; i < 5; i++) await (await nodeHttpTransport(`${base}/plain`)).text();

    // Assess
    expect(connections.count - before).toBeLessThanOrEqual(1);
  });

  it.each(transports)(
    '%s: a timeout before the answer rejects with the signal’s TimeoutError',
    async (_, transport) => {
      // Act
      const error = await transport(`${base}/slow`, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);

      // Assess
      expect((error as Error).name).toBe('TimeoutError');
    },
  );

  it.each(transports)('%s: a timeout during the body rejects the body with the TimeoutError', async (_, transport) => {
    // Act
    const response = await transport(`${base}/stall`, { signal: AbortSignal.timeout(200) });
    const error = await response.arrayBuffer().catch((e: unknown) => e);

    // Assess
    expect(response.status).toBe(200);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it.each(transports)('%s: a body cut short rejects with a TypeError', async (_, transport) => {
    // Act
    const response = await transport(`${base}/cut`);
    const error = await response.text().catch((e: unknown) => e);

    // Assess (by name: fetch's errors come from Node's realm, not the test's)
    expect((error as Error).name).toBe('TypeError');
  });

  it.each(transports)(
    '%s: a refused connection rejects with TypeError, its cause ECONNREFUSED',
    async (_, transport) => {
      // Prepare: a port that was just freed.
      const closed = createHttpServer();
      const address = await listen(closed);
      await new Promise((resolve) => closed.close(resolve));

      // Act
      const error = (await transport(`http://${address}/plain`).catch((e: unknown) => e)) as TypeError & {
        cause?: { code?: string };
      };

      // Assess (by name: fetch's errors come from Node's realm, not the test's)
      expect(error.name).toBe('TypeError');
      expect(error.message).toBe('fetch failed');
      expect(error.cause?.code).toBe('ECONNREFUSED');
    },
  );

  it('rejects at once with the reason of a signal already aborted', async () => {
    // Act
    const error = await nodeHttpTransport(`${base}/plain`, { signal: AbortSignal.abort() }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('AbortError');
  });
});

describe('node:http transport over HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'transport-tls-'));
  let server: Server | undefined;
  let base: string;
  const savedCa = globalAgent.options.ca;

  beforeAll(async () => {
    // A self-signed certificate for 127.0.0.1 (Debian's openssl), trusted through the https global agent.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, handler());
    base = `https://${await listen(server)}`;
    globalAgent.options.ca = cert;
  });
  afterAll(async () => {
    globalAgent.options.ca = savedCa;
    globalAgent.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a gzip answer over TLS', async () => {
    // Act
    const response = await nodeHttpTransport(`${base}/gzip`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(JSON_BODY);
  });
});
