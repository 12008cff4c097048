/**
 * Verification is durable: the real server process (R2 settings pointing at s3rver, Postgres)
 * is killed with SIGKILL while it reads a completed direct upload back; a new process takes the
 * job over once the dead one's lease lapses, and the record ends ready with the right bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { createArtifactClient, type UploadSession } from '../client/index.ts';
import { eventually } from './support/checks.ts';
import { digestResponse, patternFile } from './support/data.ts';
import { upload as formUpload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';
import { startServerProcess } from './support/server-process.ts';
import { s3AndPostgres, tempDir } from './support/test-stack.ts';

const MiB = 1024 * 1024;

test('a verification cut short by a crash finishes after a restart', { skip: postgresSkipReason }, async (t) => {
  const { database, env: stack } = await s3AndPostgres(t);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  t.after(() => sql.end());
  const env = { ...stack, DATA_DIR: await tempDir(t, 'xai-verify-restart-'), PORT: '0', VERIFY_LEASE_SECONDS: '2' };
  const first = startServerProcess(env, t);
  const firstUrl = await first.listening();
  assert.equal((await formUpload(`${firstUrl}/datasets`, [{ name: 'name', value: 'crash-test' }])).status, 201);

  const content = patternFile(192 * MiB);
  const chunks: Buffer[] = [];
  for await (const chunk of content.chunks()) chunks.push(chunk);
  let sessionId = '';
  // Once the server accepted the completion (202) and its verifier holds the job (a lease in the
  // database), the process dies in the middle of reading the object back.
  const killingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input).endsWith('/complete') && response.status === 202) {
      for (let waited = 0; waited < 5000; waited += 5) {
        const [row] = await sql<
          Array<{ claimed: boolean }>
        >`select claimed_until is not null as claimed from upload_sessions where id = ${sessionId}`;
        if (row?.claimed) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      first.child.kill('SIGKILL');
    }
    return response;
  };
  const client = createArtifactClient({ baseUrl: firstUrl, fetch: killingFetch });
  await assert.rejects(
    client.uploadDirect(
      new Blob(chunks as Uint8Array<ArrayBuffer>[]),
      { type: 'dataset-file', dataset: 'crash-test', path: 'raw/big.csv' },
      {
        sha256: content.sha256,
        onSession: (id) => {
          sessionId = id;
        },
      },
    ),
  );
  await first.exited;
  const [interrupted] = await sql<Array<{ state: string; claimed: boolean }>>`
    select state, claimed_until is not null as claimed from upload_sessions where id = ${sessionId}`;
  assert.equal(interrupted?.state, 'verifying', 'the process died during the verification');
  assert.equal(interrupted?.claimed, true, 'it held the job: the next process takes it over once the lease lapses');

  const second = startServerProcess(env);
  t.after(() => second.child.kill('SIGKILL'));
  const secondUrl = await second.listening();
  let session: UploadSession | undefined;
  await eventually(async () => {
    session = (await (await fetch(`${secondUrl}/uploads/${sessionId}`)).json()) as UploadSession;
    assert.equal(session.state, 'ready');
  }, 30_000);
  const result = session?.result as unknown as { files: Array<{ id: string; sha256: string; size: number }> } | undefined;
  const file = result?.files[0];
  assert.equal(file?.sha256, content.sha256);
  assert.equal(file?.size, content.size);
  const link = (await (await fetch(`${secondUrl}/datasets/crash-test/files/${file?.id}/download`)).json()) as { url: string };
  assert.equal((await digestResponse(await fetch(link.url))).sha256, content.sha256);
  const [attempts] = await sql<Array<{ attempts: number }>>`select attempts from upload_sessions where id = ${sessionId}`;
  assert.ok((attempts?.attempts ?? 0) >= 2, 'the job was claimed again by the new process');
});
