import fc from 'fast-check';
import { VersionedTable, VersionGoneError, type TableEntry } from '../../lib/util/versioned-table';
import { normKey } from '../../lib/util/key-map';

interface E extends TableEntry<string> {
  value: number;
}

/** Operations on a table: a batch of sets and deletes, committed or abandoned, from a kept version. */
const opsArb = fc.array(
  fc.record({
    back: fc.nat(3), // how many versions back the write starts from (0: the current one)
    commit: fc.boolean(),
    changes: fc.array(
      fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.option(fc.nat(9), { nil: undefined })),
      {
        maxLength: 6,
      },
    ),
  }),
  { maxLength: 25 },
);

describe('VersionedTable', () => {
  test('every kept version reads as a copy made at the time would, in ordinal (insertion) order', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const keep = 3;
        const table = new VersionedTable<string, E>(0, keep);
        // The model: a full copy of every committed version, and the chain of versions.
        const copies = new Map<number, Map<string, E>>([[0, new Map()]]);
        let chain = [0];
        let next = 1;
        for (const op of ops) {
          const kept = table.versions;
          const from = kept[Math.max(0, kept.length - 1 - op.back)];
          const w = table.write(from, next);
          // Writing from an older version drops the versions after it (a batch computed again).
          chain = chain.slice(0, chain.indexOf(from) + 1);
          const model = new Map(copies.get(from));
          for (const [k, v] of op.changes) {
            const n = normKey(k);
            if (v === undefined) {
              w.delete(n);
              model.delete(k);
            } else {
              const e = { key: k, value: v, ord: w.ordFor(n) };
              w.set(n, e);
              model.set(k, e);
            }
          }
          if (op.commit) {
            w.commit();
            copies.set(next, model);
            chain = [...chain, next];
          }
          next++;
          // The table keeps the current version and up to `keep` before it (fewer just after a
          // batch computed again dropped the later ones); every kept version reads as its copy.
          expect(table.versions[table.versions.length - 1]).toBe(chain[chain.length - 1]);
          expect(table.versions.length).toBeLessThanOrEqual(keep + 1);
          expect(chain.slice(-table.versions.length)).toEqual(table.versions);
          for (const v of table.versions) {
            const view = table.view(v);
            const got = Array.from(view.entries(), (e) => [e.key, e.value]);
            const want = Array.from(copies.get(v) as Map<string, E>, ([k, e]) => [k, e.value]).sort();
            expect(got.slice().sort()).toEqual(want);
            expect(view.size).toBe(want.length);
            for (const [k, val] of want) expect(view.get(k as string)?.value).toBe(val);
            // Ordinal order: entries come sorted by ordinal.
            const ords = Array.from(view.entries(), (e) => e.ord);
            expect(ords).toEqual(ords.slice().sort((x, y) => x - y));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a key keeps its ordinal when updated; deleted and set again, it gets a new one (goes last)', () => {
    const table = new VersionedTable<string, E>(0, 2);
    let w = table.write(0, 1);
    for (const k of ['a', 'b', 'c']) w.set(k, { key: k, value: 1, ord: w.ordFor(k) });
    w.commit();
    w = table.write(1, 2);
    w.set('a', { key: 'a', value: 2, ord: w.ordFor('a') });
    w.delete('b');
    w.set('b', { key: 'b', value: 3, ord: w.ordFor('b') });
    w.commit();
    expect(Array.from(table.view(2).entries(), (e) => e.key)).toEqual(['a', 'c', 'b']);
    expect(Array.from(table.view(1).entries(), (e) => `${e.key}${e.value}`)).toEqual(['a1', 'b1', 'c1']);
  });

  test('an uncommitted write (a failed batch) is undone by the next write', () => {
    const table = new VersionedTable<string, E>(0, 2);
    let w = table.write(0, 1);
    w.set('a', { key: 'a', value: 1, ord: w.ordFor('a') });
    w.commit();
    w = table.write(1, 2);
    w.set('a', { key: 'a', value: 99, ord: w.ordFor('a') });
    w.set('z', { key: 'z', value: 1, ord: w.ordFor('z') });
    // never committed: the batch failed; it is computed again from version 1
    w = table.write(1, 2);
    expect(w.get('a')?.value).toBe(1);
    expect(w.get('z')).toBeUndefined();
    w.commit();
    expect(table.view(2).size).toBe(1);
  });

  test('a version no longer kept is refused with a clear error', () => {
    const table = new VersionedTable<string, E>(0, 1);
    for (let v = 1; v <= 3; v++) table.write(v - 1, v).commit();
    expect(() => table.view(0)).toThrow(VersionGoneError);
    expect(() => table.view(0)).toThrow(/version 0 of a state table is not kept \(kept: 2, 3\)/);
  });

  test('a table built from stored entries iterates in ordinal order and continues the ordinals', () => {
    const table = new VersionedTable<string, E>(
      5,
      1,
      [
        { key: 'x', value: 1, ord: 7 },
        { key: 'y', value: 2, ord: 3 },
      ],
      10,
    );
    expect(Array.from(table.view(5).entries(), (e) => e.key)).toEqual(['y', 'x']);
    expect(table.nextOrd).toBe(10);
  });
});
