/**
 * The frontier streams' batch at T, from the map-side data of the batch's entries (the closer's
 * side of map-stage.ts). An entry written by this version of the map stage is read as it is. An
 * entry written by another version (committed before a deploy, closed after it) is placed by its
 * signature: data under the same stream id and form is read as it is; a shuffle combined map-side
 * in one version and not in the other gets the other form (elements combined here, or combiners
 * merged in); data whose id changed (an operator added upstream) goes to the one frontier whose
 * data first reaches the same named streams. Data that would feed a stored stream of this version
 * but has no unambiguous place refuses the batch (MapStageChangedError), before anything runs: it
 * is never dropped or misread. Data for streams this version no longer has is left out; streams
 * this version adds get nothing from the old entries (they start with the records it maps).
 * Reads and writes nothing.
 */
import { ShuffledDStream } from '../../dstream/combine-by-key';
import { RDD } from '../../dstream/rdd';
import { KeyMap } from '../../util/key-map';
import type { BatchContent, IncludedGroup } from './batch-content';
import { MapStageChangedError } from './errors';
import type { MapStage, StageSignature } from './map-stage';

type Shuffle = ShuffledDStream<unknown, unknown, unknown>;

/** Where an entry of another map-stage version keeps the data this version reads. */
interface Route {
  /** Frontier data key -> the entry's key of its elements. */
  elements: Map<string, string>;
  /** Combined shuffle key -> the entry's key, holding combiners (`c`) or elements to combine (`e`). */
  combined: Map<string, [string, 'c' | 'e']>;
  /** Key of a shuffle reading a frontier that is not combined -> the entry's key of its combiners. */
  extra: Map<string, string>;
}

/** What this version reads from an entry. */
interface Need {
  key: string;
  kind: 'elements' | 'combined' | 'extra';
  /** For a combined shuffle: its parent frontier's key (an entry may hold its elements instead). */
  parentKey?: string;
  /** The nearest named streams its data reaches. */
  anchors: string[];
}

const routes = new WeakMap<MapStage, Map<string, Route>>();

/** Sets the batch at `t` of the frontier streams (and shuffles given combiners) from `content`. */
export function setFrontiers(stage: MapStage, t: number, content: BatchContent): void {
  const routeOf = (g: IncludedGroup) => (g.stage === stage.hash ? undefined : routeFor(stage, g, t));
  const groupRoutes = content.groups.map(routeOf);
  for (const f of stage.frontiers) {
    const shuffle = stage.combined.get(f.stream);
    if (shuffle) {
      const key = stage.keys.get(shuffle) as string;
      const merged = new KeyMap<unknown, unknown>();
      content.groups.forEach((g, i) => {
        const route = groupRoutes[i];
        const [from, form] = route ? (route.combined.get(key) ?? [undefined, 'c']) : [key, 'c'];
        if (from === undefined) return;
        if (form === 'c') mergeInto(merged, shuffle, g.combined[from] ?? []);
        else mergeInto(merged, shuffle, combine(shuffle, g.elements[from] ?? []));
      });
      shuffle.generated.set(t, RDD.of(merged.toArray()));
      continue;
    }
    const key = stage.keys.get(f.stream) as string;
    const all: unknown[] = [];
    content.groups.forEach((g, i) => {
      const route = groupRoutes[i];
      const from = route ? route.elements.get(key) : key;
      if (from !== undefined) for (const x of g.elements[from] ?? []) all.push(x);
    });
    f.stream.generated.set(t, RDD.of(all));
    for (const sh of stage.shufflesOf.get(f.stream) ?? [])
      setWithOldCombiners(stage, sh, all, content, groupRoutes, t);
  }
}

/** A shuffle whose parent's elements are read, plus combiners an older map stage wrote for it. */
function setWithOldCombiners(
  stage: MapStage,
  shuffle: Shuffle,
  elements: unknown[],
  content: BatchContent,
  groupRoutes: (Route | undefined)[],
  t: number,
): void {
  const key = stage.keys.get(shuffle) as string;
  const old = content.groups.flatMap((g, i) => {
    const from = groupRoutes[i]?.extra.get(key);
    return from === undefined ? [] : [g.combined[from] ?? []];
  });
  if (old.length === 0) return;
  const merged = new KeyMap<unknown, unknown>();
  mergeInto(merged, shuffle, combine(shuffle, elements));
  for (const pairs of old) mergeInto(merged, shuffle, pairs);
  shuffle.generated.set(t, RDD.of(merged.toArray()));
}

function combine(shuffle: Shuffle, elements: unknown[]): [unknown, unknown][] {
  const c = ShuffledDStream.combiner(shuffle.aggregator);
  for (const x of elements) c.add(x as [unknown, unknown]);
  return c.map.toArray();
}

