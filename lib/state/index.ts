/** The state store: contract, in-memory and DynamoDB implementations, and the table helpers. */
export {
  ConditionFailedError,
  StateStoreError,
  type AttrValue,
  type CompareOp,
  type Condition,
  type QueryOptions,
  type StateStore,
  type StoreItem,
  type StoreStats,
} from './types';
export { ForwardingStore } from './forwarding-store';
export { InMemoryStateStore, type InMemoryStateStoreOptions } from './in-memory-store';
export { DynamoDbStateStore, type DynamoDbStateStoreOptions } from './dynamodb-store';
export { createStateTable, stateTableExists } from './dynamodb-table';
export { MAX_CHUNK_BYTES } from './dynamodb-codec';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
