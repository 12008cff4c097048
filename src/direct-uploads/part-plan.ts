/**
 * How a direct upload is cut into parts. R2 wants every part but the last of one size, S3
 * allows at most 10,000 parts of 5 MiB to 5 GiB: the part size is the client's proposal (or the
 * configured default), raised to the next MiB when the file would need more parts than that.
 */
import { AppError } from '../errors.ts';

const MiB = 1024 * 1024;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 5 * 1024 * MiB;
export const MAX_PART_COUNT = 10_000;

export interface PartPlan {
  partSize: number;
  partCount: number;
}

export function planParts(size: number, preferredPartSize: number): PartPlan {
  if (!Number.isSafeInteger(preferredPartSize) || preferredPartSize < MIN_PART_BYTES || preferredPartSize > MAX_PART_BYTES) {
    throw new AppError('validation_failed', `partSize must be between ${MIN_PART_BYTES} and ${MAX_PART_BYTES} bytes.`);
  }
  const least = Math.ceil(size / MAX_PART_COUNT);
  const partSize = preferredPartSize >= least ? preferredPartSize : Math.ceil(least / MiB) * MiB;
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The size part `partNumber` (1-based) must have. */
export function expectedPartSize(size: number, plan: PartPlan, partNumber: number): number {
  return partNumber < plan.partCount ? plan.partSize : size - (plan.partCount - 1) * plan.partSize;
}

export interface PartCoverage {
  missingParts: number[];
  wrongSizeParts: Array<{ partNumber: number; size: number; expectedSize: number }>;
}

/** What keeps the parts the store holds from being exactly the planned file. */
export function checkCoverage(
  size: number,
  plan: PartPlan,
  parts: ReadonlyArray<{ partNumber: number; size: number }>,
): PartCoverage | undefined {
  const byNumber = new Map(parts.map((part) => [part.partNumber, part]));
  const coverage: PartCoverage = { missingParts: [], wrongSizeParts: [] };
  for (let partNumber = 1; partNumber <= plan.partCount; partNumber += 1) {
    const part = byNumber.get(partNumber);
    const expectedSize = expectedPartSize(size, plan, partNumber);
    if (!part) coverage.missingParts.push(partNumber);
    else if (part.size !== expectedSize) coverage.wrongSizeParts.push({ partNumber, size: part.size, expectedSize });
  }
  // Parts numbered past the plan are left out of the object, as S3 itself leaves out unlisted parts.
  return coverage.missingParts.length === 0 && coverage.wrongSizeParts.length === 0 ? undefined : coverage;
}
