/**
 * Metadata through Supabase's REST API with supabase-js and the service role key:
 * every operation is `supabase.rpc(fn, namedArguments)`. The user applies the SQL
 * (`DATABASE_URL=… npm run migrate`); this adapter never changes the schema.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { fromDatabaseError } from './database-errors.ts';
import type { SqlArgument, SqlFunctionCaller } from './sql-caller.ts';

export class SupabaseCaller implements SqlFunctionCaller {
  readonly shared = true;
  readonly #client: SupabaseClient;

  constructor(options: { url: string; serviceRoleKey: string; fetch?: typeof fetch }) {
    this.#client = createClient(options.url, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: options.fetch ? { fetch: options.fetch } : {},
    });
  }

  /** Each rpc is its own HTTP request; PostgREST has no statement to share. */
  lookup<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    return this.call<T>(fn, args);
  }

  async call<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    const named = Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
    let response: Awaited<ReturnType<SupabaseClient['rpc']>>;
    try {
      response = await this.#client.rpc(fn, named);
    } catch (error) {
      throw fromDatabaseError(error, {});
    }
    if (response.error) {
      const { code, message, details } = response.error;
      // supabase-js reports a failed fetch as an error with an empty code: unreachable.
      throw fromDatabaseError(response.error, { code: code || undefined, message, detail: details ?? undefined });
    }
    return response.data as T;
  }

  async check(): Promise<void> {
    // A cheap function of our own migrations: proves the URL, the key and the schema at once.
    await this.call('xai_is_uuid', { p: 'x' });
  }

  async close(): Promise<void> {
    await this.#client.removeAllChannels();
  }
}
