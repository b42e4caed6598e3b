/**
 * A Microsoft Teams workflow webhook stand-in on 127.0.0.1 (port 0): the trigger of a Teams
 * workflow ("Post to a channel when a webhook request is received") as Logic Apps serves it,
 * `POST /workflows/{id}/triggers/manual/paths/invoke?api-version=1&sp=…&sv=1.0&sig={signature}`.
 * It answers as the trigger does: 202 Accepted with an empty body for a post it takes; 404
 * `WorkflowNotFound` for an unknown workflow; 401 for a wrong signature; 400 for a body that is not a
 * Teams message with an Adaptive Card, and 400 (with a size message) for one over Teams' message
 * size limit (28 KB); 429 with Retry-After once for a workflow created with `throttleFirst` (as a
 * busy workflow does), and whatever fault the test asks for next (a status, a dropped connection
 * after or before taking the post).
 *
 * Every post it takes is recorded with the problems the `adaptivecards` package finds in its card
 * (adaptive-card-check.ts), so a test can require that every card it posted was valid.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cardOf, cardProblems } from './adaptive-card-check';

/** Teams' message size limit for a workflow's post ("about 28 KB"), on the request's bytes here. */
export const TEAMS_MESSAGE_LIMIT = 28 * 1024;

export interface TeamsPost {
  readonly workflow: string;
  /** The parsed body, as posted. */
  readonly message: unknown;
  readonly bytes: number;
  /** What the adaptivecards package found wrong with its card (none for a good card). */
  readonly problems: readonly string[];
}

export type TeamsFault =
  /** This HTTP status with a small JSON error body. */
  | { readonly kind: 'http'; readonly status: number; readonly code?: string }
  /** HTTP 429 with this Retry-After (seconds). */
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number }
  /** Takes the post (recorded) and closes the connection without an answer: a lost answer. */
  | { readonly kind: 'drop_after_post' }
  /** Closes the connection without an answer and without taking anything. */
  | { readonly kind: 'drop' };

export interface TeamsWebhookEmulator {
  readonly url: string;
  /** Posts taken, oldest first. */
  readonly posts: readonly TeamsPost[];
  /** Every request seen and how it was answered (`202`, `404`, `drop`, …). */
  readonly answers: readonly string[];
  /** A new workflow's trigger URL; with `throttleFirst`, its first post is answered 429 (Retry-After 1). */
  workflowUrl(options?: { readonly throttleFirst?: boolean; readonly retryAfterSeconds?: number }): string;
  /** A well-formed URL of a workflow that does not exist (deleted): every post is answered 404. */
  unknownWorkflowUrl(): string;
  /** The posts taken by the workflow of `url`. */
  postsTo(url: string): TeamsPost[];
  /** The next `times` requests (to any workflow) answer with `fault`. */
  failNext(fault: TeamsFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface Workflow {
  readonly sig: string;
  throttle: number;
  readonly retryAfterSeconds: number;
}

const PATH = /^\/workflows\/([0-9a-f]{32})\/triggers\/manual\/paths\/invoke$/;

export async function startTeamsWebhookEmulator(): Promise<TeamsWebhookEmulator> {
  const workflows = new Map<string, Workflow>();
  const posts: TeamsPost[] = [];
  const answers: string[] = [];
  const faults: TeamsFault[] = [];
  let base = '';

  const urlOf = (id: string, sig: string): string =>
    `${base}/workflows/${id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;

  const answer = (res: ServerResponse, status: number, code?: string, message?: string): void => {
    answers.push(String(status));
    const body = code ? JSON.stringify({ error: { code, message: message ?? code } }) : '';
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(status === 429 ? { 'retry-after': String(message ?? '1') } : {}),
    });
    res.end(status === 429 ? JSON.stringify({ error: { code: 'WorkflowRequestsThrottled' } }) : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', base);
    const id = PATH.exec(url.pathname)?.[1];
    const workflow = id === undefined ? undefined : workflows.get(id);

    const fault = faults.shift();
    if (fault?.kind === 'drop') {
      answers.push('drop');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'http') return answer(res, fault.status, fault.code ?? 'Fault');
    if (fault?.kind === 'rate_limited') return answer(res, 429, undefined, String(fault.retryAfterSeconds));

    if (req.method !== 'POST') return answer(res, 405, 'MethodNotAllowed');
    if (id === undefined || workflow === undefined) {
      return answer(res, 404, 'WorkflowNotFound', 'The workflow could not be found.');
    }
    if (url.searchParams.get('sig') !== workflow.sig) {
      return answer(res, 401, 'DirectApiAuthorizationRequired', 'The request signature is not valid.');
    }
    if (workflow.throttle > 0) {
      workflow.throttle -= 1;
      return answer(res, 429, undefined, String(workflow.retryAfterSeconds));
    }
    if (raw.length > TEAMS_MESSAGE_LIMIT) {
      return answer(
        res,
        400,
        'RequestEntityTooLarge',
        `The request content size ${raw.length} exceeds the maximum size of ${TEAMS_MESSAGE_LIMIT} bytes.`,
      );
    }
    let message: unknown;
    try {
      message = JSON.parse(raw.toString('utf8'));
    } catch {
      return answer(res, 400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    }
    const m = message as { type?: unknown; attachments?: Array<{ contentType?: unknown }> } | null;
    if (
      m?.type !== 'message' ||
      !Array.isArray(m.attachments) ||
      m.attachments[0]?.contentType !== 'application/vnd.microsoft.card.adaptive'
    ) {
      return answer(res, 400, 'InvalidTemplate', 'The body is not a message with an Adaptive Card attachment.');
    }
    posts.push({ workflow: id, message, bytes: raw.length, problems: cardProblems(cardOf(message)) });
    if (fault?.kind === 'drop_after_post') {
      answers.push('drop_after_post');
      req.socket.destroy();
      return;
    }
    answers.push('202');
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    posts,
    answers,
    workflowUrl(options = {}) {
      const id = randomBytes(16).toString('hex');
      const sig = randomBytes(32).toString('base64url');
      workflows.set(id, {
        sig,
        throttle: options.throttleFirst ? 1 : 0,
        retryAfterSeconds: options.retryAfterSeconds ?? 1,
      });
      return urlOf(id, sig);
    },
    unknownWorkflowUrl() {
      return urlOf(randomBytes(16).toString('hex'), randomBytes(32).toString('base64url'));
    },
    postsTo(url) {
      const id = PATH.exec(new URL(url).pathname)?.[1];
      return posts.filter((p) => p.workflow === id);
    },
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    clearFaults() {
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
