/**
 * What SES says about identities and the account, which aws-ses-v2-local does not answer: v1
 * `GetIdentityVerificationAttributes` (query protocol, XML) and v2 `GetAccount`
 * (`GET /v2/email/account`, JSON), on 127.0.0.1 (port 0), in front of an SES emulator
 * (aws-emulators.ts `startSesEmulator`) to which it forwards every other request. Like SES, it
 * refuses a SendEmail whose sender is not verified (the address or its domain), and in the
 * sandbox one to a recipient who is not, with `MessageRejected`; the message reaches the emulator
 * behind it only when SES would send it. `denied` answers AccessDenied for the actions named,
 * as SES does to a caller whose role may not call them. The real SES clients reach it through
 * AWS_ENDPOINT_URL_SES (v1) and AWS_ENDPOINT_URL_SESV2 (v2), both set to `url`.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type VerificationStatus = 'Success' | 'Pending' | 'Failed' | 'TemporaryFailure' | 'NotStarted';

export interface SesAccountOptions {
  /** SES identities (addresses or domains) and their status; an address is verified by itself or by its domain. @default none */
  readonly identities?: Readonly<Record<string, VerificationStatus>>;
  /** Production access (false: the sandbox). @default true */
  readonly productionAccess?: boolean;
  /** @default true */
  readonly sendingEnabled?: boolean;
  /** Actions answered AccessDenied: `GetAccount`, `GetIdentityVerificationAttributes`, `SendEmail`. @default none */
  readonly denied?: readonly string[];
}

export interface SesAccountEmulator {
  readonly url: string;
  /** Requests seen, by action (`GetAccount`, `GetIdentityVerificationAttributes`, `SendEmail`, …). */
  readonly calls: Readonly<Record<string, number>>;
  /** Sets an identity's status; undefined removes it. */
  setIdentity(identity: string, status: VerificationStatus | undefined): void;
  setProductionAccess(enabled: boolean): void;
  setDenied(actions: readonly string[]): void;
  close(): Promise<void>;
}

const REGION = 'US-EAST-1';
const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';

export async function startSesAccountEmulator(
  upstreamUrl: string,
  options: SesAccountOptions = {},
): Promise<SesAccountEmulator> {
  const upstream = new URL(upstreamUrl);
  const identities = new Map(Object.entries(options.identities ?? {}));
  let production = options.productionAccess ?? true;
  const sending = options.sendingEnabled ?? true;
  let denied = new Set(options.denied ?? []);
  const calls: Record<string, number> = {};
  let requestCounter = 0;

  const verified = (address: string): boolean =>
    identities.get(address) === 'Success' || identities.get(domainOf(address)) === 'Success';

  function xml(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'Content-Type': 'text/xml' });
    res.end(body);
  }

  function queryError(res: ServerResponse, status: number, code: string, message: string): void {
    xml(
      res,
      status,
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>req-${++requestCounter}</RequestId></ErrorResponse>`,
    );
  }

  function getAccount(res: ServerResponse): void {
    if (denied.has('GetAccount')) {
      res.writeHead(403, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'AccessDeniedException' });
      res.end(
        JSON.stringify({
          message:
            'User: arn:aws:sts::123456789012:assumed-role/weekly-report is not authorized to perform: ses:GetAccount',
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        DedicatedIpAutoWarmupEnabled: false,
        EnforcementStatus: 'HEALTHY',
        ProductionAccessEnabled: production,
        SendingEnabled: sending,
        SendQuota: production
          ? { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 }
          : { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
      }),
    );
  }

  function getIdentityVerificationAttributes(res: ServerResponse, form: URLSearchParams): void {
    if (denied.has('GetIdentityVerificationAttributes')) {
      queryError(res, 403, 'AccessDenied', 'not authorized to perform: ses:GetIdentityVerificationAttributes');
      return;
    }
    const asked = members(form, 'Identities');
    if (asked.length > 100) {
      queryError(res, 400, 'InvalidParameterValue', 'at most 100 identities per request');
      return;
    }
    // SES leaves out identities it does not know.
    const entries = asked
      .filter((identity) => identities.has(identity))
      .map(
        (identity) =>
          `<entry><key>${escapeXml(identity)}</key><value><VerificationStatus>${identities.get(identity)}</VerificationStatus></value></entry>`,
      )
      .join('');
    xml(
      res,
      200,
      `<GetIdentityVerificationAttributesResponse xmlns="${XMLNS}"><GetIdentityVerificationAttributesResult><VerificationAttributes>${entries}</VerificationAttributes></GetIdentityVerificationAttributesResult><ResponseMetadata><RequestId>req-${++requestCounter}</RequestId></ResponseMetadata></GetIdentityVerificationAttributesResponse>`,
    );
  }

  /** Why SES would refuse this SendEmail (the identities that failed), or undefined. */
  function refusal(form: URLSearchParams): string | undefined {
    const source = form.get('Source') ?? '';
    const from = /<([^>]+)>\s*$/.exec(source)?.[1] ?? source;
    const failed = verified(from) ? [] : [from];
    if (!production) {
      for (const kind of ['ToAddresses', 'CcAddresses', 'BccAddresses']) {
        for (const to of members(form, `Destination.${kind}`)) if (!verified(to)) failed.push(to);
      }
    }
    return failed.length > 0
      ? `Email address is not verified. The following identities failed the check in region ${REGION}: ${failed.join(', ')}`
      : undefined;
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
    up.end(body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (req.method === 'GET' && path === '/v2/email/account') {
        calls.GetAccount = (calls.GetAccount ?? 0) + 1;
        getAccount(res);
        return;
      }
      const form = String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
        ? new URLSearchParams(body.toString('utf8'))
        : undefined;
      const action = form?.get('Action') ?? undefined;
      if (action) calls[action] = (calls[action] ?? 0) + 1;
      if (form && action === 'GetIdentityVerificationAttributes') {
        getIdentityVerificationAttributes(res, form);
        return;
      }
      if (form && (action === 'SendEmail' || action === 'SendRawEmail')) {
        if (denied.has(action)) {
          queryError(res, 403, 'AccessDenied', `not authorized to perform: ses:${action}`);
          return;
        }
        const why = action === 'SendEmail' ? refusal(form) : undefined;
        if (why) {
          queryError(res, 400, 'MessageRejected', why);
          return;
        }
      }
      forward(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    setIdentity(identity, status) {
      if (status === undefined) identities.delete(identity);
      else identities.set(identity, status);
    },
    setProductionAccess(enabled) {
      production = enabled;
    },
    setDenied(actions) {
      denied = new Set(actions);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** `Prefix.member.1`, `Prefix.member.2`, … in order. */
function members(form: URLSearchParams, prefix: string): string[] {
  return [...form.entries()]
    .filter(([k]) => k.startsWith(`${prefix}.member.`))
    .sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
    .map(([, v]) => v);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
