/**
 * Text that cannot be stored as given: a NUL character (Postgres text refuses it) or an
 * unpaired UTF-16 surrogate (UTF-8 cannot carry it; it would come back as U+FFFD). Refused
 * at the door with a clear answer, never stored changed, never a database error.
 */
import { AppError } from './errors.ts';

/** The first problem with a string, or undefined when it can be stored exactly. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (!value.isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

/** Walks any JSON-like value (iteratively: depth is bounded elsewhere) and throws on the first bad string. */
export function checkText(where: string, value: unknown): void {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: where }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string };
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) throw new AppError('validation_failed', `${path} ${problem}.`);
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        const problem = textProblem(key);
        if (problem) throw new AppError('validation_failed', `A key in ${path} ${problem}.`);
        stack.push({ value: item, path: `${path}.${key}` });
      }
    }
  }
}
