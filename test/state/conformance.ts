/**
 * The state store conformance suite: every `StateStore` implementation runs it, so
 * the in-memory store and the DynamoDB store answer every call alike.
 */
import { createCipheriv } from 'node:crypto';
import { StateStoreError, type Condition, type StateStore, type StoreItem } from '../../lib/state/types';

type Fixture = { store: StateStore; now?: { set(ms: number): void }; cleanup(): Promise<void> };

/** A fixed clock reading (epoch ms) for stores whose clock the fixture controls. */
const T0 = 1_700_000_000_000;
const KB = 1024;
const MB = 1024 * KB;

/** Deterministic pseudo-random bytes (AES-CTR keyed by `seed`): incompressible, different per seed. */
function bytes(n: number, seed = 1): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return new Uint8Array(cipher.update(Buffer.alloc(n)));
}

/** Compares payloads without jest's element-by-element diff, which is slow on megabytes. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual!.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual!), Buffer.from(expected))).toBe(0);
}

/** A Kinesis-like sequence number as the checkpoint stores it: decimal, zero-padded to 64 digits. */
const pad = (seq: bigint): string => seq.toString().padStart(64, '0');

/**
 * Defines the conformance tests for one store. `factory` makes a fresh, empty store for each test
 * (with `now`, when the test can set the store's clock) and `cleanup` releases it.
 * @example describeStateStoreConformance('InMemoryStateStore', async () => ({ store: new InMemoryStateStore(), cleanup: async () => {} }));
 */