function mergeInto(merged: KeyMap<unknown, unknown>, shuffle: Shuffle, pairs: [unknown, unknown][]): void {
  const merge = shuffle.aggregator.mergeCombiners;
  for (const [k, c] of pairs) {
    const prev = merged.get(k);
    merged.set(k, prev === undefined && !merged.has(k) ? c : merge(prev, c));
  }
}

/** The route of an entry written by another map-stage version (computed once per version). */
function routeFor(stage: MapStage, g: IncludedGroup, t: number): Route {
  let cache = routes.get(stage);
  if (!cache) routes.set(stage, (cache = new Map()));
  const id = g.stage ?? '';
  const known = cache.get(id);
  if (known) return known;
  if (!g.signature) {
    throw new MapStageChangedError(t, [
      `shard ${g.shardKey}: an entry written by an engine version without stream identities (no signature)`,
    ]);
  }
  const route = buildRoute(stage, g.signature, (reason) => `shard ${g.shardKey}: ${reason}`, t);
  cache.set(id, route);
  return route;
}

function needsOf(stage: MapStage): Need[] {
  const needs: Need[] = [];
  const anchors = (key: string) => stage.signature[key]?.[1] ?? [];
  for (const f of stage.frontiers) {
    const shuffle = stage.combined.get(f.stream);
    if (shuffle) {
      const key = stage.keys.get(shuffle) as string;
      needs.push({ key, kind: 'combined', parentKey: stage.keys.get(f.stream), anchors: anchors(key) });
      continue;
    }
    const key = stage.keys.get(f.stream) as string;
    needs.push({ key, kind: 'elements', anchors: anchors(key) });
    for (const sh of stage.shufflesOf.get(f.stream) ?? [])
      needs.push({
        key: stage.keys.get(sh) as string,
        kind: 'extra',
        anchors: stage.anchorsOf.get(sh) ?? [],
      });
  }
  return needs;
}

/** Places the data keys of signature `old` into this stage's needs; refuses what has no safe place. */
function buildRoute(stage: MapStage, old: StageSignature, where: (s: string) => string, t: number): Route {
  const route: Route = { elements: new Map(), combined: new Map(), extra: new Map() };
  const used = new Set<string>();
  const needs = needsOf(stage);
  const take = (n: Need, from: string, form: 'c' | 'e') => {
    used.add(from);
    if (n.kind === 'elements') route.elements.set(n.key, from);
    else if (n.kind === 'combined') route.combined.set(n.key, [from, form]);
    else route.extra.set(n.key, from);
  };
  const formOf = (k: string | undefined) => (k === undefined ? undefined : old[k]?.[0]);
  const open: Need[] = [];
  for (const n of needs) {
    if (n.kind === 'elements' && formOf(n.key) === 'e') take(n, n.key, 'e');
    else if (n.kind !== 'elements' && formOf(n.key) === 'c') take(n, n.key, 'c');
    else if (n.kind === 'combined' && n.parentKey && formOf(n.parentKey) === 'e') take(n, n.parentKey, 'e');
    else open.push(n);
  }
  // Renamed data: the one unused key of a fitting form whose data reaches a named stream this need's
  // data reaches first (the same input of the same named stream: records mapped by the old code).
  const reasons: string[] = [];
  const candidates = open.map((n) =>
    Object.keys(old).filter(
      (k) =>
        !used.has(k) &&
        (n.kind === 'elements' ? old[k][0] === 'e' : n.kind === 'extra' ? old[k][0] === 'c' : true) &&
        old[k][1].some((id) => n.anchors.includes(id)),
    ),
  );
  const picks = new Map<string, number>();
  const ambiguous = new Set<string>();
  for (const c of candidates) for (const k of c) picks.set(k, (picks.get(k) ?? 0) + 1);
  open.forEach((n, i) => {
    const c = candidates[i];
    if (c.length === 1 && picks.get(c[0]) === 1) take(n, c[0], old[c[0]][0] === 'c' ? 'c' : 'e');
    else if (c.length > 1 || (c.length === 1 && (picks.get(c[0]) ?? 0) > 1)) {
      for (const k of c) ambiguous.add(k);
      reasons.push(
        where(`data ${c.join(', ')} could feed ${n.key} (and others): which is ambiguous; name the streams`),
      );
    }
  });
  for (const k of Object.keys(old)) {
    if (used.has(k)) continue;
    const stored = (old[k][2] ?? []).filter((id) => stage.storedIds.has(id));
    if (stored.length > 0 && !ambiguous.has(k))
      reasons.push(where(`data ${k} feeds ${stored.join(', ')}, but no stream of this version reads it`));
  }
  if (reasons.length > 0) throw new MapStageChangedError(t, reasons);
  return route;
}
