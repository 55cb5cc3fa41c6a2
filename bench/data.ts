/** Deterministic benchmark inputs: lines of words from a skewed (Zipf-like) vocabulary. */

/** A small seeded PRNG (mulberry32), so every run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` lines of `wordsPerLine` words drawn from `vocabulary` words with Zipf(1) frequencies. */
export function generateLines(count: number, wordsPerLine: number, vocabulary: number, seed = 42): string[] {
  const words = Array.from({ length: vocabulary }, (_, i) => `w${i.toString(36)}`);
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 1; i <= vocabulary; i++) cdf.push((sum += 1 / i));
  const r = rng(seed);
  const pick = () => {
    const x = r() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const ws: string[] = new Array(wordsPerLine);
    for (let j = 0; j < wordsPerLine; j++) ws[j] = pick();
    lines[i] = ws.join(' ');
  }
  return lines;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * CPU seconds used by this process so far (user + system). Benchmarks time with it rather than the
 * wall clock, so that other processes on the machine do not distort a ratio measured in one run.
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
