/** A row of the bench table, and the one rule of a row measured against a baseline of the same run. */

export interface Row {
  scenario: string;
  measure: string;
  runs: number[];
  baseline?: { name: string; runs: number[] };
  target: string;
  met: boolean | undefined;
  note?: string;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Met when the median of `runs` is at least `min` × the baseline's median (`why`: what the target means). */
export function ratioRow(
  scenario: string,
  measure: string,
  runs: number[],
  baseline: { name: string; runs: number[] },
  min: number,
  why = '',
): Row {
  const met = median(runs) / median(baseline.runs) >= min;
  return { scenario, measure, runs, baseline, target: `ratio ≥ ${min}${why ? ` (${why})` : ''}`, met };
}

/** Met when the median of `runs` is below `max` (`inclusive`: at most `max`). */
export function belowRow(scenario: string, measure: string, runs: number[], max: number, inclusive = false): Row {
  const value = median(runs);
  return { scenario, measure, runs, target: `${inclusive ? '≤' : '<'} ${max}`, met: inclusive ? value <= max : value < max };
}