export function describeStateStoreConformance(name: string, factory: () => Promise<Fixture>): void {
  describe(`${name} conformance`, () => {
    let fixture: Fixture;
    let store: StateStore;
    /** The store's notion of now, in epoch ms. */
    let nowMs: number;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      nowMs = fixture.now ? T0 : Date.now();
      fixture.now?.set(T0);
    });
    afterEach(() => fixture.cleanup());

    const nowSeconds = () => Math.floor(nowMs / 1000);

    describe('get and put', () => {
      it('get returns undefined for an absent item', async () => {
        expect(await store.get('p', 'absent')).toBeUndefined();
      });

      it('put then get returns the item: data, attributes of every type, expiresAt', async () => {
        const item: StoreItem = {
          pk: 'p',
          sk: 's',
          data: new Uint8Array([1, 2, 3]),
          expiresAt: nowSeconds() + 3600,
          attrs: { name: 'x', count: 3, ok: true, off: false, empty: '' },
        };
        expect(await store.put(item)).toBe(true);
        expect(await store.get('p', 's')).toEqual(item);
      });

      it('an item with only keys comes back as { pk, sk }', async () => {
        await store.put({ pk: 'p', sk: 's', attrs: {} });
        expect(await store.get('p', 's')).toStrictEqual({ pk: 'p', sk: 's' });
      });

      it('empty data and every byte value round-trip', async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await store.put({ pk: 'p', sk: 'empty', data: new Uint8Array(0) });
        await store.put({ pk: 'p', sk: 'all', data: all });
        expectBytes((await store.get('p', 'empty'))?.data, new Uint8Array(0));
        expectBytes((await store.get('p', 'all'))?.data, all);
      });

      it('keys with punctuation, spaces and non-ASCII characters round-trip', async () => {
        const keys = [
          ['meta#wordcount', 'shard#shardId-000000000001'],
          ['a/b c', 'é😀\u0000x'],
          ['#', ':'],
        ];
        for (const [pk, sk] of keys) await store.put({ pk, sk, attrs: { k: `${pk}|${sk}` } });
        for (const [pk, sk] of keys) expect((await store.get(pk, sk))?.attrs?.k).toBe(`${pk}|${sk}`);
      });

      it('numbers round-trip exactly: negative, fractional, large, tiny, zero', async () => {
        const attrs = { neg: -5, frac: 0.1 + 0.2, big: 2 ** 53, huge: 1e21, tiny: 1e-7, zero: 0, ms: T0 };
        await store.put({ pk: 'p', sk: 's', attrs });
        expect((await store.get('p', 's'))?.attrs).toEqual(attrs);
      });

      it('attribute names that DynamoDB reserves as words work (status, size, count)', async () => {
        await store.put({ pk: 'p', sk: 's', attrs: { status: 'claimed', size: 3, count: 1 } });
        const ok = await store.put(
          { pk: 'p', sk: 's', attrs: { status: 'done', size: 4, count: 2 } },
          {
            and: [
              { attr: 'status', op: '=', value: 'claimed' },
              { attr: 'size', op: '<', value: 4 },
            ],
          },
        );
        expect(ok).toBe(true);
        expect((await store.get('p', 's'))?.attrs).toEqual({ status: 'done', size: 4, count: 2 });
      });

      it('put replaces the whole item: attributes, data and expiresAt not given are gone', async () => {
        await store.put({
          pk: 'p',
          sk: 's',
          data: bytes(10),
          expiresAt: nowSeconds() + 60,
          attrs: { a: 1, b: 2 },
        });
        await store.put({ pk: 'p', sk: 's', attrs: { b: 3 } });
        expect(await store.get('p', 's')).toStrictEqual({ pk: 'p', sk: 's', attrs: { b: 3 } });
      });

      it('items are copied in and out: mutating arguments or results does not change the store', async () => {
        const item = {
          pk: 'p',
          sk: 's',
          data: new Uint8Array([1, 2]),
          attrs: { a: 1 } as Record<string, number>,
        };
        await store.put(item);
        item.data[0] = 9;
        item.attrs.a = 9;
        item.attrs.b = 9;
        const got = (await store.get('p', 's'))!;
        expect(got).toEqual({ pk: 'p', sk: 's', data: new Uint8Array([1, 2]), attrs: { a: 1 } });
        got.data![1] = 7;
        got.attrs!.a = 7;
        const [queried] = await store.query('p');
        queried.data![0] = 5;
        expect(await store.get('p', 's')).toEqual({
          pk: 'p',
          sk: 's',
          data: new Uint8Array([1, 2]),
          attrs: { a: 1 },
        });
      });

      it('put copies the payload at once: changing it before the put resolves changes nothing', async () => {
        const small = new Uint8Array([1, 2, 3]);
        const large = bytes(MB, 31);
        const expected = new Uint8Array(large);
        const writes = [
          store.put({ pk: 'p', sk: 'small', data: small }),
          store.putAll([{ pk: 'p', sk: 'large', data: large }]),
        ];
        small.fill(0);
        large.fill(0);
        await Promise.all(writes);
        expectBytes((await store.get('p', 'small'))?.data, new Uint8Array([1, 2, 3]));
        expectBytes((await store.get('p', 'large'))?.data, expected);
      });

      it('partitions are separate: the same sort key under two partition keys', async () => {
        await store.put({ pk: 'p1', sk: 's', attrs: { v: 1 } });
        await store.put({ pk: 'p2', sk: 's', attrs: { v: 2 } });
        expect((await store.get('p1', 's'))?.attrs).toEqual({ v: 1 });
        expect((await store.get('p2', 's'))?.attrs).toEqual({ v: 2 });
        expect(await store.query('p1')).toHaveLength(1);
      });

      it.each<[string, StoreItem]>([
        ['an empty partition key', { pk: '', sk: 's' }],
        ['an empty sort key', { pk: 'p', sk: '' }],
        ['a sort key with the chunk mark', { pk: 'p', sk: 'a\u0000chunk\u0000b' }],
        ['a sort key over 960 bytes', { pk: 'p', sk: 'x'.repeat(961) }],
        ['an attribute named data', { pk: 'p', sk: 's', attrs: { data: 'x' } }],
        ['an attribute named expiresAt', { pk: 'p', sk: 's', attrs: { expiresAt: 1 } }],
        ['an attribute name with a dash', { pk: 'p', sk: 's', attrs: { 'a-b': 1 } }],
        ['a NaN attribute', { pk: 'p', sk: 's', attrs: { n: NaN } }],
        ['an infinite attribute', { pk: 'p', sk: 's', attrs: { n: Infinity } }],
        ['an object attribute', { pk: 'p', sk: 's', attrs: { n: {} as unknown as string } }],
        ['a NaN expiresAt', { pk: 'p', sk: 's', expiresAt: NaN }],
        ['data that is not bytes', { pk: 'p', sk: 's', data: 'abc' as unknown as Uint8Array }],
      ])('rejects %s with a StateStoreError, writing nothing', async (_, item) => {
        await expect(store.put(item)).rejects.toBeInstanceOf(StateStoreError);
        await expect(store.putAll([{ pk: 'p', sk: 'ok' }, item])).rejects.toBeInstanceOf(StateStoreError);
        expect(await store.get('p', 'ok')).toBeUndefined();
      });

      it('rejects invalid keys in get, query and deleteAll', async () => {
        await expect(store.get('', 's')).rejects.toBeInstanceOf(StateStoreError);
        await expect(store.query('')).rejects.toBeInstanceOf(StateStoreError);
        await expect(store.deleteAll([{ pk: 'p', sk: '' }])).rejects.toBeInstanceOf(StateStoreError);
      });
    });

    describe('conditions', () => {
      const put = (attrs: StoreItem['attrs'], condition?: Condition, sk = 's') =>
        store.put({ pk: 'p', sk, attrs }, condition);

      it('notExists holds on an absent item, fails on a present one (which stays unchanged)', async () => {
        expect(await put({ v: 1 }, { notExists: true })).toBe(true);
        expect(await put({ v: 2 }, { notExists: true })).toBe(false);
        expect((await store.get('p', 's'))?.attrs).toEqual({ v: 1 });
      });

      it('notExists holds on an expired item', async () => {
        await store.put({ pk: 'p', sk: 's', expiresAt: nowSeconds() - 10, attrs: { v: 1 } });
        expect(await put({ v: 2 }, { notExists: true })).toBe(true);
        expect((await store.get('p', 's'))?.attrs).toEqual({ v: 2 });
      });

      it.each<[string, string, boolean]>([
        ['=', 'm', true],
        ['=', 'n', false],
        ['<>', 'n', true],
        ['<>', 'm', false],
        ['<', 'n', true],
        ['<', 'm', false],
        ['<', 'mm', true],
        ['<=', 'm', true],
        ['<=', 'l', false],
        ['>', 'l', true],
        ['>', 'M', true],
        ['>', 'm', false],
        ['>=', 'm', true],
        ['>=', 'n', false],
        ['<', '\u00e9', true],
      ])("on a string attribute 'm': %s %j is %s", async (op, value, expected) => {
        await put({ v: 'm' });
        expect(await put({ v: 'written' }, { attr: 'v', op: op as '=', value })).toBe(expected);
        expect((await store.get('p', 's'))?.attrs?.v).toBe(expected ? 'written' : 'm');
      });

      it.each<[string, number, boolean]>([
        ['=', 10, true],
        ['=', 10.5, false],
        ['<>', 9, true],
        ['<>', 10, false],
        ['<', 11, true],
        ['<', 100, true],
        ['<', 9, false],
        ['<=', 10, true],
        ['<=', 9.99, false],
        ['>', 9, true],
        ['>', -20, true],
        ['>', 10, false],
        ['>=', 10, true],
        ['>=', 10.01, false],
      ])(
        'on a number attribute 10: %s %j is %s (numeric, not lexicographic)',
        async (op, value, expected) => {
          await put({ v: 10 });
          expect(await put({ v: -1 }, { attr: 'v', op: op as '=', value })).toBe(expected);
        },
      );

      it.each<[number, string, boolean]>([
        [-1.5, '>', true],
        [-1.5, '<', false],
        [-0.5, '<', true],
        [0.25, '<', true],
        [-1, '<=', true],
      ])('compares negative and fractional numbers: -1 vs %j with %s is %s', async (value, op, expected) => {
        await put({ v: -1 });
        expect(await put({ v: 0 }, { attr: 'v', op: op as '=', value })).toBe(expected);
      });

      it.each<[StoreItem['attrs'], string, string | number | boolean, boolean]>([
        [{ v: '10' }, '=', 10, false],
        [{ v: '10' }, '<', 11, false],
        [{ v: '10' }, '>=', 1, false],
        [{ v: '10' }, '<>', 10, true],
        [{ v: 10 }, '=', '10', false],
        [{ v: 10 }, '<', '11', false],
        [{ v: 10 }, '<>', '10', true],
        [{ v: true }, '=', true, true],
        [{ v: true }, '=', false, false],
        [{ v: true }, '<>', false, true],
        [{ v: true }, '=', 'true', false],
        [{ v: true }, '<', 1, false],
      ])('with types as stored %j: v %s %j is %s', async (attrs, op, value, expected) => {
        await put(attrs);
        expect(await put({ v: 'written' }, { attr: 'v', op: op as '=', value })).toBe(expected);
      });

      it.each(['=', '<>', '<', '<=', '>', '>='])(
        'an absent attribute never compares true, even with %s',
        async (op) => {
          await put({ other: 1 });
          expect(await put({ v: 1 }, { attr: 'v', op: op as '=', value: 5 })).toBe(false);
          expect(await put({ v: 1 }, { attr: 'v', op: op as '=', value: 'x' })).toBe(false);
        },
      );

      it('a comparison on an absent or expired item is false', async () => {
        expect(await put({ v: 1 }, { attr: 'v', op: '<>', value: 2 })).toBe(false);
        await store.put({ pk: 'p', sk: 's', expiresAt: nowSeconds() - 1, attrs: { v: 1 } });
        expect(await put({ v: 1 }, { attr: 'v', op: '=', value: 1 })).toBe(false);
      });

      it('attrNotExists holds on an absent item, an item without the attribute and an expired item', async () => {
        expect(await put({ a: 1 }, { attrNotExists: 'v' })).toBe(true);
        expect(await put({ v: 1 }, { attrNotExists: 'v' })).toBe(true);
        expect(await put({ v: 2 }, { attrNotExists: 'v' })).toBe(false);
        expect((await store.get('p', 's'))?.attrs).toEqual({ v: 1 });
        await store.put({ pk: 'p', sk: 's', expiresAt: nowSeconds() - 1, attrs: { v: 1 } });
        expect(await put({ v: 3 }, { attrNotExists: 'v' })).toBe(true);
      });

      it('attribute names of Object.prototype are not mistaken for attributes', async () => {
        await put({ a: 1 });
        expect(await put({ a: 2 }, { attrNotExists: 'constructor' })).toBe(true);
        expect(await put({ a: 3 }, { attr: 'toString', op: '<>', value: 'x' })).toBe(false);
      });

      const item5x = { n: 5, s: 'x' };
      it.each<[string, Condition, boolean]>([
        [
          'and of two true',
          {
            and: [
              { attr: 'n', op: '>', value: 1 },
              { attr: 's', op: '=', value: 'x' },
            ],
          },
          true,
        ],
        [
          'and with one false',
          {
            and: [
              { attr: 'n', op: '>', value: 1 },
              { attr: 's', op: '=', value: 'y' },
            ],
          },
          false,
        ],
        [
          'or with one true',
          {
            or: [
              { attr: 'n', op: '>', value: 10 },
              { attr: 's', op: '=', value: 'x' },
            ],
          },
          true,
        ],
        [
          'or of two false',
          {
            or: [
              { attr: 'n', op: '>', value: 10 },
              { attr: 's', op: '=', value: 'y' },
            ],
          },
          false,
        ],
        [
          'or > and > or, nested',
          {
            or: [
              { notExists: true },
              {
                and: [
                  { attr: 'n', op: '=', value: 5 },
                  { or: [{ attrNotExists: 'z' }, { attr: 's', op: '=', value: 'no' }] },
                ],
              },
            ],
          },
          true,
        ],
        [
          'and > or, false',
          {
            and: [
              { or: [{ notExists: true }, { attr: 'n', op: '<', value: 5 }] },
              { attr: 's', op: '=', value: 'x' },
            ],
          },
          false,
        ],
        [
          'the same attribute twice (a range)',
          {
            and: [
              { attr: 'n', op: '>=', value: 5 },
              { attr: 'n', op: '<', value: 6 },
            ],
          },
          true,
        ],
        ['an empty and', { and: [] }, true],
        ['an empty or', { or: [] }, false],
        ['and of an empty or', { and: [{ or: [] }, { attr: 'n', op: '=', value: 5 }] }, false],
      ])('%s on { n: 5, s: "x" }', async (_, condition, expected) => {
        await put(item5x);
        expect(await put({ n: 6 }, condition)).toBe(expected);
        expect((await store.get('p', 's'))?.attrs).toEqual(expected ? { n: 6 } : item5x);
      });

      it('a failed condition resolves false, never throws, and leaves data and TTL as they were', async () => {
        const item = { pk: 'p', sk: 's', data: bytes(100), expiresAt: nowSeconds() + 99, attrs: { v: 1 } };
        await store.put(item);
        await expect(store.put({ pk: 'p', sk: 's' }, { attr: 'v', op: '>', value: 1 })).resolves.toBe(false);
        expect(await store.get('p', 's')).toEqual(item);
      });

      it.each<[string, unknown]>([
        ['an ordering with a boolean', { attr: 'v', op: '<', value: true }],
        ['an unknown operator', { attr: 'v', op: '==', value: 1 }],
        ['a bad attribute name', { attr: 'a.b', op: '=', value: 1 }],
        ['a reserved attribute name', { attrNotExists: 'pk' }],
        ['notExists: false', { notExists: false }],
        ['an empty object', {}],
        ['a nested bad part', { and: [{ notExists: true }, { or: [{ attr: 'v', op: '=', value: NaN }] }] }],
      ])('rejects %s with a StateStoreError', async (_, condition) => {
        await expect(put({ v: 1 }, condition as Condition)).rejects.toBeInstanceOf(StateStoreError);
        expect(await store.get('p', 's')).toBeUndefined();
      });
    });

    describe('query', () => {
      const sks = (items: StoreItem[]) => items.map((i) => i.sk);
      const seed = (keys: string[], pk = 'p') =>
        store.putAll(keys.map((sk) => ({ pk, sk, attrs: { key: sk } })));

      it('returns the partition in ascending sort-key order, whatever the write order', async () => {
        await seed(['c', 'a', 'b', 'a1', 'B']);
        await seed(['x'], 'other');
        expect(sks(await store.query('p'))).toEqual(['B', 'a', 'a1', 'b', 'c']);
        expect((await store.query('p'))[0]).toEqual({ pk: 'p', sk: 'B', attrs: { key: 'B' } });
      });

      it('returns [] for an empty partition', async () => {
        expect(await store.query('nothing')).toEqual([]);
      });

      it('reverse returns descending sort-key order; limit keeps the first items of that order', async () => {
        await seed(['c', 'a', 'b', 'a1', 'B']);
        expect(sks(await store.query('p', { reverse: true }))).toEqual(['c', 'b', 'a1', 'a', 'B']);
        expect(sks(await store.query('p', { reverse: true, limit: 2 }))).toEqual(['c', 'b']);
        expect(sks(await store.query('p', { limit: 2 }))).toEqual(['B', 'a']);
        expect(sks(await store.query('p', { reverse: true, limit: 1, skTo: 'a1' }))).toEqual(['a1']);
        expect(sks(await store.query('p', { skPrefix: 'a', reverse: true, limit: 5 }))).toEqual(['a1', 'a']);
      });

      it('limit must be a positive whole number', async () => {
        for (const limit of [0, -1, 1.5, NaN]) {
          await expect(store.query('p', { limit })).rejects.toThrow(StateStoreError);
        }
      });

      it('skPrefix selects sort keys that start with it', async () => {
        await seed(['a', 'a\u0000', 'a#1', 'a#2', 'ab', 'a\uffff', 'a😀', 'b', '`']);
        expect(sks(await store.query('p', { skPrefix: 'a#' }))).toEqual(['a#1', 'a#2']);
        expect(sks(await store.query('p', { skPrefix: 'a' }))).toEqual([
          'a',
          'a\u0000',
          'a#1',
          'a#2',
          'ab',
          'a\uffff',
          'a😀',
        ]);
        expect(sks(await store.query('p', { skPrefix: 'c' }))).toEqual([]);
        expect(sks(await store.query('p', { skPrefix: '' }))).toHaveLength(9);
      });

      it('skFrom and skTo are inclusive bounds, alone or together', async () => {
        await seed(['t1', 't2', 't3', 't4']);
        expect(sks(await store.query('p', { skFrom: 't2' }))).toEqual(['t2', 't3', 't4']);
        expect(sks(await store.query('p', { skTo: 't2' }))).toEqual(['t1', 't2']);
        expect(sks(await store.query('p', { skFrom: 't2', skTo: 't3' }))).toEqual(['t2', 't3']);
        expect(sks(await store.query('p', { skFrom: 't2x', skTo: 't3x' }))).toEqual(['t3']);
        expect(sks(await store.query('p', { skFrom: 't3', skTo: 't2' }))).toEqual([]);
      });

      it('skPrefix combines with skFrom and skTo (all must hold)', async () => {
        await seed(['a#1', 'a#2', 'a#3', 'b#1', 'b#2']);
        expect(sks(await store.query('p', { skPrefix: 'a#', skFrom: 'a#2' }))).toEqual(['a#2', 'a#3']);
        expect(sks(await store.query('p', { skPrefix: 'b#', skTo: 'b#1' }))).toEqual(['b#1']);
        expect(sks(await store.query('p', { skPrefix: 'a#', skFrom: 'a', skTo: 'z' }))).toEqual([
          'a#1',
          'a#2',
          'a#3',
        ]);
        expect(sks(await store.query('p', { skPrefix: 'b#', skTo: 'a#3' }))).toEqual([]);
      });

      it('orders by code point, as DynamoDB does (UTF-8 byte order)', async () => {
        await seed(['z', '\u00e9', '\ufffd', '😀', 'Z', 'a', '0']);
        expect(sks(await store.query('p'))).toEqual(['0', 'Z', 'a', 'z', '\u00e9', '\ufffd', '😀']);
      });

      it('zero-padded decimal sort keys order numerically', async () => {
        const times = [5000, 10000, 999, 120000].map((t) => String(t).padStart(15, '0'));
        await seed(times);
        expect(sks(await store.query('p')).map(Number)).toEqual([999, 5000, 10000, 120000]);
      });

      it('leaves expired items out', async () => {
        await store.putAll([
          { pk: 'p', sk: 'a', expiresAt: nowSeconds() - 1 },
          { pk: 'p', sk: 'b', expiresAt: nowSeconds() + 60 },
          { pk: 'p', sk: 'c' },
        ]);
        expect(sks(await store.query('p'))).toEqual(['b', 'c']);
      });
    });

    describe('expiry', () => {
      it('an item whose expiresAt has passed is absent from get and query', async () => {
        await store.put({ pk: 'p', sk: 'old', expiresAt: nowSeconds() - 3600, attrs: { v: 1 } });
        await store.put({ pk: 'p', sk: 'new', expiresAt: nowSeconds() + 3600, attrs: { v: 2 } });
        expect(await store.get('p', 'old')).toBeUndefined();
        expect((await store.get('p', 'new'))?.attrs).toEqual({ v: 2 });
        expect((await store.query('p')).map((i) => i.sk)).toEqual(['new']);
      });

      it('an item is live through its expiresAt second and gone just after (store clock)', async () => {
        if (!fixture.now) return; // needs a settable clock
        await store.put({ pk: 'p', sk: 's', expiresAt: T0 / 1000 + 10, attrs: { v: 1 } });
        fixture.now.set(T0 + 10_000);
        expect(await store.get('p', 's')).toBeDefined();
        expect(await store.put({ pk: 'p', sk: 'x' }, { notExists: true })).toBe(true);
        expect(
          await store.put(
            { pk: 'p', sk: 's', expiresAt: T0 / 1000 + 10, attrs: { v: 2 } },
            { notExists: true },
          ),
        ).toBe(false);
        fixture.now.set(T0 + 10_001);
        expect(await store.get('p', 's')).toBeUndefined();
        expect((await store.query('p')).map((i) => i.sk)).toEqual(['x']);
        expect(await store.put({ pk: 'p', sk: 's', attrs: { v: 3 } }, { notExists: true })).toBe(true);
        expect((await store.get('p', 's'))?.attrs).toEqual({ v: 3 });
      });

      it('fractional expiresAt compares exactly', async () => {
        if (!fixture.now) return;
        await store.put({ pk: 'p', sk: 's', expiresAt: T0 / 1000 + 0.5 });
        fixture.now.set(T0 + 500);
        expect(await store.get('p', 's')).toBeDefined();
        fixture.now.set(T0 + 501);
        expect(await store.get('p', 's')).toBeUndefined();
      });
    });

    describe('large payloads', () => {
      it.each([
        ['1 MB', MB],
        ['3 MB', 3 * MB],
        ['just over 350 KB', 350 * KB + 1],
      ])('a %s payload round-trips through put, get and query', async (_, size) => {
        const data = bytes(size, size);
        expect(await store.put({ pk: 'p', sk: 's', data, attrs: { size } })).toBe(true);
        const got = await store.get('p', 's');
        expectBytes(got?.data, data);
        expect(got?.attrs).toEqual({ size });
        const all = await store.query('p');
        expect(all.map((i) => i.sk)).toEqual(['s']);
        expectBytes(all[0].data, data);
      });

      it('query returns reassembled payloads, never chunks, whatever the range', async () => {
        const a = bytes(MB, 1);
        const c = bytes(2 * MB, 3);
        await store.put({ pk: 'p', sk: 'a', data: a });
        await store.put({ pk: 'p', sk: 'b', data: bytes(10, 2) });
        await store.put({ pk: 'p', sk: 'c', data: c });
        const all = await store.query('p');
        expect(all.map((i) => i.sk)).toEqual(['a', 'b', 'c']);
        expectBytes(all[0].data, a);
        expectBytes(all[1].data, bytes(10, 2));
        expectBytes(all[2].data, c);
        for (const [options, expected] of [
          [{ skPrefix: 'a' }, ['a']],
          [{ skTo: 'a' }, ['a']],
          [{ skFrom: 'a', skTo: 'a' }, ['a']],
          [{ skFrom: 'a\u0000' }, ['b', 'c']],
          [{ skFrom: 'b' }, ['b', 'c']],
          [{ skTo: 'b' }, ['a', 'b']],
          [{ skPrefix: 'c' }, ['c']],
        ] as const) {
          const items = await store.query('p', options);
          expect(items.map((i) => i.sk)).toEqual(expected);
          for (const item of items)
            expectBytes(item.data, item.sk === 'a' ? a : item.sk === 'c' ? c : bytes(10, 2));
        }
      });

      it('reverse queries with a limit reassemble large payloads (chunks sort after their head)', async () => {
        const a = bytes(MB, 21);
        const c = bytes(MB + 3, 23);
        await store.put({ pk: 'p', sk: 'a', data: a });
        await store.put({ pk: 'p', sk: 'b', data: bytes(10, 22) });
        await store.put({ pk: 'p', sk: 'c', data: c });
        const [last] = await store.query('p', { reverse: true, limit: 1 });
        expect(last.sk).toBe('c');
        expectBytes(last.data, c);
        const two = await store.query('p', { reverse: true, limit: 2, skTo: 'b' });
        expect(two.map((i) => i.sk)).toEqual(['b', 'a']);
        expectBytes(two[1].data, a);
      });

      it('refuses what DynamoDB refuses: attributes past the 400 KB item limit, numbers out of its range', async () => {
        const big = 'x'.repeat(400 * KB);
        await expect(store.put({ pk: 'p', sk: 's', attrs: { big } })).rejects.toThrow(/400|chunked/);
        await expect(store.putAll([{ pk: 'p', sk: 's', attrs: { big } }])).rejects.toThrow(StateStoreError);
        await expect(store.put({ pk: 'p', sk: 's', attrs: { n: 1e200 } })).rejects.toThrow(/range/);
        await expect(store.put({ pk: 'p', sk: 's', attrs: { n: 1e-200 } })).rejects.toThrow(/range/);
        expect(await store.get('p', 's')).toBeUndefined();
        // The same bytes as a payload are fine: data is chunked.
        expect(await store.put({ pk: 'p', sk: 's', data: new Uint8Array(400 * KB) })).toBe(true);
      });

      it('overwriting a large item with a small one and back', async () => {
        const large = bytes(MB + 5, 7);
        const small = bytes(5, 8);
        await store.put({ pk: 'p', sk: 's', data: large, attrs: { v: 1 } });
        await store.put({ pk: 'p', sk: 's', data: small, attrs: { v: 2 } });
        expect(await store.get('p', 's')).toEqual({ pk: 'p', sk: 's', data: small, attrs: { v: 2 } });
        expect(await store.query('p')).toEqual([{ pk: 'p', sk: 's', data: small, attrs: { v: 2 } }]);
        await store.put({ pk: 'p', sk: 's', data: large, attrs: { v: 3 } });
        expectBytes((await store.get('p', 's'))?.data, large);
        await store.put({ pk: 'p', sk: 's', attrs: { v: 4 } });
        expect(await store.query('p')).toEqual([{ pk: 'p', sk: 's', attrs: { v: 4 } }]);
      });

      it('overwriting a large item with another large one, and re-putting the same one', async () => {
        const one = bytes(2 * MB, 11);
        const two = bytes(MB, 12);
        await store.put({ pk: 'p', sk: 's', data: one });
        await store.put({ pk: 'p', sk: 's', data: two });
        expectBytes((await store.get('p', 's'))?.data, two);
        await store.put({ pk: 'p', sk: 's', data: two });
        await store.putAll([{ pk: 'p', sk: 's', data: two }]);
        const all = await store.query('p');
        expect(all).toHaveLength(1);
        expectBytes(all[0].data, two);
        await store.put({ pk: 'p', sk: 's', data: one });
        expectBytes((await store.get('p', 's'))?.data, one);
      });

      it('putAll writes large and small items together', async () => {
        const items = [0, 1, 2, 3].map((i) => ({
          pk: 'p',
          sk: `s${i}`,
          data: bytes(i % 2 ? 600 * KB : 100, i),
        }));
        await store.putAll(items);
        const all = await store.query('p');
        expect(all.map((i) => i.sk)).toEqual(['s0', 's1', 's2', 's3']);
        all.forEach((item, i) => expectBytes(item.data, items[i].data));
      });

      it('a large item expires, takes conditions on its attributes, and can be deleted', async () => {
        const data = bytes(MB, 21);
        expect(await store.put({ pk: 'p', sk: 'a', data, attrs: { v: 1 } }, { notExists: true })).toBe(true);
        expect(await store.put({ pk: 'p', sk: 'a', data, attrs: { v: 9 } }, { notExists: true })).toBe(false);
        expect(
          await store.put({ pk: 'p', sk: 'a', data, attrs: { v: 2 } }, { attr: 'v', op: '=', value: 1 }),
        ).toBe(true);
        expect((await store.get('p', 'a'))?.attrs).toEqual({ v: 2 });
        await store.put({ pk: 'p', sk: 'b', data, expiresAt: nowSeconds() - 1 });
        expect(await store.get('p', 'b')).toBeUndefined();
        expect((await store.query('p')).map((i) => i.sk)).toEqual(['a']);
        await store.deleteAll([{ pk: 'p', sk: 'a' }]);
        expect(await store.get('p', 'a')).toBeUndefined();
        expect(await store.query('p')).toEqual([]);
      });
    });

    describe('putAll and deleteAll', () => {
      const hundred = () =>
        Array.from({ length: 100 }, (_, i) => ({
          pk: 'p',
          sk: `k${String(i).padStart(3, '0')}`,
          data: bytes(50, i + 1),
          attrs: { i },
        }));

      it('putAll writes 100 items', async () => {
        await store.putAll(hundred());
        const all = await store.query('p');
        expect(all).toHaveLength(100);
        expect(all).toEqual(hundred());
      });

      it('putAll is idempotent: putting the same items again changes nothing', async () => {
        await store.putAll(hundred());
        await store.putAll(hundred());
        expect(await store.query('p')).toEqual(hundred());
      });

      it('putAll replaces whole items, and the last of repeated keys wins', async () => {
        await store.put({ pk: 'p', sk: 'a', attrs: { x: 1, y: 1 } });
        await store.putAll([
          { pk: 'p', sk: 'a', attrs: { x: 2 } },
          { pk: 'p', sk: 'b', attrs: { x: 1 } },
          { pk: 'p', sk: 'a', attrs: { x: 3 } },
        ]);
        expect(await store.query('p')).toEqual([
          { pk: 'p', sk: 'a', attrs: { x: 3 } },
          { pk: 'p', sk: 'b', attrs: { x: 1 } },
        ]);
      });

      it('putAll and deleteAll of nothing do nothing', async () => {
        await store.putAll([]);
        await store.deleteAll([]);
        expect(await store.query('p')).toEqual([]);
      });

      it('deleteAll removes the given items, ignoring absent and repeated ones', async () => {
        await store.putAll(hundred());
        const doomed = hundred()
          .filter((i) => i.attrs.i % 3 === 0)
          .map(({ pk, sk }) => ({ pk, sk }));
        await store.deleteAll([...doomed, { pk: 'p', sk: 'absent' }, { pk: 'nope', sk: 'x' }, doomed[0]]);
        const left = await store.query('p');
        expect(left).toHaveLength(66);
        expect(left.every((i) => (i.attrs!.i as number) % 3 !== 0)).toBe(true);
        expect(await store.get('p', 'k000')).toBeUndefined();
      });
    });

    describe('stats', () => {
      it('start at zero', () => {
        expect(store.stats()).toEqual({
          requests: {},
          totalRequests: 0,
          readCapacityUnits: 0,
          writeCapacityUnits: 0,
          itemsWritten: 0,
          bytesWritten: 0,
        });
      });

      it('count requests per operation, write units and items written', async () => {
        await store.put({ pk: 'p', sk: 'a', data: bytes(3000) });
        await store.putAll(Array.from({ length: 30 }, (_, i) => ({ pk: 'p', sk: `b${i}`, attrs: { i } })));
        const s = store.stats();
        expect(s.totalRequests).toBeGreaterThan(0);
        expect(s.totalRequests).toBe(Object.values(s.requests).reduce((a, b) => a + b, 0));
        expect(s.writeCapacityUnits).toBeGreaterThanOrEqual(3 + 30);
        expect(s.itemsWritten).toBe(31);
        expect(s.bytesWritten).toBeGreaterThan(3000);
        expect(s.readCapacityUnits).toBe(0);
      });

      it('count read units for get and query', async () => {
        await store.putAll(
          Array.from({ length: 10 }, (_, i) => ({ pk: 'p', sk: `s${i}`, data: bytes(2000, i + 1) })),
        );
        store.resetStats();
        await store.get('p', 's0');
        await store.query('p');
        const s = store.stats();
        expect(s.totalRequests).toBeGreaterThanOrEqual(2);
        expect(s.readCapacityUnits).toBeGreaterThanOrEqual(1 + Math.ceil((10 * 2000) / 4096));
        expect(s.writeCapacityUnits).toBe(0);
      });

      it('write units grow with the payload, about one per KB', async () => {
        await store.put({ pk: 'p', sk: 'small', data: bytes(KB) });
        const small = store.stats().writeCapacityUnits;
        store.resetStats();
        await store.put({ pk: 'p', sk: 'large', data: bytes(64 * KB) });
        const large = store.stats().writeCapacityUnits;
        expect(small).toBeLessThanOrEqual(2);
        expect(large).toBeGreaterThanOrEqual(64);
        expect(large).toBeLessThanOrEqual(66);
      });

      it('resetStats zeroes the counters, and stats() is a copy', async () => {
        await store.put({ pk: 'p', sk: 's' });
        const s = store.stats();
        s.requests.PutItem = 1000;
        s.totalRequests = 1000;
        expect(store.stats().totalRequests).toBeLessThan(1000);
        store.resetStats();
        expect(store.stats()).toMatchObject({
          totalRequests: 0,
          writeCapacityUnits: 0,
          itemsWritten: 0,
          requests: {},
        });
      });
    });

    describe('checkpoint: advance only forward, conditionally', () => {
      const base = 49590338271490256608559692538361571095921575989136588898n; // 56 digits
      const advance = (seq: bigint, shard = 'shardId-000000000000') =>
        store.put(
          {
            pk: 'meta#pipeline',
            sk: `shard#${shard}`,
            attrs: { seq: pad(seq), watermark: Number(seq % 1000n) },
          },
          { or: [{ attrNotExists: 'seq' }, { attr: 'seq', op: '<', value: pad(seq) }] },
        );
      const current = async (shard = 'shardId-000000000000') =>
        BigInt(String((await store.get('meta#pipeline', `shard#${shard}`))?.attrs?.seq));

      it('moves forward, never back or sideways, with 56-digit sequence numbers padded to 64', async () => {
        expect(base.toString()).toHaveLength(56);
        expect(await advance(base)).toBe(true);
        expect(await advance(base + 1n)).toBe(true);
        expect(await advance(base)).toBe(false);
        expect(await advance(base + 1n)).toBe(false);
        expect(await current()).toBe(base + 1n);
        expect(await advance(base + 10n ** 40n)).toBe(true);
        expect(await advance(base + 2n)).toBe(false);
        expect(await current()).toBe(base + 10n ** 40n);
      });

      it('compares across digit counts, where unpadded strings would compare wrongly', async () => {
        expect(await advance(9n)).toBe(true);
        expect(await advance(10n)).toBe(true);
        expect(await advance(10n ** 55n - 1n)).toBe(true);
        expect(await advance(10n ** 55n)).toBe(true);
        expect(await advance(99n)).toBe(false);
        expect(await current()).toBe(10n ** 55n);
        expect('9' > '10').toBe(true); // why padding matters
      });

      it('shards advance independently', async () => {
        expect(await advance(base, 'a')).toBe(true);
        expect(await advance(base - 5n, 'b')).toBe(true);
        expect(await current('a')).toBe(base);
        expect(await current('b')).toBe(base - 5n);
      });

      it('racing advances end at the highest sequence number', async () => {
        const seqs = [7n, 3n, 12n, 1n, 9n, 12n, 4n, 11n, 2n, 8n].map((d) => base + d);
        const results = await Promise.all(seqs.map((s) => advance(s)));
        expect(await current()).toBe(base + 12n);
        expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
        expect(results.filter(Boolean).length).toBeLessThanOrEqual(seqs.length - 1); // 12 twice: one loses
      });
    });

    describe('concurrency', () => {
      it('of concurrent conditional puts on one key exactly one wins, and its item is stored', async () => {
        const claims = Array.from({ length: 12 }, (_, i) =>
          store.put({ pk: 'close#p', sk: '0001', attrs: { owner: `closer-${i}` } }, { notExists: true }),
        );
        const results = await Promise.all(claims);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.get('close#p', '0001'))?.attrs).toEqual({ owner: `closer-${winner}` });
      });

      it('of concurrent compare-and-set puts from the same version exactly one wins', async () => {
        await store.put({ pk: 'p', sk: 's', attrs: { version: 1 } });
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.put(
              { pk: 'p', sk: 's', attrs: { version: 2, by: i } },
              { attr: 'version', op: '=', value: 1 },
            ),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get('p', 's'))?.attrs).toEqual({ version: 2, by: results.indexOf(true) });
      });
    });
  });
}
