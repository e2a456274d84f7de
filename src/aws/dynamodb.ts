import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { DetectionRecord } from '../detections/lifecycle.ts';
import type { Outbox, StoredDetection } from '../detections/ingest/outbox.ts';
import type { PollCursor, StoredPollCursor } from '../detections/ingest/poll-window.ts';
import { AwsRefusal } from '../mirroring/errors.ts';
import { awsCall } from './errors.ts';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: DynamoDBClient } | undefined;
/** One client per container, as in ec2.ts. */
export function dynamoClient(): DynamoDBClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new DynamoDBClient({}), 'dynamodb') };
  return shared.client;
}

/**
 * Items of the detections table (partition key `pk`, string; TTL attribute `expiresAt`):
 * - `detection#...`: `modTime` N (the condition key), `record` S (DetectionRecord JSON), optional
 *   `outbox` S (Outbox JSON) with `outboxToken` S beside it for conditions;
 * - `cursor#extrahop`: `cursor` N, the poll's committed mod_time, `seenIds` S (JSON ids already queued at
 *   that mod_time), `seenCount` N and `revision` N (what a commit's condition compares);
 * - `webhook-replay#...`: only `expiresAt`, one per accepted signature.
 * JSON strings rather than maps: the records are read and written whole, and stay one attribute each.
 */

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/** A write whose condition did not hold: the caller re-reads and decides again. */
const conditionFailed = (error: unknown) =>
  error instanceof AwsRefusal && error.code === 'ConditionalCheckFailedException';

export class DetectionTable {
  readonly tableName: string;
  private readonly client: DynamoDBClient;

  constructor(tableName: string, client = dynamoClient()) {
    this.tableName = tableName;
    this.client = client;
  }

  /** Every call leaves as a domain error (src/aws/errors.ts); a failed condition keeps its code as its name. */
  private call<T>(operation: string, request: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    return awsCall(`DynamoDB ${operation}`, () => request(this.client));
  }

  /** A conditional write: true when it was made, false when its condition did not hold. */
  private async conditionalWrite(
    operation: string,
    request: (client: DynamoDBClient) => Promise<unknown>,
  ): Promise<boolean> {
    try {
      await this.call(operation, request);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async load(pk: string): Promise<StoredDetection | undefined> {
    const out = await this.call('GetItem', (client) =>
      client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: s(pk) }, ConsistentRead: true })),
    );
    const item = out.Item;
    if (!item?.record?.S) return undefined;
    const stored: StoredDetection = { record: JSON.parse(item.record.S) as DetectionRecord };
    if (item.outbox?.S) stored.outbox = JSON.parse(item.outbox.S) as Outbox;
    return stored;
  }

  /**
   * Writes a newer record together with its outbox. False when the item holds the same or a newer
   * modTime, or an outbox not yet delivered: the caller re-reads and decides again.
   */
  async saveWithOutbox(pk: string, record: DetectionRecord, outbox: Outbox, expiresAt: number): Promise<boolean> {
    return this.conditionalWrite('PutItem', (client) =>
      client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: s(pk),
            modTime: n(record.modTime),
            record: s(JSON.stringify(record)),
            outbox: s(JSON.stringify(outbox)),
            outboxToken: s(outbox.token),
            expiresAt: n(expiresAt),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (modTime < :m AND attribute_not_exists(outboxToken))',
          ExpressionAttributeValues: { ':m': n(record.modTime) },
        }),
      ),
    );
  }

  /** Replaces the outbox whose token is `expectedToken` (a claim, or progress); false when it changed meanwhile. */
  async replaceOutbox(pk: string, expectedToken: string, outbox: Outbox): Promise<boolean> {
    return this.conditionalWrite('UpdateItem', (client) =>
      client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(pk) },
          UpdateExpression: 'SET outbox = :o, outboxToken = :t',
          ConditionExpression: 'outboxToken = :expected',
          ExpressionAttributeValues: {
            ':o': s(JSON.stringify(outbox)),
            ':t': s(outbox.token),
            ':expected': s(expectedToken),
          },
        }),
      ),
    );
  }

  /** Removes a delivered outbox; false when another delivery had taken it over. */
  async clearOutbox(pk: string, token: string): Promise<boolean> {
    return this.conditionalWrite('UpdateItem', (client) =>
      client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(pk) },
          UpdateExpression: 'REMOVE outbox, outboxToken',
          ConditionExpression: 'outboxToken = :t',
          ExpressionAttributeValues: { ':t': s(token) },
        }),
      ),
    );
  }

  /** The poll cursor; an item written before `revision` existed reads as revision 0 with no ids. */
  async readCursor(pk: string): Promise<StoredPollCursor | undefined> {
    const out = await this.call('GetItem', (client) =>
      client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: s(pk) }, ConsistentRead: true })),
    );
    const item = out.Item;
    if (item?.cursor?.N === undefined) return undefined;
    const seenIds = item.seenIds?.S ? (JSON.parse(item.seenIds.S) as string[]) : [];
    return {
      modTime: Number(item.cursor.N),
      seenIds,
      seenCount: item.seenCount?.N === undefined ? seenIds.length : Number(item.seenCount.N),
      revision: item.revision?.N === undefined ? 0 : Number(item.revision.N),
    };
  }

  /** Moves the cursor from `previous` (undefined: no cursor yet) to `next`; false when another poll moved it first. */
  async commitCursor(
    pk: string,
    previous: StoredPollCursor | undefined,
    next: PollCursor,
    now: number,
  ): Promise<boolean> {
    const condition: Pick<
      PutItemCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      previous === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : previous.revision === 0
          ? {
              ConditionExpression: '#c = :previous AND attribute_not_exists(revision)',
              ExpressionAttributeNames: { '#c': 'cursor' },
              ExpressionAttributeValues: { ':previous': n(previous.modTime) },
            }
          : {
              ConditionExpression: 'revision = :revision',
              ExpressionAttributeValues: { ':revision': n(previous.revision) },
            };
    return this.conditionalWrite('PutItem', (client) =>
      client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: s(pk),
            cursor: n(next.modTime),
            seenIds: s(JSON.stringify(next.seenIds)),
            seenCount: n(next.seenCount),
            revision: n((previous?.revision ?? 0) + 1),
            committedAt: n(now),
          },
          ...condition,
        }),
      ),
    );
  }

  /** Whether a key recorded with recordOnce is there and has not expired (TTL deletion lags by up to days). */
  async holds(pk: string, now: number): Promise<boolean> {
    const out = await this.call('GetItem', (client) =>
      client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: s(pk) }, ConsistentRead: true })),
    );
    const expires = out.Item?.expiresAt?.N;
    return expires !== undefined && Number(expires) >= Math.floor(now / 1000);
  }

  /** Records a key once; false when it was already there (and has not expired). */
  async recordOnce(pk: string, expiresAt: number, now: number): Promise<boolean> {
    return this.conditionalWrite('PutItem', (client) =>
      client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: s(pk), expiresAt: n(expiresAt) },
          // TTL deletion lags by up to days: an expired item must not block the key.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': n(Math.floor(now / 1000)) },
        }),
      ),
    );
  }
}
