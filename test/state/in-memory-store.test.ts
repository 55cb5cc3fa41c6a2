import { ForwardingStore, InMemoryStateStore } from '../../lib/state';
import { describeStateStoreConformance } from './conformance';

describeStateStoreConformance('InMemoryStateStore', async () => {
  let nowMs = Date.now();
  return {
    store: new InMemoryStateStore({ now: () => nowMs }),
    now: { set: (ms: number) => (nowMs = ms) },
    cleanup: async () => {},
  };
});

// A ForwardingStore answers every call as the store it forwards to.
describeStateStoreConformance('ForwardingStore over InMemoryStateStore', async () => {
  let nowMs = Date.now();
  return {
    store: new ForwardingStore(new InMemoryStateStore({ now: () => nowMs })),
    now: { set: (ms: number) => (nowMs = ms) },
    cleanup: async () => {},
  };
});

describe('InMemoryStateStore', () => {
  it('uses Date.now when no clock is given', async () => {
    const store = new InMemoryStateStore();
    const nowSeconds = Date.now() / 1000;
    await store.putAll([
      { pk: 'p', sk: 'past', expiresAt: nowSeconds - 5 },
      { pk: 'p', sk: 'future', expiresAt: nowSeconds + 60 },
    ]);
    expect((await store.query('p')).map((i) => i.sk)).toEqual(['future']);
  });

  it('estimates capacity as DynamoDB bills it', async () => {
    const store = new InMemoryStateStore();
    await store.put({ pk: 'p', sk: 's', data: new Uint8Array(10 * 1024) }); // 11 units: 10 KB + keys
    await store.put({ pk: 'p', sk: 's' }); // the larger of old and new: 11 units
    expect(store.stats()).toMatchObject({
      writeCapacityUnits: 22,
      requests: { PutItem: 2 },
      itemsWritten: 2,
    });
    await store.put({ pk: 'p', sk: 's' }, { notExists: true }); // a failed condition still costs a unit
    await store.get('p', 'absent'); // a read of nothing costs a unit
    await store.putAll(Array.from({ length: 26 }, (_, i) => ({ pk: 'q', sk: `${i}` })));
    await store.query('q', { skFrom: 'b', skTo: 'a' }); // an empty range sends nothing
    expect(store.stats()).toMatchObject({
      requests: { PutItem: 3, GetItem: 1, BatchWriteItem: 2 },
      totalRequests: 6,
      writeCapacityUnits: 22 + 1 + 26,
      readCapacityUnits: 1,
    });
  });
});
