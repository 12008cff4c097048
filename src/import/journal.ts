/**
 * What an import is copying right now, on disk beside the data it imports into: a run killed in
 * the middle of a dataset batch leaves its files' rows pending, and those hold their paths
 * (`upload_in_progress`) until the reconciler's age cutoff. The next run reads the journal and, if
 * the process that wrote it is gone (same host, no such pid), removes exactly what that batch
 * left (src/import/reclaim.ts) before copying again. A journal from another host, or a process
 * still alive, is left alone.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface BatchEntry {
  dataset: string;
  paths: string[];
  startedAt: string;
}

interface JournalFile {
  pid: number;
  host: string;
  batches: BatchEntry[];
}

export class ImportJournal {
  readonly #file: string;
  #batches: BatchEntry[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  /** Batches a dead importer was copying when it died (none if it finished or still lives). */
  async leftByDeadRun(): Promise<BatchEntry[]> {
    let journal: JournalFile;
    try {
      journal = JSON.parse(await fs.readFile(this.#file, 'utf8')) as JournalFile;
    } catch {
      return [];
    }
    if (journal.host !== os.hostname() || !Array.isArray(journal.batches)) return [];
    if (journal.pid !== process.pid && isAlive(journal.pid)) {
      throw new Error(`Another import (pid ${journal.pid}) is running into this target; wait for it to end.`);
    }
    return journal.batches;
  }

  /** Replaces what a dead run left (once reclaimed) with this run's own, empty, journal. */
  async forget(): Promise<void> {
    await this.#write();
  }

  async begin(entry: BatchEntry): Promise<void> {
    this.#batches.push(entry);
    await this.#write();
  }

  async end(entry: BatchEntry): Promise<void> {
    this.#batches = this.#batches.filter((batch) => batch !== entry);
    await this.#write();
  }

  async #write(): Promise<void> {
    await fs.mkdir(path.dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.${process.pid}.tmp`;
    const journal: JournalFile = { pid: process.pid, host: os.hostname(), batches: this.#batches };
    await fs.writeFile(temp, JSON.stringify(journal));
    await fs.rename(temp, this.#file);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
