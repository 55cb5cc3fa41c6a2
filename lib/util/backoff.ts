/** Delays for retries: exponential backoff with full jitter, and a sleep that can be cut short. */

/**
 * The delay before retry number `attempt` (1 for the first retry): a random duration between 0
 * and `min(maxMs, baseMs * 2^(attempt - 1))` ("full jitter"), so that many retrying producers do
 * not hit a throttled shard in lockstep.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** A sleep that {@link Sleeper.wakeAll} ends early, so that `stop()` never waits out a timer. */
export class Sleeper {
  private readonly pending = new Set<() => void>();

  /** Resolves after `ms`, or as soon as {@link wakeAll} is called. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  /** Ends every pending sleep now. */
  wakeAll(): void {
    for (const done of [...this.pending]) done();
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
