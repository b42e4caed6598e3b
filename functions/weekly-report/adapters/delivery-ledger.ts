/**
 * DeliveryLedger on DynamoDB (table: partition key `id` (S), TTL attribute `expiration`), one item
 * per `{org}:{window.to}:{channel}`, in one of three states (docs/delivery.md):
 * - IN_PROGRESS: claimed by one invocation (its `owner`) until `leaseUntil`, before it sends. Of
 *   two concurrent invocations only one claims (a conditional PutItem).
 * - DELIVERED: sent (or found sent), with what the send returned.
 * - UNKNOWN: a send that may have happened but whose answer was lost, since `unknownSince`.
 * No item means nothing was sent: a send that certainly failed deletes its claim, so the next
 * attempt sends. A claim whose lease lapsed (its holder died, perhaps mid-send) reads as UNKNOWN.
 * An UNKNOWN item is taken (IN_PROGRESS again, keeping `unknownSince` and the detail) only by a
 * caller that will look for the earlier send or resend on purpose; if that caller's send fails,
 * the item goes back to UNKNOWN, never to nothing.
 *
 * Only GetItem, PutItem and DeleteItem are used (what the stack grants); every write that depends
 * on the state read is conditional. Every call is abandoned at the caller's deadline (or after
 * 5 s), so no ledger call can outlive the invocation.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { signalUntil } from '../deadline';
import { LedgerError } from '../errors';
import type { CallOptions, ClaimOptions, ClaimResult, DeliveryLedger, LostAnswer } from '../ports';

/** Records outlive any retry or replay of a weekly report, then DynamoDB's TTL removes them. */
const RETENTION_SECONDS = 90 * 24 * 60 * 60;
/** One ledger call (SDK retries included) never takes longer than this, nor past the caller's deadline. */
const CALL_TIMEOUT_MS = 5_000;
/** A claim without a readable `claimedAt` was made at most this long before its lease ends. */
const LONGEST_LEASE_MS = 5 * 60 * 1000;

export const LEDGER_STATUS = { inProgress: 'IN_PROGRESS', delivered: 'DELIVERED', unknown: 'UNKNOWN' } as const;

export interface DynamoDbLedgerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => number;
}

/** A claim this instance holds: its token, and the unknown outcome it took over, if any. */
interface Held {
  readonly owner: string;
  readonly claimedAt: number;
  readonly lost?: LostAnswer;
}

