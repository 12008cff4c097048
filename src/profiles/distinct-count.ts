/**
 * Counts distinct strings in bounded memory: exactly while there are few (a Set of up to
 * `exactUpTo` of them), then by HyperLogLog (4,096 one-byte registers, ~1.6 % standard error),
 * so a file of never-repeated keys costs 4 KiB, not a copy of every key.
 */
import { createHash } from 'node:crypto';

const REGISTER_BITS = 12;
const REGISTERS = 1 << REGISTER_BITS;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

export class DistinctCount {
  readonly #exactUpTo: number;
  #exact: Set<string> | undefined = new Set();
  #registers: Uint8Array | undefined;

  constructor(exactUpTo: number) {
    this.#exactUpTo = exactUpTo;
  }

  /** True once the count is an estimate. */
  get estimated(): boolean {
    return this.#exact === undefined;
  }

  has(value: string): boolean {
    return this.#exact?.has(value) ?? false;
  }

  add(value: string): void {
    if (this.#exact) {
      this.#exact.add(value);
      if (this.#exact.size <= this.#exactUpTo) return;
      this.#registers = new Uint8Array(REGISTERS);
      for (const seen of this.#exact) this.#observe(seen);
      this.#exact = undefined;
      return;
    }
    this.#observe(value);
  }

  get size(): number {
    if (this.#exact) return this.#exact.size;
    const registers = this.#registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (const rank of registers) {
      sum += 2 ** -rank;
      if (rank === 0) zeros += 1;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small-range correction (linear counting), as in the original paper.
    const estimate = raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw;
    // Never below what was counted exactly before the switch.
    return Math.max(this.#exactUpTo + 1, Math.round(estimate));
  }

  #observe(value: string): void {
    const hash = createHash('sha1').update(value).digest();
    const high = hash.readUInt32BE(0);
    const index = high >>> (32 - REGISTER_BITS);
    // Rank: position of the first 1 bit in the remaining 52 bits (20 of this word, 32 of the next).
    const rest = ((high << REGISTER_BITS) >>> 0) | 0;
    let rank = rest === 0 ? 21 + Math.clz32(hash.readUInt32BE(4)) : Math.clz32(rest) + 1;
    if (rank > 52) rank = 52;
    const registers = this.#registers as Uint8Array;
    if (rank > (registers[index] as number)) registers[index] = rank;
  }
}
