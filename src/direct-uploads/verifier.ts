/**
 * Verification of direct uploads: the one read of an assembled object, streamed through the same
 * meter as a proxied upload (count, SHA-256, limit), then the same finalize, or the session
 * fails and nothing is left. The job is durable: its state lives in the metadata store, a
 * process holds it under a lease it renews, and a lease that lapses (a crash, a restart) lets
 * any replica claim it again. At most `verifyConcurrency` run at once in a process, each with
 * one stream's worth of memory.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DirectUploadSettings } from '../config.ts';
import { isAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { UploadSessionRecord } from '../metadata/upload-session-records.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { UploadMeter } from '../uploads/meter.ts';
import { releaseChunk } from '../uploads/read-buffers.ts';
import { deleteObjects } from '../uploads/upload-batch.ts';
import { sessionOwner, type VerificationKinds } from './direct-kinds.ts';
import { keepLeased } from './lease-heartbeat.ts';

/**
 * A job claimed this often is given up. Counted when claimed (xai_claim_upload_verification), not
 * when an attempt fails: a job whose attempts kill their process never reaches a failure path,
 * and must still end `failed` instead of being claimed again after every restart.
 */
export const MAX_ATTEMPTS = 5;

export interface VerifierDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  log: Logger;
  settings: DirectUploadSettings;
  /** What each kind's verification does besides counting and hashing. */
  kinds: VerificationKinds;
}

type Problem = NonNullable<UploadSessionRecord['problem']>;

export class UploadVerifier {
  readonly #deps: VerifierDeps;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #scanning = false;
  #scanWanted = false;
  #claiming = 0;

  constructor(deps: VerifierDeps) {
    this.#deps = deps;
  }

