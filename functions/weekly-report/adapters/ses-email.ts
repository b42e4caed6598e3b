/**
 * EmailSender over an injected SESClient (`SendEmail`): HTML and text bodies and the subject in
 * UTF-8, recipients split into messages of at most 50 (SES's limit per message), optional
 * configuration set. Each message is abandoned at the invocation's deadline (an AbortSignal), so
 * a black-holed endpoint fails the channel in time for the ledger to record it.
 *
 * At most once per message: the SDK's retry strategy (configured on the client) would resend a
 * SendEmail after a dropped connection, a timeout or a 5xx, each of which can come after SES took
 * the message. A middleware under the retry step (keepRetriesSafe) lets the SDK retry only what
 * SES certainly did not act on (throttling, a request that never left) and turns every other
 * transport or server failure into an `answerLost` error: the channel's outcome is then unknown,
 * and it is resent only on purpose (docs/delivery.md). Any error left over is surfaced with a
 * message naming the fix, never swallowed.
 *
 * Partial failure across messages: the messages are sent one after the other and the first
 * failure stops the send and throws EmailDeliveryError saying how many recipients were already
 * sent to. A refused message (a definite failure) makes the channel failed, and the next attempt
 * sends to every recipient again: the earlier recipients may get the report twice, but nobody
 * misses it (we prefer a duplicate over a silently missing report).
 */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { signalUntil } from '../deadline';
import { EmailDeliveryError } from '../errors';
import type { CallOptions, EmailMessage, EmailSender } from '../ports';
import { neverSent } from './never-sent';

/** SES accepts at most 50 recipients (To + Cc + Bcc) per message. */
export const MAX_RECIPIENTS_PER_MESSAGE = 50;
/** One SendEmail, its SDK retries included, never takes longer than this (nor past the deadline). */
const SEND_TIMEOUT_MS = 20_000;
/** Error names SES (or the SDK) gives throttling, which SES answers before acting on the request. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestThrottled']);

export interface SesEmailOptions {
  readonly client: SESClient;
  readonly from: string;
  readonly to: readonly string[];
  readonly configurationSet?: string;
}

export function createSesEmailSender(options: SesEmailOptions): EmailSender {
  const batches = chunk(options.to, MAX_RECIPIENTS_PER_MESSAGE);
  return {
    recipients: options.to,
    async send(message: EmailMessage, callOptions?: CallOptions) {
      const messageIds: string[] = [];
      let sent = 0;
      for (const [index, recipients] of batches.entries()) {
        const progress =
          batches.length > 1
            ? ` (message ${index + 1} of ${batches.length}; ${sent} of ${options.to.length} recipients were already sent to)`
            : '';
        if (callOptions?.deadline !== undefined && Date.now() >= callOptions.deadline) {
          throw new EmailDeliveryError(`SES SendEmail was not sent${progress}: the invocation's deadline passed`, {
            sentRecipients: sent,
          });
        }
        const command = new SendEmailCommand({
          Source: options.from,
          Destination: { ToAddresses: [...recipients] },
          Message: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: {
              Html: { Data: message.html, Charset: 'UTF-8' },
              Text: { Data: message.text, Charset: 'UTF-8' },
            },
          },
          ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
        });
        keepRetriesSafe(command);
        try {
          const output = await options.client.send(command, {
            abortSignal: signalUntil(callOptions?.deadline, SEND_TIMEOUT_MS),
          });
          if (output.MessageId) messageIds.push(output.MessageId);
          sent += recipients.length;
        } catch (error) {
          if (error instanceof AnswerLost) {
            throw new EmailDeliveryError(
              `SES did not answer SendEmail${progress} (${describeSesError(error.original, options)}): the message to ${recipients.length} recipient${recipients.length === 1 ? '' : 's'} may have been sent, so it is not sent again blindly`,
              { cause: error.original, sentRecipients: sent, answerLost: true },
            );
          }
          throw new EmailDeliveryError(
            `SES SendEmail failed${progress}${batches.length > 1 ? '; all will get it again on retry' : ''}: ${describeSesError(error, options)}`,
            { cause: error, sentRecipients: sent },
          );
        }
      }
      return { messageIds };
    },
  };
}

/**
 * A SendEmail attempt failed after its request may have reached SES. Deliberately without
 * `cause`, `code`, `$metadata` or `$retryable`: the SDK's retry strategy classifies an error by
 * those (and by its cause), and this one must read as not retryable.
 */
class AnswerLost extends Error {
  constructor(readonly original: unknown) {
    super('SES may have acted on this SendEmail; its answer was lost');
    this.name = 'SesAnswerLost';
  }
}

/**
 * Adds, under the client's retry middleware (the deserialize step runs inside each attempt), a
 * check of every failed attempt: throttling, an error answer SES gave (4xx) and a request that
 * never left stay as they are (the SDK retries what it retries); anything else becomes AnswerLost.
 */
function keepRetriesSafe(command: SendEmailCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const e = (typeof error === 'object' && error !== null ? error : {}) as {
          name?: unknown;
          $metadata?: { httpStatusCode?: number };
        };
        const status = e.$metadata?.httpStatusCode;
        const answered = status !== undefined && status >= 400 && status < 500;
        if (THROTTLING.has(String(e.name)) || answered || neverSent(error)) throw error;
        throw new AnswerLost(error);
      }
    },
    { step: 'deserialize', priority: 'high', name: 'sendAtMostOnce' },
  );
}

/** Maps SES error names to what an operator should do. */
function describeSesError(error: unknown, options: SesEmailOptions): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'AbortError':
    case 'TimeoutError':
      return `${name}: SES did not answer in time (request abandoned at the invocation's deadline or after ${SEND_TIMEOUT_MS / 1000} s)`;
    case 'MessageRejected':
      return `${name}: ${message} — verify the sender ${options.from} (and, in the SES sandbox, the recipients) in SES`;
    case 'MailFromDomainNotVerifiedException':
      return `${name}: ${message} — verify the MAIL FROM domain of ${options.from} in SES`;
    case 'ConfigurationSetDoesNotExistException':
      return `${name}: ${message} — create configuration set ${options.configurationSet ?? ''} or unset SES_CONFIGURATION_SET`;
    case 'Throttling':
    case 'ThrottlingException':
      return `${name}: ${message} — SES sending rate exceeded after retries; the invocation's retry will try again`;
    case 'AccountSendingPausedException':
      return `${name}: ${message} — sending is paused for the account; see the SES console`;
    default:
      return `${name}: ${message}`;
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
