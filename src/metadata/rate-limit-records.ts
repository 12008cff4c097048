/** Rate-limit counts shared by the replicas on one database (xai_rate_limit_add). */
import type { SqlFunctionCaller } from './sql-caller.ts';

export class RateLimitRecords {
  readonly #caller: SqlFunctionCaller;

  constructor(caller: SqlFunctionCaller) {
    this.#caller = caller;
  }

  /** Adds each key's count to the window starting at `windowStart` (ms); every key's total across replicas. */
  add(counts: Record<string, number>, windowStart: number, windowMs: number): Promise<Record<string, number>> {
    return this.#caller.call('xai_rate_limit_add', { p_counts: counts, p_window_start: windowStart, p_window_ms: windowMs });
  }
}
