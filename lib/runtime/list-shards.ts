import { ListShardsCommand, type KinesisClient, type Shard, type ShardFilter } from '@aws-sdk/client-kinesis';

/**
 * Every shard of a stream, all pages (the SDK has no ListShards paginator: its NextToken excludes
 * StreamName, so the pages are followed here, in the one place that does it).
 * @example const open = await listShards(kinesis, 'lines', { Type: 'AT_LATEST' });
 */
export async function listShards(
  client: KinesisClient,
  streamName: string,
  filter?: ShardFilter,
): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(
      new ListShardsCommand(
        nextToken
          ? { NextToken: nextToken }
          : { StreamName: streamName, ...(filter ? { ShardFilter: filter } : {}) },
      ),
    );
    shards.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return shards;
}
