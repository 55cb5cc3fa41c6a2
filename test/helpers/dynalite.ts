/**
 * dynalite (DynamoDB in process, in memory) on a free loopback port, for any test that needs a
 * DynamoDB endpoint.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDbStateStore, createStateTable } from '../../lib/state';

/** A running dynalite and a client pointed at it. */
export interface Dynalite {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** A client for `endpoint`; `stop()` destroys it. */
  client: DynamoDBClient;
  /**
   * Creates a new state table (named `prefix-N`) and returns a factory of `DynamoDbStateStore`s on
   * it, each with its own clock: one table per run, so runs never see each other's items.
   */
  newStoreFactory(prefix: string): Promise<(now: () => number) => DynamoDbStateStore>;
  /** Destroys the client and closes the server (and its open connections). */
  stop(): Promise<void>;
}

type DynaliteFactory = (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

/**
 * Starts dynalite with tables that become ACTIVE at once.
 * @example
 * let db: Dynalite;
 * beforeAll(async () => (db = await startDynalite()));
 * afterAll(() => db.stop());
 */
export async function startDynalite(): Promise<Dynalite> {
  // dynalite ships no types; its factory returns a plain http.Server.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = dynaliteClient(endpoint);
  let tables = 0;
  return {
    endpoint,
    client,
    async newStoreFactory(prefix) {
      const tableName = `${prefix}-${++tables}`;
      await createStateTable(client, tableName);
      return (now) => new DynamoDbStateStore({ client, tableName, now });
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * A new client for a dynalite endpoint (dummy credentials, us-east-1), for tests that add
 * middleware or configure retries on their own client. The caller destroys it.
 */
export function dynaliteClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    ...config,
  });
}
