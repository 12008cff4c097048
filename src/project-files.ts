import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding `supabase/migrations`: the project root, found by walking up from this
 * module, so it is the same whether the code runs from `src/` or from `dist/src/`.
 */
export function projectRoot(): string {
  let folder = import.meta.dirname;
  while (!existsSync(path.join(folder, 'supabase', 'migrations'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('supabase/migrations not found above the running code');
    folder = parent;
  }
  return folder;
}

export function migrationsFolder(): string {
  return path.join(projectRoot(), 'supabase', 'migrations');
}

/** The SQL functions, each in its current form in one file (applied after the migrations). */
export function sqlFunctionsFolder(): string {
  return path.join(projectRoot(), 'supabase', 'sql');
}
