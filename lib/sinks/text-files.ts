import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Where saveAsTextFiles writes: a local path, or `s3://bucket/key` through an S3 client (the
 * serverless engine and the local runner set one; otherwise one is created from the environment,
 * honouring AWS_ENDPOINT_URL). Writes are whole-object puts at deterministic names, so a re-run of
 * a batch overwrites its own output (exactly-once by batch time).
 */
export interface TextFileWriter {
  write(path: string, content: string): Promise<void>;
}

let s3Client: S3Client | undefined;

/** Sets the S3 client used for `s3://` paths. */
export function setS3ClientForOutputs(client: S3Client | undefined): void {
  s3Client = client;
}

function defaultS3(): S3Client {
  if (!s3Client) {
    // Lazy: the SDK is loaded only by pipelines that write to S3.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const clients = require('../runtime/clients') as typeof import('../runtime/clients');
    s3Client = clients.s3Client(); // AWS_ENDPOINT_URL honoured, path-style against emulators
  }
  return s3Client;
}

/** Parses `s3://bucket/key` into its parts, with a clear error for a malformed URL. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`Invalid S3 path "${url}": expected s3://bucket/path/prefix.`);
  return { bucket: m[1], key: m[2] };
}

/** Spark's file name for a batch: `prefix-<time ms>[.suffix]`. */
export function batchFileName(prefix: string, time: number, suffix?: string): string {
  return suffix ? `${prefix}-${time}.${suffix}` : `${prefix}-${time}`;
}

/** Writes `content` to a local file (atomically: temp file then rename) or an S3 object. */
export async function writeTextFile(path: string, content: string): Promise<void> {
  if (path.startsWith('s3://')) {
    const { bucket, key } = parseS3Url(path);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PutObjectCommand } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    const put = new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: content,
      ContentType: 'text/plain; charset=utf-8',
    });
    if (content.length === 0) {
      // An empty batch is an empty object (as Spark writes empty part files). The SDK sends no
      // content-length for an empty body and then warns of "a Stream of unknown length" every
      // batch; say the length.
      put.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers && !('content-length' in request.headers))
            request.headers['content-length'] = '0';
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'high', name: 'dstreamEmptyBodyContentLength' },
      );
    }
    await defaultS3().send(put);
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, 'utf8');
  await rename(tmp, path);
}
