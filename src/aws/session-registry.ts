import {
  BatchWriteItemCommand,
  GetItemCommand,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { RetryableError } from '../mirroring/errors.ts';
import type { RecordingWorkflow, SessionRecord, SessionRegistry } from '../mirroring/registry.ts';
import { dynamoClient } from './dynamodb.ts';
import { awsCall } from './errors.ts';

/**
 * The sessions table (partition key `trafficMirrorSessionId`, string): one item per session autotap
 * manages, its attributes those of SessionRecord. Written in BatchWriteItem calls of 25 requests,
 * the most one call takes (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 */
export const WRITES_PER_BATCH = 25;

/** Passes over the unprocessed items BatchWriteItem hands back before the call counts as throttled. */
export const UNPROCESSED_PASSES = 5;

const s = (value: string): AttributeValue => ({ S: value });

function itemOf(record: SessionRecord): Record<string, AttributeValue> {
  return {
    trafficMirrorSessionId: s(record.trafficMirrorSessionId),
    networkInterfaceId: s(record.networkInterfaceId),
    instanceId: s(record.instanceId),
    trafficMirrorTargetId: s(record.trafficMirrorTargetId),
    sessionNumber: { N: String(record.sessionNumber) },
    workflow: s(record.workflow),
    reason: s(record.reason),
    recordedAt: s(record.recordedAt),
    ...(record.executionArn ? { executionArn: s(record.executionArn) } : {}),
    ...(record.accountId ? { accountId: s(record.accountId) } : {}),
    ...(record.region ? { region: s(record.region) } : {}),
  };
}

function recordOf(item: Record<string, AttributeValue>): SessionRecord {
  const text = (name: string) => item[name]?.S ?? '';
  return {
    trafficMirrorSessionId: text('trafficMirrorSessionId'),
    networkInterfaceId: text('networkInterfaceId'),
    instanceId: text('instanceId'),
    trafficMirrorTargetId: text('trafficMirrorTargetId'),
    sessionNumber: Number(item.sessionNumber?.N ?? 0),
    workflow: text('workflow') as RecordingWorkflow,
    reason: text('reason'),
    recordedAt: text('recordedAt'),
    ...(item.executionArn?.S ? { executionArn: item.executionArn.S } : {}),
    ...(item.accountId?.S ? { accountId: item.accountId.S } : {}),
    ...(item.region?.S ? { region: item.region.S } : {}),
  };
}

export class SessionRegistryTable implements SessionRegistry {
  readonly tableName: string;
  private readonly client: DynamoDBClient;

  constructor(tableName: string, client: DynamoDBClient = dynamoClient()) {
    this.tableName = tableName;
    this.client = client;
  }

  record(records: readonly SessionRecord[]): Promise<void> {
    return this.write(records.map((r) => ({ PutRequest: { Item: itemOf(r) } })));
  }

  forget(trafficMirrorSessionIds: readonly string[]): Promise<void> {
    return this.write(
      [...new Set(trafficMirrorSessionIds)].map((id) => ({
        DeleteRequest: { Key: { trafficMirrorSessionId: s(id) } },
      })),
    );
  }

  async lookup(trafficMirrorSessionId: string): Promise<SessionRecord | undefined> {
    const out = await awsCall('DynamoDB GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { trafficMirrorSessionId: s(trafficMirrorSessionId) },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? recordOf(out.Item) : undefined;
  }

  list(): Promise<SessionRecord[]> {
    return awsCall('DynamoDB Scan', async () => {
      const found: SessionRecord[] = [];
      for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName }))
        found.push(...(page.Items ?? []).map(recordOf));
      return found;
    });
  }

  /**
   * Writes in batches; what DynamoDB leaves unprocessed (throttled partitions) goes again, and what
   * is still left after the passes is thrown as Throttled for the state machine's Retry: every write
   * is a put or delete of a whole item, so a repeat is harmless.
   */
  private async write(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += WRITES_PER_BATCH) {
      let pending = requests.slice(i, i + WRITES_PER_BATCH);
      for (let pass = 0; pass < UNPROCESSED_PASSES && pending.length > 0; pass += 1) {
        // DynamoDB asks for a backoff before unprocessed items go again.
        if (pass > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** pass));
        const batch = pending;
        const out = await awsCall('DynamoDB BatchWriteItem', () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
      }
      if (pending.length > 0)
        throw new RetryableError('Throttled', `DynamoDB BatchWriteItem left ${pending.length} write(s) unprocessed`);
    }
  }
}
