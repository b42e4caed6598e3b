/**
 * DeliveryLedger on DynamoDB (table: partition key `id` (S), TTL attribute `expiration`), one item
 * per `{org}:{window.to}:{channel}`. A conditional PutItem claims the key (status IN_PROGRESS
 * with a lease) before sending, so of two concurrent invocations only one sends; a successful
 * send overwrites it with DELIVERED; a failed send deletes the claim (only if still ours), so
 * the next attempt retries. A claim left by a crashed invocation expires with its lease. Every
 * call is abandoned at the caller's deadline (or after 5 s), so no ledger call can outlive the
 * invocation.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { signalUntil } from '../deadline';
import { LedgerError } from '../errors';
import type { CallOptions, ClaimResult, DeliveryLedger } from '../ports';

/** Records outlive any retry or replay of a weekly report, then DynamoDB's TTL removes them. */
const RETENTION_SECONDS = 90 * 24 * 60 * 60;
/** One ledger call (SDK retries included) never takes longer than this, nor past the caller's deadline. */
const CALL_TIMEOUT_MS = 5_000;

export interface DynamoDbLedgerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => number;
}

export function createDynamoDbLedger(options: DynamoDbLedgerOptions): DeliveryLedger {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  /** The token of each claim this instance holds, so `release` never drops someone else's claim. */
  const owned = new Map<string, string>();
  const expiration = () => ({ N: String(Math.floor(now() / 1000) + RETENTION_SECONDS) });

  return {
    async claim(key: string, leaseUntil: number, callOptions?: CallOptions): Promise<ClaimResult> {
      const owner = randomUUID();
      const abortSignal = signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: key },
              status: { S: 'IN_PROGRESS' },
              owner: { S: owner },
              leaseUntil: { N: String(leaseUntil) },
              claimedAt: { S: new Date(now()).toISOString() },
              expiration: expiration(),
            },
            ConditionExpression: 'attribute_not_exists(id) OR (#status = :inProgress AND #leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status', '#leaseUntil': 'leaseUntil' },
            ExpressionAttributeValues: { ':inProgress': { S: 'IN_PROGRESS' }, ':now': { N: String(now()) } },
          }),
          { abortSignal },
        );
        owned.set(key, owner);
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw ledgerError('claim', key, error);
      }
      try {
        const existing = await client.send(
          new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }),
          { abortSignal },
        );
        return existing.Item?.status?.S === 'DELIVERED' ? 'delivered' : 'in_progress';
      } catch (error) {
        throw ledgerError('read', key, error);
      }
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
              status: { S: 'DELIVERED' },
              deliveredAt: { S: new Date(now()).toISOString() },
              detail: { M: Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, { S: v }])) },
              expiration: expiration(),
            },
          }),
          { abortSignal: signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS) },
        );
        owned.delete(key);
      } catch (error) {
        throw ledgerError('record', key, error);
      }
    },

    async release(key: string, callOptions?: CallOptions): Promise<void> {
      const owner = owned.get(key);
      if (owner === undefined) return;
      owned.delete(key);
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { id: { S: key } },
            ConditionExpression: '#status = :inProgress AND #owner = :owner',
            ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: { ':inProgress': { S: 'IN_PROGRESS' }, ':owner': { S: owner } },
          }),
          { abortSignal: signalUntil(callOptions?.deadline, CALL_TIMEOUT_MS) },
        );
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
