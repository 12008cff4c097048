/**
 * No PostgREST server can be installed here, so the Supabase adapter is tested through a
 * `fetch` that serves PostgREST's RPC endpoint from the real Postgres functions: `POST
 * /rest/v1/rpc/<fn>` with a JSON body of named arguments, the function's jsonb result as the
 * response body, and PostgREST's error shape ({code, message, details, hint}) and statuses.
 */
import postgres from 'postgres';
import { encodeValues } from '../../src/metadata/postgres-caller.ts';
import { functionCallSql } from '../../src/metadata/sql-caller.ts';

/** PostgREST's mapping of SQLSTATEs to HTTP statuses (the subset these functions can raise). */
function statusFor(code: string): number {
  if (code === '23505' || code === '23503') return 409;
  if (code.startsWith('08') || code === '57P01' || code === '53300') return 503;
  if (code === '42883') return 404;
  if (code.startsWith('22') || code.startsWith('23') || code === 'P0001') return 400;
  return 500;
}

export interface PostgrestBridge {
  fetch: typeof fetch;
  /** Every RPC body seen, to check that the adapter sends named arguments. */
  calls: Array<{ fn: string; body: Record<string, unknown>; apikey: string | null }>;
  close(): Promise<void>;
}

export function postgrestBridge(databaseUrl: string): PostgrestBridge {
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  const calls: PostgrestBridge['calls'] = [];
  const bridgeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const match = /^\/rest\/v1\/rpc\/([a-z_][a-z0-9_]*)$/.exec(url.pathname);
    if (request.method !== 'POST' || !match?.[1]) {
      return Response.json(
        { code: 'PGRST000', message: `bridge serves only POST /rest/v1/rpc/<fn>, not ${request.method} ${url.pathname}` },
        { status: 404 },
      );
    }
    const body = (await request.json()) as Record<string, unknown>;
    calls.push({ fn: match[1], body, apikey: request.headers.get('apikey') });
    const { text, values } = functionCallSql(match[1], body as never);
    try {
      const rows = await sql.unsafe(text, encodeValues(sql, values));
      return new Response(JSON.stringify(rows[0]?.result ?? null), {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
    } catch (error) {
      const pg = error as { code?: string; message?: string; detail?: string; hint?: string };
      const code = pg.code ?? 'PGRST001';
      return Response.json(
        { code, message: pg.message ?? 'error', details: pg.detail ?? null, hint: pg.hint ?? null },
        { status: /^[0-9A-Z]{5}$/.test(code) ? statusFor(code) : 503 },
      );
    }
  };
  return {
    fetch: bridgeFetch as typeof fetch,
    calls,
    async close() {
      await sql.end();
    },
  };
}
