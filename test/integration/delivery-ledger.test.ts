/**
 * The DynamoDB ledger (adapters/delivery-ledger.ts) on dynalite through the real SDK client: its
 * states (none → IN_PROGRESS → DELIVERED, back to none after a sure failure, UNKNOWN after a lost
 * answer), a lapsed claim read as unknown, an unknown key taken only on request and by one caller
 * at a time, and a taken-over key that goes back to UNKNOWN (never to nothing) when its send fails.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbLedger } from '../../functions/weekly-report/adapters/delivery-ledger';
import { type DynamoEmulator, LOCAL_CREDENTIALS, startDynamoEmulator, TEST_REGION } from '../support/aws-emulators';

describe('DynamoDB delivery ledger', () => {
  let dynamo: DynamoEmulator;
  let client: DynamoDBClient;
  let time = Date.parse('2026-11-23T09:00:00Z');
  let keys = 0;
  const now = () => time;
  const ledger = () => createDynamoDbLedger({ client, tableName: dynamo.tableName, now });
  const nextKey = () => `Acme:2026-11-23T00:00:00.000Z:email-${++keys}`;
  const item = async (key: string) =>
    (await client.send(new GetItemCommand({ TableName: dynamo.tableName, Key: { id: { S: key } } }))).Item;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dynamo = await startDynamoEmulator();
    client = new DynamoDBClient({ endpoint: dynamo.url, region: TEST_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  it('claims once, records delivered, and releases a sure failure to nothing', async () => {
    // Prepare
    const [a, b] = [ledger(), ledger()];
    const [sent, failed] = [nextKey(), nextKey()];

    // Act
    const first = await a.claim(sent, time + 75_000);
    const second = await b.claim(sent, time + 75_000);
    await a.recordDelivered(sent, { messageIds: 'm-1' });
    const after = await b.claim(sent, time + 75_000);
    await a.claim(failed, time + 75_000);
    await a.release(failed);

    // Assess
    // A delivered claim hands back what the delivering run recorded (a thread reply needs its post's ts).
    expect([first, second, after]).toEqual([
      { status: 'claimed' },
      { status: 'in_progress' },
      { status: 'delivered', detail: { messageIds: 'm-1' } },
    ]);
    expect(await item(failed)).toBeUndefined();
    expect(await b.claim(failed, time + 75_000)).toEqual({ status: 'claimed' });
  });

  it('keeps a lost answer UNKNOWN since its claim, and hands it only to a caller that asks', async () => {
    // Prepare
    const [a, b, c] = [ledger(), ledger(), ledger()];
    const key = nextKey();
    const claimedAt = time;
    await a.claim(key, time + 75_000);
    time += 20_000;

    // Act
    await a.recordUnknown(key, { error: 'socket hang up' });
    const refused = await b.claim(key, time + 75_000);
    const taken = await b.claim(key, time + 75_000, { takeUnknown: true });
    const meanwhile = await c.claim(key, time + 75_000, { takeUnknown: true });

    // Assess
    const lost = { since: claimedAt, detail: { error: 'socket hang up' } };
    expect(refused).toEqual({ status: 'unknown', lost });
    expect(taken).toEqual({ status: 'claimed', lost });
    expect(meanwhile).toEqual({ status: 'in_progress' });
    expect((await item(key))?.status?.S).toBe('IN_PROGRESS');
  });

  it('puts a taken-over key back to UNKNOWN when its new send fails for sure, and to DELIVERED when it is found', async () => {
    // Prepare
    const [a, b] = [ledger(), ledger()];
    const key = nextKey();
    const since = time;
    await a.claim(key, time + 75_000);
    await a.recordUnknown(key, { error: 'timeout' });
    await b.claim(key, time + 75_000, { takeUnknown: true });

    // Act
    await b.release(key);
    const again = await a.claim(key, time + 75_000);
    const retaken = await a.claim(key, time + 75_000, { takeUnknown: true });
    await a.recordDelivered(key, { ts: '1700000000.000001', found: 'true' });

    // Assess
    expect(again).toEqual({ status: 'unknown', lost: { since, detail: { error: 'timeout' } } });
    expect(retaken.status).toBe('claimed');
    const stored = await item(key);
    expect(stored?.status?.S).toBe('DELIVERED');
    expect(stored?.detail?.M).toEqual({ ts: { S: '1700000000.000001' }, found: { S: 'true' } });
  });

  it('reads a claim whose lease lapsed as unknown since it was claimed (its holder may have sent)', async () => {
    // Prepare
    const [crashed, retry] = [ledger(), ledger()];
    const key = nextKey();
    const claimedAt = time;
    await crashed.claim(key, time + 75_000);
    time += 76_000;

    // Act
    const found = await retry.claim(key, time + 75_000);
    const taken = await retry.claim(key, time + 75_000, { takeUnknown: true });

    // Assess
    expect(found).toEqual({
      status: 'unknown',
      lost: { since: claimedAt, detail: { error: expect.stringMatching(/stopped before recording/) } },
    });
    expect(taken.status).toBe('claimed');
  });

  it('writes a TTL on every state', async () => {
    // Prepare
    const a = ledger();
    const [unknown, delivered] = [nextKey(), nextKey()];
    await a.claim(unknown, time + 75_000);
    await a.recordUnknown(unknown, { error: 'x' });
    await a.claim(delivered, time + 75_000);
    await a.recordDelivered(delivered, {});

    // Act
    const items = [await item(unknown), await item(delivered)];

    // Assess
    const inNinetyDays = Math.floor(time / 1000) + 90 * 86_400;
    expect(items.map((i) => Number(i?.expiration?.N))).toEqual([inNinetyDays, inNinetyDays]);
  });
});
