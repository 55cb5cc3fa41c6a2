/**
 * Embedded emulators: kinesalite (Kinesis), dynalite (DynamoDB) and s3rver (S3), started in this
 * process on 127.0.0.1 with ports chosen by the OS. In memory by default; with `dataDir`, every
 * emulator persists under it (`kinesis/`, `dynamodb/`, `s3/`) and a restart finds the same data.
 */
import * as fs from 'fs';
import type { Server } from 'http';
import * as os from 'os';
import * as path from 'path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { EmulatorError } from './errors';

/** The services {@link startEmulators} can start. */
export type EmulatedService = 'kinesis' | 'dynamodb' | 's3';

/** Options of {@link startEmulators}. */
export interface EmulatorOptions {
  /**
   * Directory to persist data in (created if missing): `kinesis/` and `dynamodb/` hold LevelDB
   * stores, `s3/` the objects. Kept on stop.
   * @default in memory (S3 in a temporary directory, removed on stop)
   */
  dataDir?: string;
  /**
   * Which emulators to start; the endpoints of the others are empty strings. Tests that need
   * only Kinesis start faster with `['kinesis']`.
   * @default ['kinesis', 'dynamodb', 's3']
   */
  services?: EmulatedService[];
}

/** Running emulators: their endpoints, and how to stop them. */
export interface Emulators {
  /** e.g. `http://127.0.0.1:41234`; empty if Kinesis was not started. */
  kinesisEndpoint: string;
  /** e.g. `http://127.0.0.1:41235`; empty if DynamoDB was not started. */
  dynamoEndpoint: string;
  /** e.g. `http://127.0.0.1:41236`; empty if S3 was not started. */
  s3Endpoint: string;
  /** Closes every server and removes temporary directories. Safe to call more than once. */
  stop(): Promise<void>;
}

/** How long a server may take to close before its open connections are cut. */
const CLOSE_GRACE_MS = 2000;

interface Running {
  name: string;
  close(): Promise<void>;
}

/**
 * Starts the emulators in this process, on 127.0.0.1, on free ports.
 *
 * @example
 * const emulators = await startEmulators();
 * const kinesis = kinesisClient({ endpoint: emulators.kinesisEndpoint });
 * await ensureStream(kinesis, 'lines', 2);
 * // ...
 * await emulators.stop();
 */
export async function startEmulators(opts: EmulatorOptions = {}): Promise<Emulators> {
  const services = new Set<EmulatedService>(opts.services ?? ['kinesis', 'dynamodb', 's3']);
  const running: Running[] = [];
  const tempDirs: string[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopAll(running, tempDirs));

  const dirFor = (name: string): string | undefined => {
    if (opts.dataDir === undefined) return undefined;
    const dir = path.join(path.resolve(opts.dataDir), name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };

  try {
    const endpoints = { kinesisEndpoint: '', dynamoEndpoint: '', s3Endpoint: '' };
    if (services.has('kinesis')) {
      // Loaded on demand: the emulators pull in LevelDB, Koa and more, which `produce` never needs.
      const { default: kinesalite } = await import('kinesalite');
      const kinesisDir = dirFor('kinesis');
      const server = kinesalite({
        createStreamMs: 0,
        deleteStreamMs: 0,
        updateStreamMs: 0,
        shardLimit: 100,
        ...(kinesisDir !== undefined ? { path: kinesisDir } : {}),
      });
      endpoints.kinesisEndpoint = await listen('kinesalite', server);
      running.push({ name: 'kinesalite', close: () => closeServer(server) });
    }
    if (services.has('dynamodb')) {
      const { default: dynalite } = await import('dynalite');
      const dynamoDir = dirFor('dynamodb');
      const server = dynalite({
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
        ...(dynamoDir !== undefined ? { path: dynamoDir } : {}),
      });
      endpoints.dynamoEndpoint = await listen('dynalite', server);
      running.push({ name: 'dynalite', close: () => closeServer(server) });
    }
    if (services.has('s3')) {
      let directory = dirFor('s3');
      if (directory === undefined) {
        directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dstream-s3-'));
        tempDirs.push(directory);
      }
      endpoints.s3Endpoint = await startS3rver(directory, running);
    }
    return { ...endpoints, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    if (err instanceof EmulatorError) throw err;
    throw new EmulatorError(
      `Could not start the embedded emulators: ${(err as Error).message}. ` +
        `If --data points at a directory another process is using, stop that process or choose another directory.`,
      { cause: err },
    );
  }
}

async function startS3rver(directory: string, running: Running[]): Promise<string> {
  const { default: S3rver } = await import('s3rver');
  acceptAnyAccessKey();
  const s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    allowMismatchedSignatures: true,
  });
  const { port } = await s3rver.run();
  running.push({
    name: 's3rver',
    close: async () => {
      const server = s3rver.httpServer;
      if (server) await closeServer(server, () => s3rver.close());
    },
  });
  return `http://127.0.0.1:${port}`;
}

