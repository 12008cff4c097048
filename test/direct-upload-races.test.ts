/**
 * Direct uploads under hostile timing and sizes, on both stores over real sockets: completes that
 * overlap (a client retrying after a timeout), a DELETE racing a complete, part URLs sent more
 * bytes than they were signed for, and one caller trying to hold every upload slot. Every check
 * looks at what was stored: the bytes behind the download link, objects, open multipart uploads
 * and rows.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { UploadSession } from '../client/index.ts';
import { MAX_ATTEMPTS } from '../src/direct-uploads/verifier.ts';
import { type Backend, buildForTwoUsers, startApp, type TestApp } from './support/app.ts';
import { eventually, expectProblem, snapshot } from './support/checks.ts';
import { digestResponse, patternFile, type TestFile } from './support/data.ts';
import { upload as formUpload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

async function post(app: TestApp, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${app.baseUrl}${url}`, {
    method: 'POST',
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function bytesOf(content: TestFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of content.chunks()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const linkOf = (app: TestApp, url: string) => (url.startsWith('/') ? `${app.baseUrl}${url}` : url);

/** Opens a session for `content` and sends every part; the session, not yet completed. */
async function uploadedSession(app: TestApp, dataset: string, path: string, content: TestFile): Promise<UploadSession> {
  const opened = await post(app, '/uploads', {
    target: { type: 'dataset-file', dataset, path },
    size: content.size,
    partSize: 5 * MiB,
  });
  assert.equal(opened.status, 201, await opened.clone().text());
  const session = (await opened.json()) as UploadSession;
  const whole = await bytesOf(content);
  for (const part of session.parts ?? []) {
    const body = whole.subarray((part.partNumber - 1) * session.partSize, part.partNumber * session.partSize);
    const response = await fetch(linkOf(app, part.url), {
      method: 'PUT',
      body: body as Buffer<ArrayBuffer>,
      headers: part.headers,
    });
    assert.equal(response.status, 200, await response.text());
  }
  return session;
}

async function finalState(app: TestApp, id: string): Promise<UploadSession> {
  let session: UploadSession | undefined;
  await eventually(async () => {
    session = (await (await fetch(`${app.baseUrl}/uploads/${id}`)).json()) as UploadSession;
    assert.ok(['ready', 'failed', 'aborted'].includes(session.state), `still ${session.state}`);
  }, 30_000);
  return session as UploadSession;
}

async function storedDigest(app: TestApp, dataset: string, path: string) {
  const record = (await (await fetch(`${app.baseUrl}/datasets/${dataset}`)).json()) as {
    files: Array<{ id: string; path: string; sha256: string }>;
  };
  const file = record.files.find((entry) => entry.path === path);
  assert.ok(file, `${path} is in the dataset`);
  const link = (await (await fetch(`${app.baseUrl}/datasets/${dataset}/files/${file.id}/download`)).json()) as { url: string };
  return { recorded: file.sha256, ...(await digestResponse(await fetch(linkOf(app, link.url)))) };
}