export function createDynamoDbLedger(options: DynamoDbLedgerOptions): DeliveryLedger {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  /** Each claim this instance holds, so `release` and `recordUnknown` never touch someone else's. */
  const held = new Map<string, Held>();
  const expiration = (): AttributeValue => ({ N: String(Math.floor(now() / 1000) + RETENTION_SECONDS) });
  const names = { '#status': 'status', '#owner': 'owner', '#leaseUntil': 'leaseUntil' };

  /** The item of a fresh claim, or of one taken over an unknown outcome (which keeps `lost`). */
  const claimItem = (key: string, claim: Held, leaseUntil: number): Record<string, AttributeValue> => ({
    id: { S: key },
    status: { S: LEDGER_STATUS.inProgress },
    owner: { S: claim.owner },
    leaseUntil: { N: String(leaseUntil) },
    claimedAt: { S: new Date(claim.claimedAt).toISOString() },
    ...(claim.lost ? { unknownSince: { N: String(claim.lost.since) }, detail: stringMap(claim.lost.detail) } : {}),
    expiration: expiration(),
  });

  const unknownItem = (key: string, lost: LostAnswer): Record<string, AttributeValue> => ({
    id: { S: key },
    status: { S: LEDGER_STATUS.unknown },
    unknownSince: { N: String(lost.since) },
    recordedAt: { S: new Date(now()).toISOString() },
    detail: stringMap(lost.detail),
    expiration: expiration(),
  });

  return {
    async claim(key: string, leaseUntil: number, callOptions?: ClaimOptions): Promise<ClaimResult> {
      const abortSignal = signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS);
      const fresh: Held = { owner: randomUUID(), claimedAt: now() };
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: claimItem(key, fresh, leaseUntil),
            ConditionExpression: 'attribute_not_exists(id)',
          }),
          { abortSignal },
        );
        held.set(key, fresh);
        return { status: 'claimed' };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw ledgerError('claim', key, error);
      }

      let item: Record<string, AttributeValue> | undefined;
      try {
        ({ Item: item } = await client.send(
          new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }),
          { abortSignal },
        ));
      } catch (error) {
        throw ledgerError('read', key, error);
      }
      // Gone between the two calls (its claim was released): the caller looks again shortly.
      if (!item) return { status: 'in_progress' };
      const status = item.status?.S;
      if (status === LEDGER_STATUS.delivered) {
        // What it recorded (a Slack post's ts: its thread reply is posted under it by a later run).
        const detail = Object.fromEntries(
          Object.entries(item.detail?.M ?? {}).flatMap(([k, v]) => (v.S !== undefined ? [[k, v.S]] : [])),
        );
        return { status: 'delivered', detail };
      }
      const lease = Number(item.leaseUntil?.N ?? Number.NaN);
      if (status === LEDGER_STATUS.inProgress && lease >= now()) return { status: 'in_progress' };

      // UNKNOWN, or a claim whose holder died: the send may have happened.
      const lost = lostAnswerOf(item, lease);
      if (!callOptions?.takeUnknown) return { status: 'unknown', lost };
      const taking: Held = { owner: randomUUID(), claimedAt: now(), lost };
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: claimItem(key, taking, leaseUntil),
            // Still what was read: another caller taking it first makes this one wait.
            ConditionExpression:
              status === LEDGER_STATUS.unknown
                ? '#status = :unknown AND unknownSince = :since'
                : '#status = :inProgress AND #owner = :owner AND #leaseUntil < :now',
            ExpressionAttributeNames:
              status === LEDGER_STATUS.unknown
                ? { '#status': 'status' }
                : { '#status': 'status', '#owner': 'owner', '#leaseUntil': 'leaseUntil' },
            ExpressionAttributeValues:
              status === LEDGER_STATUS.unknown
                ? { ':unknown': { S: LEDGER_STATUS.unknown }, ':since': { N: item.unknownSince?.N ?? '0' } }
                : {
                    ':inProgress': { S: LEDGER_STATUS.inProgress },
                    ':owner': { S: item.owner?.S ?? '' },
                    ':now': { N: String(now()) },
                  },
          }),
          { abortSignal },
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { status: 'in_progress' };
        throw ledgerError('claim', key, error);
      }
      held.set(key, taking);
      return { status: 'claimed', lost };
    },

    async recordDelivered(
      key: string,
      detail: Readonly<Record<string, string>>,
      callOptions?: CallOptions,
    ): Promise<void> {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: key },
              status: { S: LEDGER_STATUS.delivered },
              deliveredAt: { S: new Date(now()).toISOString() },
              detail: stringMap(detail),
              expiration: expiration(),
            },
          }),
          { abortSignal: signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS) },
        );
        held.delete(key);
      } catch (error) {
        throw ledgerError('record', key, error);
      }
    },

    async recordUnknown(
      key: string,
      detail: Readonly<Record<string, string>>,
      callOptions?: CallOptions,
    ): Promise<void> {
      const claim = held.get(key);
      // The earliest send that may have happened is where a later run starts looking.
      const since = claim?.lost?.since ?? claim?.claimedAt ?? now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: unknownItem(key, { since, detail: { ...claim?.lost?.detail, ...detail } }),
            ...(claim
              ? {
                  ConditionExpression: '#status = :inProgress AND #owner = :owner',
                  ExpressionAttributeNames: { '#status': names['#status'], '#owner': names['#owner'] },
                  ExpressionAttributeValues: {
                    ':inProgress': { S: LEDGER_STATUS.inProgress },
                    ':owner': { S: claim.owner },
                  },
                }
              : {}),
          }),
          { abortSignal: signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS) },
        );
        held.delete(key);
      } catch (error) {
        // Our claim lapsed and another caller took it: it treats the key as unknown already.
        if (error instanceof ConditionalCheckFailedException) return void held.delete(key);
        throw ledgerError('record', key, error);
      }
    },

    async release(key: string, callOptions?: CallOptions): Promise<void> {
      const claim = held.get(key);
      if (claim === undefined) return;
      held.delete(key);
      const ours = {
        ConditionExpression: '#status = :inProgress AND #owner = :owner',
        ExpressionAttributeNames: { '#status': names['#status'], '#owner': names['#owner'] },
        ExpressionAttributeValues: { ':inProgress': { S: LEDGER_STATUS.inProgress }, ':owner': { S: claim.owner } },
      };
      const abortSignal = signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS);
      try {
        if (claim.lost) {
          // The earlier send's outcome is still unknown: back to UNKNOWN, never to nothing.
          await client.send(new PutItemCommand({ TableName: tableName, Item: unknownItem(key, claim.lost), ...ours }), {
            abortSignal,
          });
        } else {
          await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: key } }, ...ours }), {
            abortSignal,
          });
        }
      } catch (error) {
        // Someone else's claim (ours expired and was taken over) is theirs to finish.
        if (error instanceof ConditionalCheckFailedException) return;
        throw ledgerError('release', key, error);
      }
    },
  };

  function ledgerError(operation: string, key: string, error: unknown): LedgerError {
    const name = error instanceof Error ? error.name : 'Error';
    const hint =
      name === 'ResourceNotFoundException'
        ? `create table ${tableName} (partition key id (S), TTL attribute expiration) or fix IDEMPOTENCY_TABLE`
        : name === 'AccessDeniedException'
          ? `grant the function role dynamodb:PutItem, GetItem and DeleteItem on ${tableName}`
          : error instanceof Error
            ? error.message
            : String(error);
    return new LedgerError(`Idempotency table ${tableName}: could not ${operation} ${key} (${name}): ${hint}`, {
      cause: error,
    });
  }
}

/** An UNKNOWN item, or an IN_PROGRESS one whose lease lapsed, as the send it stands for. */
function lostAnswerOf(item: Record<string, AttributeValue>, lease: number): LostAnswer {
  const recorded = Number(item.unknownSince?.N ?? Number.NaN);
  const claimed = Date.parse(item.claimedAt?.S ?? '');
  const since = Number.isFinite(recorded)
    ? recorded
    : Number.isFinite(claimed)
      ? claimed
      : Number.isFinite(lease)
        ? lease - LONGEST_LEASE_MS
        : 0;
  const detail = Object.fromEntries(
    Object.entries(item.detail?.M ?? {}).flatMap(([k, v]) => (v.S !== undefined ? [[k, v.S]] : [])),
  );
  if (item.status?.S === LEDGER_STATUS.inProgress && detail.error === undefined) {
    detail.error = 'the invocation sending it stopped before recording how the send ended (its claim lapsed)';
  }
  return { since, detail };
}

function stringMap(values: Readonly<Record<string, string>>): AttributeValue {
  return { M: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { S: v }])) };
}
