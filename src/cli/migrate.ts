/**
 * `DATABASE_URL=postgres://… npm run migrate`: brings that database to this release's SQL (the
 * tables of supabase/migrations, then the functions of supabase/sql), as the API does itself at
 * start when DATABASE_URL is set. For Supabase projects the API reaches through its HTTP API
 * only (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY): run it once per release with the project's
 * connection string. Safe to repeat and to run beside running instances (an advisory lock).
 */
import { PostgresCaller } from '../metadata/postgres-caller.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: give the connection string of the database to migrate.');
  process.exit(1);
}
const caller = new PostgresCaller(url, { max: 1 });
try {
  const applied = await caller.migrate();
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'already up to date');
} catch (error) {
  // The message names what failed, never the connection string (it holds the password).
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await caller.close();
}