function raceSuite(backend: Backend) {
  describe(`direct-upload races on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ backend, env: { VERIFY_LEASE_SECONDS: '5' } });
      const created = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'races' }]);
      assert.equal(created.status, 201);
    });
    after(() => app?.close());

    test('overlapping completes assemble once: both answer the same session, and the stored bytes are the file', async () => {
      for (let round = 0; round < 4; round += 1) {
        const content = patternFile(11 * MiB + round);
        const path = `overlap/${round}.csv`;
        const session = await uploadedSession(app, 'races', path, content);
        // No declared SHA-256: a corrupted assembly would pass verification silently.
        const answers = await Promise.all([1, 2, 3].map(() => post(app, `/uploads/${session.id}/complete`)));
        for (const answer of answers) {
          assert.equal(answer.status, 202, await answer.clone().text());
          const body = (await answer.json()) as UploadSession;
          assert.equal(body.id, session.id);
          assert.ok(['verifying', 'ready'].includes(body.state), `answered ${body.state}`);
        }
        assert.equal((await finalState(app, session.id)).state, 'ready');
        const stored = await storedDigest(app, 'races', path);
        assert.equal(stored.size, content.size);
        assert.equal(stored.sha256, content.sha256, 'the bytes behind the link are the file');
        assert.equal(stored.recorded, content.sha256);
      }
      assert.equal(await app.incompleteUploads(), 0, 'no multipart upload or assembly left');
    });

    test('overlapping completes of an upload missing a part: each answers 409 upload_incomplete, and the session stays open', async () => {
      const content = patternFile(11 * MiB);
      const opened = await post(app, '/uploads', {
        target: { type: 'dataset-file', dataset: 'races', path: 'overlap/missing.csv' },
        size: content.size,
        partSize: 5 * MiB,
      });
      const session = (await opened.json()) as UploadSession;
      const whole = await bytesOf(content);
      const first = session.parts?.[0];
      assert.ok(first);
      assert.equal(
        (await fetch(linkOf(app, first.url), { method: 'PUT', body: whole.subarray(0, 5 * MiB) as Buffer<ArrayBuffer> })).status,
        200,
      );
      const answers = await Promise.all([1, 2, 3].map(() => post(app, `/uploads/${session.id}/complete`)));
      for (const answer of answers) {
        const problem = await expectProblem(answer, 409, 'upload_incomplete');
        assert.deepEqual(problem.missingParts, [2, 3]);
      }
      const still = (await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession;
      assert.equal(still.state, 'uploading', 'the lease is released: the client may send the parts and complete again');
      assert.equal((await fetch(`${app.baseUrl}/uploads/${session.id}`, { method: 'DELETE' })).status, 204);
    });

    test('DELETE racing complete: the delete wins (nothing left, complete 409) or loses (409 upload_verifying), never both', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 6; round += 1) {
        const before = await snapshot(app);
        const content = patternFile(11 * MiB + round);
        const path = `delete-race/${round}.csv`;
        const session = await uploadedSession(app, 'races', path, content);
        const [completed, deleted] = await Promise.all([
          post(app, `/uploads/${session.id}/complete`),
          // A little later, so that some rounds land while the parts are being assembled.
          new Promise((resolve) => setTimeout(resolve, round * 3)).then(() =>
            fetch(`${app.baseUrl}/uploads/${session.id}`, { method: 'DELETE' }),
          ),
        ]);
        if (deleted.status === 204) {
          outcomes.add('delete won');
          await expectProblem(completed, 409, 'upload_not_open');
          await eventually(async () => assert.deepEqual(await snapshot(app), before, 'no row, object or part left'));
        } else {
          outcomes.add('complete won');
          await expectProblem(deleted, 409, 'upload_verifying');
          assert.equal(completed.status, 202);
          assert.equal((await finalState(app, session.id)).state, 'ready');
          assert.equal((await storedDigest(app, 'races', path)).sha256, content.sha256);
        }
      }
      assert.ok(outcomes.size > 0);
    });

    test('a verification claimed too often (its attempts killed their process) ends failed, leaving nothing', async () => {
      const before = await snapshot(app);
      const content = patternFile(6 * MiB);
      const session = await uploadedSession(app, 'races', 'crash-loop/a.csv', content);
      // As if MAX_ATTEMPTS earlier claims had each died with their process mid-verification.
      await app.sql('update upload_sessions set attempts = $1 where id = $2', [MAX_ATTEMPTS, session.id]);
      assert.equal((await post(app, `/uploads/${session.id}/complete`)).status, 202);
      const ended = await finalState(app, session.id);
      assert.equal(ended.state, 'failed');
      assert.match(String(ended.problem?.detail), /attempts were interrupted/);
      await eventually(async () => assert.deepEqual(await snapshot(app), before, 'no row, object or part left'));
    });

    test('a part URL takes no more than its part: 413 file_too_large (filesystem) or refused by the store, nothing kept', async () => {
      const before = await snapshot(app);
      const opened = await post(app, '/uploads', {
        target: { type: 'dataset-file', dataset: 'races', path: 'tiny.csv' },
        size: 10,
      });
      const session = (await opened.json()) as UploadSession;
      const part = session.parts?.[0];
      assert.ok(part);
      for (const size of [11, 2 * MiB, 16 * MiB]) {
        const response = await fetch(linkOf(app, part.url), {
          method: 'PUT',
          body: Buffer.alloc(size, 1),
          headers: part.headers,
        });
        if (backend === 'embedded') await expectProblem(response, 413, 'file_too_large');
        else assert.ok(response.status === 400 || response.status === 403, `the store refused ${size} bytes: ${response.status}`);
      }
      const state = (await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession;
      assert.deepEqual(state.uploadedParts, [], 'no part stored');
      assert.equal((await fetch(`${app.baseUrl}/uploads/${session.id}`, { method: 'DELETE' })).status, 204);
      assert.deepEqual(await snapshot(app), before);
    });
  });
}

raceSuite('embedded');
raceSuite('s3-postgres');

describe('one caller cannot hold every upload slot', () => {
  test('open sessions are capped per caller (429 too_many_uploads, nothing reserved); others still open theirs', async (t) => {
    const { app, alice, bob } = await buildForTwoUsers(t, { UPLOAD_SESSIONS_PER_CALLER: '2' });
    const datasets = new Map([
      [alice.key, 'sessions-alice'],
      [bob.key, 'sessions-bob'],
    ]);
    for (const [key, name] of datasets) {
      const created = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: name }], {
        headers: { 'x-api-key': key },
      });
      assert.equal(created.status, 201);
    }
    const open = (who: { key: string }, path: string) =>
      post(
        app,
        '/uploads',
        { target: { type: 'dataset-file', dataset: datasets.get(who.key), path }, size: 10 },
        { 'x-api-key': who.key },
      );
    assert.equal((await open(alice, 'a.csv')).status, 201);
    assert.equal((await open(alice, 'b.csv')).status, 201);
    const before = await snapshot(app);
    await expectProblem(await open(alice, 'c.csv'), 429, 'too_many_uploads');
    assert.deepEqual(await snapshot(app), before, 'the refused session reserved nothing');
    assert.equal((await open(bob, 'a.csv')).status, 201, 'another caller is not affected');
  });

  test("signed part PUTs count against their session owner's upload cap, not per upload", async (t) => {
    const { app, alice, bob } = await buildForTwoUsers(t, {
      UPLOAD_CONCURRENCY_PER_CALLER: '2',
      UPLOAD_IDLE_TIMEOUT_SECONDS: '0',
    });
    const partUrls: Record<string, string[]> = { alice: [], bob: [] };
    for (const [name, who] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const dataset = `parts-${name}`;
      const created = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: dataset }], {
        headers: { 'x-api-key': who.key },
      });
      assert.equal(created.status, 201);
      for (let index = 0; index < 3; index += 1) {
        const opened = await post(
          app,
          '/uploads',
          { target: { type: 'dataset-file', dataset, path: `p${index}.csv` }, size: 1 * MiB },
          { 'x-api-key': who.key },
        );
        assert.equal(opened.status, 201);
        partUrls[name]?.push(linkOf(app, ((await opened.json()) as UploadSession).parts?.[0]?.url ?? ''));
      }
    }
    // Alice holds two part PUTs open (three sessions, one part each): her third is refused.
    const held: http.ClientRequest[] = [];
    const hold = (url: string) => {
      const request = http.request(url, { method: 'PUT', headers: { 'content-length': String(1 * MiB) } });
      request.on('error', () => {});
      request.write(Buffer.alloc(1024));
      held.push(request);
    };
    hold(partUrls.alice?.[0] ?? '');
    hold(partUrls.alice?.[1] ?? '');
    await eventually(async () => assert.equal(app.services.uploads.size, 2));
    await expectProblem(
      await fetch(partUrls.alice?.[2] ?? '', { method: 'PUT', body: Buffer.alloc(1 * MiB) }),
      429,
      'too_many_uploads',
    );
    // Bob's parts still go through: the slots are Alice's, not the server's.
    const bobs = await fetch(partUrls.bob?.[0] ?? '', { method: 'PUT', body: Buffer.alloc(1 * MiB) });
    assert.equal(bobs.status, 200, await bobs.text());
    for (const request of held) request.destroy();
    await eventually(async () => assert.equal(app.services.uploads.size, 0));
  });

  test('a forged owner on a part link is refused before it counts against anyone', async (t) => {
    const app = await startApp({ backend: 'embedded' });
    t.after(() => app.close());
    const created = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'forged' }]);
    assert.equal(created.status, 201);
    const opened = await post(app, '/uploads', { target: { type: 'dataset-file', dataset: 'forged', path: 'a.csv' }, size: 10 });
    const url = new URL(linkOf(app, ((await opened.json()) as UploadSession).parts?.[0]?.url ?? ''));
    url.searchParams.set('owner', 'someone-else');
    await expectProblem(await fetch(url, { method: 'PUT', body: Buffer.alloc(10) }), 403, 'part_link_invalid');
    assert.equal(app.services.uploads.size, 0);
  });
});
