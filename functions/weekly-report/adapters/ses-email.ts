/**
 * EmailSender over an injected SESClient (`SendEmail`): HTML and text bodies and the subject in
 * UTF-8, recipients split into messages of at most 50 (SES's limit per message), optional
 * configuration set. Each message is abandoned at the invocation's deadline (an AbortSignal), so
 * a black-holed endpoint fails the channel in time for the ledger to record it. Throttling is retried by the SDK's own retry strategy (configured on the
 * client); any error left over is surfaced with a message naming the fix, never swallowed.
 *
 * Partial failure across messages: the messages are sent one after the other and the first
 * failure stops the send and throws EmailDeliveryError saying how many recipients were already
 * sent to. The email channel then counts as failed, and the next attempt sends to every
 * recipient again: the earlier recipients may get the report twice, but nobody misses it
 * (at-least-once per recipient; we prefer a duplicate over a silently missing report).
 */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { signalUntil } from '../deadline';
import { EmailDeliveryError } from '../errors';
import type { CallOptions, EmailMessage, EmailSender } from '../ports';

/** SES accepts at most 50 recipients (To + Cc + Bcc) per message. */
export const MAX_RECIPIENTS_PER_MESSAGE = 50;
/** One SendEmail, its SDK retries included, never takes longer than this (nor past the deadline). */
const SEND_TIMEOUT_MS = 20_000;

export interface SesEmailOptions {
  readonly client: SESClient;
  readonly from: string;
  readonly to: readonly string[];
  readonly configurationSet?: string;
}

export function createSesEmailSender(options: SesEmailOptions): EmailSender {
  const batches = chunk(options.to, MAX_RECIPIENTS_PER_MESSAGE);
  return {
    async send(message: EmailMessage, callOptions?: CallOptions) {
      const messageIds: string[] = [];
      let sent = 0;
      for (const [index, recipients] of batches.entries()) {
        try {
          const output = await options.client.send(
            new SendEmailCommand({
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
            }),
            { abortSignal: signalUntil(callOptions?.deadline, SEND_TIMEOUT_MS) },
          );
          if (output.MessageId) messageIds.push(output.MessageId);
          sent += recipients.length;
        } catch (error) {
          const progress =
            batches.length > 1
              ? ` (message ${index + 1} of ${batches.length}; ${sent} of ${options.to.length} recipients were already sent to and will get it again on retry)`
              : '';
          throw new EmailDeliveryError(`SES SendEmail failed${progress}: ${describeSesError(error, options)}`, {
            cause: error,
            sentRecipients: sent,
          });
        }
      }
      return { messageIds };
    },
  };
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
