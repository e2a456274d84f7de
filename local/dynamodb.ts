import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

/**
 * DynamoDB for the local AWS: dynalite, DynamoDB's API on an in-memory store, on a free loopback
 * port, with the tables as the stack defines them.
 */

export interface LocalDynamo {
  endpoint: string;
  /** Requests received since the start (or the last reset). */
  requests(): number;
  resetRequests(): void;
  close(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCAL', secretAccessKey: 'local-secret' };

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let requests = 0;
  server.on('request', () => {
    requests += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    resetRequests: () => {
      requests = 0;
    },
    // Connections still open (a run that failed mid-request) must not keep it up.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A table keyed by one string attribute, on demand: how the stack defines its tables (serverless.yml, deploy/stage-config.ts). */
export async function createTable(endpoint: string, tableName: string, key: string): Promise<string> {
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    admin.destroy();
  }
  return tableName;
}

/** The session registry's table (serverless.yml SessionsTable). */
export const createSessionsTable = (endpoint: string, tableName = 'autotap-local-sessions') =>
  createTable(endpoint, tableName, 'trafficMirrorSessionId');