  /** Looks for claimable jobs now and then every half lease (jobs a crashed process left). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    const everyMs = Math.max(1000, (this.#deps.settings.verifyLeaseSeconds * 1000) / 2);
    this.#timer = setInterval(() => this.scan(), everyMs);
    this.#timer.unref();
    this.scan();
  }

  /** A session that just began verifying: run it here if there is room (else a scan finds it). */
  kick(id: string): void {
    if (this.#stopped || this.#busy() >= this.#deps.settings.verifyConcurrency) return;
    this.#claiming += 1;
    void this.#claim(id)
      .catch((error: unknown) => this.#deps.log.warn({ err: error, upload: id }, 'verification claim failed'))
      .finally(() => {
        this.#claiming -= 1;
      });
  }

  /**
   * Claims jobs while there is room. A scan asked for while one runs is not lost: the running
   * one goes round again (a job that ends during a scan frees a slot the scan must see).
   */
  scan(): void {
    if (this.#stopped) return;
    this.#scanWanted = true;
    if (this.#scanning) return;
    this.#scanning = true;
    void (async () => {
      try {
        while (this.#scanWanted && !this.#stopped) {
          this.#scanWanted = false;
          while (!this.#stopped && this.#busy() < this.#deps.settings.verifyConcurrency) {
            this.#claiming += 1;
            const claimed = await this.#claim(null).finally(() => {
              this.#claiming -= 1;
            });
            if (!claimed) break;
          }
        }
      } catch (error) {
        this.#deps.log.warn({ err: error }, 'verification scan failed; the next one retries');
      } finally {
        this.#scanning = false;
      }
    })();
  }

  /** Jobs running or being claimed: what counts against VERIFY_CONCURRENCY. */
  #busy(): number {
    return this.#running.size + this.#claiming;
  }

  /** Jobs running in this process (for tests and /ready diagnostics). */
  get running(): number {
    return this.#running.size;
  }

  /** Stops taking jobs and interrupts those running: their leases lapse and another process resumes them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const job of this.#running.values()) job.controller.abort(new Error('shutting down'));
    await Promise.allSettled([...this.#running.values()].map((job) => job.done));
  }

  async #claim(id: string | null): Promise<boolean> {
    const session = await this.#deps.metadata.uploadSessions.claimVerification(id, this.#deps.settings.verifyLeaseSeconds);
    if (!session) return false;
    if (this.#stopped) return true;
    const controller = new AbortController();
    const done = this.#run(session, controller.signal).finally(() => {
      this.#running.delete(session.id);
      // A slot is free: a job that found none (kicked while this one ran) is taken now.
      this.scan();
    });
    this.#running.set(session.id, { controller, done });
    return true;
  }

  async #run(session: UploadSessionRecord, signal: AbortSignal): Promise<void> {
    const { metadata, log, settings } = this.#deps;
    if (session.attempts > MAX_ATTEMPTS) {
      await this.#fail(session, {
        code: 'storage_unavailable',
        detail: `The upload could not be verified: ${MAX_ATTEMPTS} attempts were interrupted (the process stopped or storage failed).`,
      }).catch((error: unknown) => log.warn({ err: error, upload: session.id }, 'giving up verification failed; retried later'));
      return;
    }
    const release = keepLeased(
      () => metadata.uploadSessions.renewLease(session.id, settings.verifyLeaseSeconds),
      settings.verifyLeaseSeconds,
      log,
      { upload: session.id, lease: 'verification' },
    );
    try {
      const hooks = this.#deps.kinds[session.targetType];
      const profiling = hooks?.profiling?.(session);
      const outcome = await this.#readBack(session, signal, profiling?.observe).catch((error: unknown) => {
        profiling?.abandon();
        throw error;
      });
      if ('problem' in outcome) {
        profiling?.abandon();
        await this.#fail(session, outcome.problem);
        return;
      }
      if (profiling) await hooks?.recordProfile?.(sessionOwner(session), session, outcome.size, profiling);
      await metadata.uploadSessions.finish(session.id, { size: outcome.size, sha256: outcome.sha256, etag: session.etag ?? '' });
      log.info({ upload: session.id, size: outcome.size }, 'direct upload verified');
    } catch (error) {
      if (signal.aborted) return; // shutting down: the lease lapses and the job is resumed
      if (isAppError(error) && error.kind !== 'unavailable') {
        // The file is fine but its record cannot take it (e.g. the dataset was deleted meanwhile).
        await this.#fail(session, { code: error.code, detail: error.message }).catch((failError: unknown) => {
          log.warn({ err: failError, upload: session.id }, 'verification failure not recorded; retried later');
        });
        return;
      }
      log.warn({ err: error, upload: session.id, attempt: session.attempts }, 'verification interrupted; retried later');
      if (session.attempts >= MAX_ATTEMPTS) {
        await this.#fail(session, {
          code: 'storage_unavailable',
          detail: `The upload could not be verified after ${session.attempts} attempts.`,
        }).catch(() => undefined);
      }
    } finally {
      release();
    }
  }

  /** Reads the object once, counting and hashing it; returns its facts or why it is refused. */
  async #readBack(
    session: UploadSessionRecord,
    signal: AbortSignal,
    observe: ((chunk: Buffer) => Promise<void> | undefined) | undefined,
  ): Promise<{ size: number; sha256: string } | { problem: Problem }> {
    const { body } = await this.#deps.storage.read(session.objectKey, signal);
    const meter = new UploadMeter(session.size, observe);
    // The last reader of each chunk (the meter has hashed it): its memory goes back at once.
    const discard = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        releaseChunk(chunk);
        callback();
      },
    });
    try {
      await pipeline(body, meter, discard, { signal });
    } catch (error) {
      if (isAppError(error) && error.code === 'file_too_large') {
        return {
          problem: {
            code: 'upload_incomplete',
            detail: `The assembled object is larger than the declared ${session.size} bytes.`,
          },
        };
      }
      throw error;
    }
    if (meter.bytes !== session.size) {
      return {
        problem: {
          code: 'upload_incomplete',
          detail: `The assembled object has ${meter.bytes} bytes; ${session.size} were declared.`,
        },
      };
    }
    const sha256 = meter.sha256();
    if (session.sha256 && session.sha256 !== sha256) {
      return {
        problem: {
          code: 'checksum_mismatch',
          detail: 'The SHA-256 of the uploaded file does not match the one declared when the upload was opened.',
          expected: session.sha256,
          actual: sha256,
        },
      };
    }
    return { size: meter.bytes, sha256 };
  }

  /** Rows first (the session ends, its reservation goes), then the object; a failure there is an orphan to reconcile. */
  async #fail(session: UploadSessionRecord, problem: Problem): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.uploadSessions.end(session.id, 'failed', problem);
    await deleteObjects(this.#deps.storage, [...new Set([session.objectKey, ...deletedKeys])], this.#deps.log);
    this.#deps.log.info({ upload: session.id, code: problem.code }, 'direct upload refused');
  }
}
