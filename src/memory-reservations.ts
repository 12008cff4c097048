/**
 * Memory this process spends on uploads outside the part buffers, taken out of the same
 * UPLOAD_MEMORY_BUDGET_BYTES: the part-buffer pools shrink by what is reserved here for as long
 * as it is. Process-wide, as the memory is: the profiling thread (one per process) and each
 * Parquet reading thread reserve their share while they run and give it back when they exit.
 */
let reserved = 0;
const listeners = new Set<() => void>();

/** Bytes reserved now. */
export function reservedBytes(): number {
  return reserved;
}

/** Reserves `bytes` until the returned function is called (once). */
export function reserveMemory(bytes: number): () => void {
  reserved += bytes;
  notify();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    reserved -= bytes;
    notify();
  };
}

/** `listener` runs whenever the reservation changes; returns the unsubscribe. */
export function onReservationChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
