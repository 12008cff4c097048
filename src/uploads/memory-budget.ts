/**
 * The upload memory budget (UPLOAD_MEMORY_BUDGET_BYTES) and what is reserved of it outside the
 * part buffers: one object per process, made in the service wiring and handed to what spends
 * it. The S3 store's part-buffer pool shrinks by what is reserved for as long as it is; the
 * profiling thread and each Parquet reading thread reserve their share while they run.
 */
export class MemoryBudget {
  #reserved = 0;
  readonly #listeners = new Set<() => void>();

  /** Bytes reserved now. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Reserves `bytes` until the returned function is called (once). */
  reserve(bytes: number): () => void {
    this.#change(bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#change(-bytes);
    };
  }

  /** `listener` runs whenever the reservation changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #change(bytes: number): void {
    this.#reserved += bytes;
    for (const listener of this.#listeners) listener();
  }
}
