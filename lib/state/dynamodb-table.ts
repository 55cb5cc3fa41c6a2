/**
 * The state table itself, for local runs and tests (on AWS the CDK construct creates it): string
 * keys `pk`/`sk`, on-demand billing, TTL on `expiresAt`.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { StateStoreError } from './types';

/** How long `createStateTable` waits for the table to become ACTIVE, seconds. */
const ACTIVE_TIMEOUT_S = 5 * 60;

/** Errors of emulators that lack UpdateTimeToLive (dynalite answers UnknownOperationException). */
const TTL_UNSUPPORTED = new Set(['UnknownOperationException', 'NotImplementedException', 'NotImplemented']);

/**
 * Creates the state table (pk/sk strings, PAY_PER_REQUEST), waits until it is ACTIVE, and enables
 * TTL on `expiresAt`. Idempotent: an existing table is waited for and left as it is. An emulator
 * without TTL support (dynalite) is fine: readers filter expired items themselves.
 * @example await createStateTable(client, 'dstream-state');
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  await waitUntilActive(client, tableName);
  await enableTtl(client, tableName);
}

/**
 * Whether the table exists (in any status).
 * @example if (!(await stateTableExists(client, name))) await createStateTable(client, name);
 */
export async function stateTableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  // The SDK's waiter (DescribeTable until ACTIVE); emulators create tables at once, so start small.
  try {
    await waitUntilTableExists(
      { client, maxWaitTime: ACTIVE_TIMEOUT_S, minDelay: 0.02, maxDelay: 2 },
      { TableName: tableName },
    );
  } catch (error) {
    throw new StateStoreError(
      `table ${tableName} did not become ACTIVE within ${ACTIVE_TIMEOUT_S} s (${(error as Error).message}); check it in the console`,
    );
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
  } catch (error) {
    const { name, message } = error as Error;
    const alreadyOn = name === 'ValidationException' && /already enabled/i.test(message);
    if (!alreadyOn && !TTL_UNSUPPORTED.has(name)) throw error;
  }
}
