/**
 * Reconciling the code's stored streams with the stream registry (stream-registry.ts): which
 * streams are new (registered with a fresh storage key), which keep their state (same id and
 * fingerprint, or a newly named stream adopting an unclaimed one of the same structure), and which
 * changes are refused (IncompatibleStateError: a fingerprint changed under an id, state the code no
 * longer defines). Pure: reads and writes nothing.
 */
import type { StateProblem } from './errors';
import type {
  Fingerprint,
  IdentityPlan,
  RegisteredStream,
  RegistryBody,
  StoredStream,
} from './stream-registry';

/** The storage key of a stream registered at `rev`: never one used before. */
export function storageKey(id: string, rev: number): string {
  return `${id}.${rev}`;
}

/** Whether two fingerprints describe the same data. */
export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return (
    a.storage === b.storage &&
    a.kind === b.kind &&
    a.slideMs === b.slideMs &&
    a.windowMs === b.windowMs &&
    a.schema === b.schema
  );
}

/** A fingerprint in words: `updateStateByKey state (slide 1 s)`. */
export function describeFingerprint(fp: Fingerprint): string {
  const what = fp.storage === 'panes' ? `${fp.kind} batches read by windows` : `${fp.kind} state`;
  const window = fp.windowMs === undefined ? '' : `window ${fp.windowMs / 1000} s, `;
  const schema = fp.schema === undefined ? 'no schema label' : `schema '${fp.schema}'`;
  return `${what} (${window}slide ${fp.slideMs / 1000} s, ${schema})`;
}

/** The outcome of reconciling a plan with the registry. */
export interface Reconciled {
  problems: StateProblem[];
  /** The registry the plan runs under (to write when `changed`). */
  body: RegistryBody;
  changed: boolean;
  /** What changed, for the log: streams added, adopted, dropped. */
  notes: string[];
}

/**
 * Reconciles the code's stored streams with the registry (undefined: none yet); streams registered
 * now get revision `nextRev`. Pure.
 */
export function reconcile(
  plan: Pick<IdentityPlan, 'stored' | 'layout'>,
  registry: RegistryBody | undefined,
  intervalMs: number,
  nextRev: number,
): Reconciled {
  const problems: StateProblem[] = [];
  const notes: string[] = [];
  const old = registry?.streams ?? {};
  const streams: Record<string, RegisteredStream> = {};
  let changed = !registry || registry.layout !== plan.layout;
  if (registry && registry.intervalMs !== intervalMs) {
    problems.push({
      stream: '*',
      message:
        `the batch interval changed from ${registry.intervalMs / 1000} s to ${intervalMs / 1000} s: the stored ` +
        'batches and state versions are on the old interval. Keep the interval, or deploy the new ' +
        'definition under a new pipeline name (it starts with no state).',
    });
  }
  const inPlan = new Set(plan.stored.map((p) => p.id));
  const orphans = Object.entries(old).filter(([id]) => !inPlan.has(id));
  const adopted = new Set<string>();
  const register = (p: StoredStream, why: string) => {
    streams[p.id] = {
      key: storageKey(p.id, nextRev),
      sid: p.sid,
      fp: p.fp,
      rev: nextRev,
      display: p.display,
    };
    changed = true;
    if (registry) notes.push(`${p.display}: ${why}`);
  };
  for (const p of plan.stored) {
    if (p.ambiguous && p.fp.storage !== 'panes') {
      problems.push({
        stream: p.id,
        message:
          `${p.display} holds state and looks like another stream of the pipeline (the same operator over ` +
          'the same input): its id would depend on the order of definition, so the two states could be ' +
          "swapped by a change. Name it (and its look-alike): .named('...').",
      });
      continue;
    }
    const e = old[p.id];
    if (e && sameFingerprint(e.fp, p.fp)) {
      // The structure-only id follows the code, so that a name given later finds the stream.
      if (e.sid !== p.sid || e.display !== p.display) changed = true;
      streams[p.id] = { ...e, sid: p.sid, display: p.display };
      continue;
    }
    if (e && e.fp.storage === 'panes' && p.fp.storage === 'panes') {
      register(
        p,
        `its batches changed meaning (${describeFingerprint(e.fp)} before): windows over it start empty`,
      );
      continue;
    }
    if (e) {
      problems.push({
        stream: p.id,
        message: `${p.display} changed: its stored data is ${describeFingerprint(e.fp)}; the code now defines ${describeFingerprint(p.fp)}.`,
      });
      continue;
    }
    const match = orphans.filter(
      ([id, o]) => !adopted.has(id) && o.sid === p.sid && sameFingerprint(o.fp, p.fp),
    );
    if (match.length === 1) {
      const [id, o] = match[0];
      adopted.add(id);
      streams[p.id] = { ...o, display: p.display };
      changed = true;
      notes.push(`${p.display} adopts the stored data of ${o.display} (the same stream, now named)`);
      continue;
    }
    register(
      p,
      p.fp.storage === 'panes' ? 'new: windows over it start empty' : 'new: its state starts empty',
    );
  }
  for (const [id, o] of orphans) {
    if (adopted.has(id)) continue;
    changed = true;
    if (o.fp.storage === 'panes') {
      notes.push(`${o.display}: no longer read (the pipeline changed); its window history is dropped`);
      continue;
    }
    problems.push({
      stream: id,
      message:
        `${o.display} holds state (${describeFingerprint(o.fp)}) but the code no longer defines a stream with ` +
        'this id: an operator was added, removed or changed upstream of it, or it was renamed or removed. ' +
        `To drop its state: \`dstream state reset --stream ${id}\`.`,
    });
  }
  return { problems, changed, notes, body: { intervalMs, layout: plan.layout, streams } };
}
