/**
 * Request counts per caller shared by every replica on one database, so that N replicas enforce
 * one limit per caller, not N. Each process counts locally and adds its counts to the database
 * in one statement (RateLimitRecords), learning the other replicas' totals in the same round
 * trip. A caller's total is refreshed at most every SYNC_MS: the request that finds it older
 * waits for one round trip (shared by every request waiting then, all callers together), the
 * others are answered from the local count. A caller new to this process is looked up at once.
 *
 * Windows are fixed and aligned to the epoch (every replica agrees on them without talking).
 * Replicas may together admit a little more than the limit: at most what the others received
 * from that caller in the last SYNC_MS. If the database cannot be reached, counting goes on
 * locally (the limit then holds per process, as before) and the counts are sent once it answers.
 */
import type { Logger } from '../logger.ts';
import type { RateLimitRecords } from '../metadata/rate-limit-records.ts';

export const SYNC_MS = 250;

interface Window {
  start: number;
  /** Counted here and not yet sent. */
  pending: Map<string, number>;
  /** Sent, the answer not yet back. */
  sending: Map<string, number>;
  /** Totals across replicas as of a sync (this process's sent counts included), and when. */
  known: Map<string, { total: number; at: number }>;
}

export interface Hit {
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

export class SharedCounter {
  readonly #records: RateLimitRecords;
  readonly #log: Logger;
  /** One window per length (the budgets may differ in length). */
  readonly #windows = new Map<number, Window>();
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #failing = false;

  constructor(records: RateLimitRecords, log: Logger) {
    this.#records = records;
    this.#log = log;
  }

  /** Counts one request of `key` in the current window of `windowMs`; the caller's total. */
  async hit(key: string, windowMs: number): Promise<Hit> {
    const window = this.#window(windowMs);
    window.pending.set(key, (window.pending.get(key) ?? 0) + 1);
    // A caller new to this window, or last synced over SYNC_MS ago: learn what the other replicas
    // counted (not while the database is failing: then every request would wait for it).
    const known = window.known.get(key);
    if (!this.#failing && (!known || Date.now() - known.at > SYNC_MS)) await this.#sync();
    else this.#schedule();
    return this.peek(key, windowMs);
  }

  /** The caller's total in the current window, without counting. */
  peek(key: string, windowMs: number): Hit {
    const now = Date.now();
    const window = this.#window(windowMs, now);
    const current = (window.known.get(key)?.total ?? 0) + (window.sending.get(key) ?? 0) + (window.pending.get(key) ?? 0);
    return { current, ttl: window.start + windowMs - now };
  }

  /** Sends what is counted and stops. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sync().catch(() => undefined);
  }

  #window(windowMs: number, now = Date.now()): Window {
    const start = Math.floor(now / windowMs) * windowMs;
    let window = this.#windows.get(windowMs);
    if (!window || window.start !== start) {
      // A new window: the last one's unsent counts no longer matter to anyone.
      window = { start, pending: new Map(), sending: new Map(), known: new Map() };
      this.#windows.set(windowMs, window);
    }
    return window;
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#sync();
    }, SYNC_MS);
    this.#timer.unref();
  }

  /** One sync at a time; a request that must wait for one waits for the next that includes it. */
  #sync(): Promise<void> {
    const running = this.#syncing;
    const next = (async () => {
      await running?.catch(() => undefined);
      await this.#send();
    })();
    this.#syncing = next;
    return next.finally(() => {
      if (this.#syncing === next) this.#syncing = undefined;
    });
  }

  async #send(): Promise<void> {
    for (const [windowMs, window] of this.#windows) {
      if (window.pending.size === 0) continue;
      const counts = Object.fromEntries(window.pending);
      window.sending = window.pending;
      window.pending = new Map();
      try {
        const totals = await this.#records.add(counts, window.start, windowMs);
        window.sending = new Map();
        const at = Date.now();
        for (const [key, total] of Object.entries(totals)) window.known.set(key, { total, at });
        if (this.#failing) this.#log.info({ rateLimits: 'shared' }, 'shared rate limits: the database answers again');
        this.#failing = false;
      } catch (error) {
        // Counted here all the same, and sent with the next sync.
        window.sending = new Map();
        for (const [key, count] of Object.entries(counts)) window.pending.set(key, (window.pending.get(key) ?? 0) + count);
        for (const key of Object.keys(counts)) if (!window.known.has(key)) window.known.set(key, { total: 0, at: Date.now() });
        if (!this.#failing) this.#log.warn({ err: error }, 'shared rate limits: counting per process until the database answers');
        this.#failing = true;
        this.#schedule();
      }
    }
  }
}
