/**
 * What every room of the serverless engine shares: the store, the pipeline's name and durations,
 * the clock, logging, metrics and listeners. Built once per engine.
 */
import type { StateStore } from '../../state/types';
import { notifyListeners, type EngineListener } from '../listener';
import type { EngineMetricName, EngineMetrics } from './types';

/** The shared context of the engine's rooms. */
export class EngineContext {
  readonly listeners: EngineListener[] = [];

  constructor(
    readonly store: StateStore,
    /** The pipeline's name (every key starts with it). */
    readonly pipeline: string,
    readonly intervalMs: number,
    /** How long an idle shard may hold a batch. */
    readonly latenessMs: number,
    /** How long what the engine writes is kept past its use (every item's TTL). */
    readonly retentionMs: number,
    /** This engine's id in claims and logs. */
    readonly owner: string,
    readonly now: () => number,
    readonly log: (message: string, fields?: Record<string, unknown>) => void,
    private readonly metrics: EngineMetrics | undefined,
  ) {}

  private readonly lastLogged = new Map<string, number>();

  /** Logs `message` at most once every `everyMs` for `topic` (a condition that lasts, not an event). */
  logEvery(topic: string, everyMs: number, message: string, fields?: Record<string, unknown>): void {
    const now = this.now();
    const last = this.lastLogged.get(topic);
    if (last !== undefined && now - last < everyMs) return;
    this.lastLogged.set(topic, now);
    this.log(message, fields);
  }

  /** Counts a metric (zero values are not sent). */
  metric(name: EngineMetricName, value: number): void {
    if (value !== 0) this.metrics?.count(name, value);
  }

  /** Sends a gauge-like value, zero included (how far behind the closer is). */
  gauge(name: EngineMetricName, value: number): void {
    this.metrics?.count(name, value);
  }

  /** Publishes the metrics counted so far. */
  flushMetrics(): void {
    this.metrics?.flush?.();
  }

  /** Tells the listeners (a throwing listener is logged, never rethrown). */
  notify<E extends keyof EngineListener>(
    event: E,
    info: Parameters<NonNullable<EngineListener[E]>>[0],
  ): void {
    notifyListeners(this.listeners, event, info, this.log);
  }

  /** The TTL (epoch seconds) of an item written now and needed for `neededMs` more: that plus the retention. */
  ttl(neededMs = 0): number {
    return Math.ceil((this.now() + neededMs + this.retentionMs) / 1000);
  }
}
