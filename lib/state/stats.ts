/** The request and capacity counters both stores keep (see `StoreStats`). */
import type { StoreStats } from './types';

/** Mutable counters behind `StateStore.stats()`; `snapshot()` hands out copies. */
export class StatsCounter {
  private requests: Record<string, number> = {};
  private totalRequests = 0;
  private readCapacityUnits = 0;
  private writeCapacityUnits = 0;
  private itemsWritten = 0;
  private bytesWritten = 0;

  /** Counts one request of operation `op` (a DynamoDB operation name). */
  request(op: string): void {
    this.requests[op] = (this.requests[op] ?? 0) + 1;
    this.totalRequests++;
  }

  /** Adds consumed read capacity units. */
  read(units: number): void {
    this.readCapacityUnits += units;
  }

  /** Adds consumed write capacity units. */
  write(units: number): void {
    this.writeCapacityUnits += units;
  }

  /** Counts items written and their bytes. */
  wrote(items: number, bytes: number): void {
    this.itemsWritten += items;
    this.bytesWritten += bytes;
  }

  /** A copy of the counters. */
  snapshot(): StoreStats {
    return {
      requests: { ...this.requests },
      totalRequests: this.totalRequests,
      readCapacityUnits: this.readCapacityUnits,
      writeCapacityUnits: this.writeCapacityUnits,
      itemsWritten: this.itemsWritten,
      bytesWritten: this.bytesWritten,
    };
  }

  /** Zeroes every counter. */
  reset(): void {
    this.requests = {};
    this.totalRequests = 0;
    this.readCapacityUnits = 0;
    this.writeCapacityUnits = 0;
    this.itemsWritten = 0;
    this.bytesWritten = 0;
  }
}