/**
 * s3rver knows only its own key pair (S3RVER/S3RVER) and refuses other access keys
 * (InvalidAccessKeyId). Like LocalStack, the embedded emulator accepts any credentials, so that
 * `aws s3 ls --endpoint-url ...` works with whatever keys the shell has: unknown access key ids
 * resolve to s3rver's one account (with `allowMismatchedSignatures`, a V2 signature made with
 * another secret is accepted too; s3rver does not check V4 signatures). This changes s3rver's
 * registry in this process only, where every s3rver is an embedded emulator.
 */
function acceptAnyAccessKey(): void {
  // require, not import(): under tsx a dynamic import of this extension-less deep path is resolved
  // as ESM and fails (`dstream run`); require resolves it in every loader.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const accounts = require('s3rver/lib/models/account') as typeof import('s3rver/lib/models/account');
  const { registry, DUMMY_ACCOUNT } = accounts;
  if ((registry as { acceptsAnyKey?: boolean }).acceptsAnyKey) return;
  const known = registry.get.bind(registry);
  registry.get = (accessKeyId: string) => known(accessKeyId) ?? DUMMY_ACCOUNT;
  const secrets = DUMMY_ACCOUNT.accessKeys;
  const secretOf = secrets.get.bind(secrets);
  secrets.get = (accessKeyId: string) => secretOf(accessKeyId) ?? secretOf('S3RVER');
  (registry as { acceptsAnyKey?: boolean }).acceptsAnyKey = true;
}

function listen(name: string, server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new EmulatorError(`${name} could not listen on 127.0.0.1: ${err.message}`));
    server.once('error', onError);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new EmulatorError(`${name} started but reports no TCP port (address: ${String(address)}).`));
        return;
      }
      resolve(`http://127.0.0.1:${address.port}`);
    });
  });
}

/**
 * Closes a server (by its own close, which also closes the emulator's database) and waits for
 * it. Idle keep-alive sockets are closed at once; busy ones get a grace period, then are cut.
 */
function closeServer(
  server: Server,
  close: () => Promise<void> = () => promisifyClose(server),
): Promise<void> {
  const cutTimer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  cutTimer.unref();
  const closed = close();
  server.closeIdleConnections();
  return closed.finally(() => clearTimeout(cutTimer));
}

function promisifyClose(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

async function stopAll(running: Running[], tempDirs: string[]): Promise<void> {
  const results = await Promise.allSettled(running.splice(0).map((r) => r.close()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    throw new EmulatorError(`Stopping the emulators failed: ${failed.map((e) => e.message).join('; ')}.`);
  }
}

/** What {@link ensureStream} found or created. */
export interface StreamInfo {
  streamName: string;
  streamArn: string;
  /** Open shards. May differ from the count asked for, if the stream already existed. */
  shardCount: number;
}

/**
 * Creates the stream if it does not exist, and waits until it is ACTIVE. Idempotent: an existing
 * stream is kept as it is (its shard count is returned, not changed).
 *
 * @example
 * await ensureStream(kinesis, 'lines', 2);
 */
export async function ensureStream(
  kinesis: KinesisClient,
  name: string,
  shards: number,
  opts: { timeoutMs?: number } = {},
): Promise<StreamInfo> {
  if (!Number.isInteger(shards) || shards < 1) {
    throw new EmulatorError(`ensureStream: shard count must be a positive integer, got ${shards}.`);
  }
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') {
      throw new EmulatorError(
        `Could not create stream '${name}' (${shards} shards): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  try {
    // The SDK's waiter: DescribeStream until ACTIVE (emulators create streams at once: start small).
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: timeoutMs / 1000, minDelay: 0.05, maxDelay: 1 },
      { StreamName: name },
    );
  } catch (err) {
    throw new EmulatorError(
      `Stream '${name}' did not become ACTIVE within ${timeoutMs} ms (${(err as Error).message}); ` +
        `wait for it, or delete and create it again.`,
      { cause: err },
    );
  }
  const { StreamDescriptionSummary: summary } = await kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: name }),
  );
  return {
    streamName: name,
    streamArn: summary?.StreamARN ?? '',
    shardCount: summary?.OpenShardCount ?? shards,
  };
}

/**
 * Creates the bucket if it does not exist. Idempotent.
 *
 * @example
 * await ensureBucket(s3, 'results');
 */
export async function ensureBucket(s3: S3Client, name: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    const code = (err as Error).name;
    if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
    throw new EmulatorError(
      `Could not create bucket '${name}': ${code}: ${(err as Error).message}. ` +
        `Bucket names are 3 to 63 characters of lower-case letters, digits, dots and hyphens.`,
      { cause: err },
    );
  }
}
