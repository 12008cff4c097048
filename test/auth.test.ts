/**
 * Authentication and ownership over every route, on both backends: who gets in, who sees
 * what (checked on list results, counts and downloads, not only statuses), rate limits, the
 * loopback-only rule, and that no credential or signature ever reaches a log line.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type Backend, startApp, type TestApp } from './support/app.ts';
import { bufferFile, digestResponse } from './support/data.ts';
import { apiKey, startIdentity, type TestIdentity } from './support/identity.ts';
import { type Part, upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const USER_A = randomUUID();
const USER_B = randomUUID();
const field = (name: string, value: string): Part => ({ name, value });
const file = (filename: string, content: string): Part => ({ name: 'file', filename, file: bufferFile(content) });

interface Route {
  label: string;
  method: string;
  path: string;
  parts?: Part[];
  json?: unknown;
}

function suite(backend: Backend) {
  describe(`authentication and ownership on ${backend}`, {
    skip: backend === 's3-postgres' ? postgresSkipReason : undefined,
  }, () => {
    let identity: TestIdentity;
    let app: TestApp;
    const ciKey = apiKey('ci-job', 'user');
    const adminKey = apiKey('ops', 'admin');
    const ids = { dataset: '', file: '', model: '', explanation: '' };
    let tokenA = '';
    let tokenB = '';

    before(async () => {
      identity = await startIdentity();
      app = await startApp({
        backend,
        env: {
          SUPABASE_URL: identity.supabaseUrl,
          SUPABASE_JWT_SECRET: identity.jwtSecret,
          API_KEYS: `${ciKey.entry}, ${adminKey.entry}`,
          METADATA_BACKEND: 'pglite',
        },
      });
      tokenA = await identity.userToken(USER_A);
      tokenB = await identity.legacyToken(USER_B);
    });
    after(async () => {
      await app?.close();
      await identity?.close();
    });

    const url = (path: string) => `${app.baseUrl}${path}`;
    const as = (token: string | undefined): Record<string, string> =>
      token === undefined ? {} : { authorization: `Bearer ${token}` };

    async function call(route: Route, headers: Record<string, string>): Promise<Response> {
      if (route.parts) return upload(url(route.path), route.parts, { method: route.method, headers });
      return fetch(url(route.path), {
        method: route.method,
        headers: { ...headers, ...(route.json ? { 'content-type': 'application/json' } : {}) },
        body: route.json ? JSON.stringify(route.json) : undefined,
      });
    }

    /** Every route, aimed at user A's records. */
    function routes(): Route[] {
      const { dataset, file: fileId, model, explanation } = ids;
      return [
        { label: 'list datasets', method: 'GET', path: '/datasets' },
        { label: 'create dataset', method: 'POST', path: '/datasets', parts: [field('name', `new-${randomUUID().slice(0, 8)}`)] },
        { label: 'get dataset', method: 'GET', path: `/datasets/${dataset}` },
        { label: 'get dataset by name', method: 'GET', path: '/datasets/credit-a' },
        { label: 'patch dataset', method: 'PATCH', path: `/datasets/${dataset}`, json: { status: 'processed' } },
        { label: 'add files', method: 'POST', path: `/datasets/${dataset}/files`, parts: [file('more.csv', 'x\n')] },
        { label: 'download dataset file', method: 'GET', path: `/datasets/${dataset}/files/${fileId}/download` },
        { label: 'delete dataset file', method: 'DELETE', path: `/datasets/${dataset}/files/${fileId}` },
        { label: 'delete dataset', method: 'DELETE', path: `/datasets/${dataset}?cascade=true` },
        {
          label: 'create model',
          method: 'POST',
          path: '/models',
          parts: [field('dataset', dataset), field('name', 'intruder'), file('m.onnx', 'onnx')],
        },
        { label: 'list models', method: 'GET', path: '/models' },
        { label: 'get model', method: 'GET', path: `/models/${model}` },
        { label: 'latest model', method: 'GET', path: `/datasets/${dataset}/models/xgboost/latest` },
        { label: 'patch model', method: 'PATCH', path: `/models/${model}`, json: { tags: ['x'] } },
        { label: 'download model', method: 'GET', path: `/models/${model}/download` },
        { label: 'delete model', method: 'DELETE', path: `/models/${model}?cascade=true` },
        {
          label: 'create explanation',
          method: 'POST',
          path: '/explanations',
          parts: [field('model', model), field('method', 'shap'), file('s.json', '{}')],
        },
        { label: 'list explanations', method: 'GET', path: '/explanations' },
        { label: 'get explanation', method: 'GET', path: `/explanations/${explanation}` },
        { label: 'patch explanation', method: 'PATCH', path: `/explanations/${explanation}`, json: { tags: ['x'] } },
        { label: 'download explanation', method: 'GET', path: `/explanations/${explanation}/download` },
        { label: 'delete explanation', method: 'DELETE', path: `/explanations/${explanation}` },
      ];
    }

    async function snapshot() {
      return { keys: await app.objectKeys(), rows: await app.rowCounts() };
    }

    test('user A creates a dataset, a model and an explanation', async () => {
      const dataset = await upload(url('/datasets'), [field('name', 'credit-a'), file('train.csv', 'a,b\n1,2\n')], {
        headers: as(tokenA),
      });
      assert.equal(dataset.status, 201);
      const datasetBody = (await dataset.json()) as { id: string; files: Array<{ id: string }> };
      ids.dataset = datasetBody.id;
      ids.file = datasetBody.files[0]?.id ?? '';
      const model = await upload(url('/models'), [field('dataset', 'credit-a'), field('name', 'xgboost'), file('m.json', '{}')], {
        headers: as(tokenA),
      });
      assert.equal(model.status, 201);
      ids.model = ((await model.json()) as { id: string }).id;
      const explanation = await upload(
        url('/explanations'),
        [field('model', ids.model), field('method', 'shap'), file('s.json', '{"a":1}')],
        {
          headers: as(tokenA),
        },
      );
      assert.equal(explanation.status, 201);
      ids.explanation = ((await explanation.json()) as { id: string }).id;
      const rows = await app.sql<{ owner_id: string }>(
        'select owner_id from datasets union all select owner_id from models union all select owner_id from explanations',
      );
      assert.deepEqual(
        rows.map((row) => row.owner_id),
        [USER_A, USER_A, USER_A],
      );
      assert.ok(identity.jwksRequests() >= 1, 'the key set was fetched from the JWKS URL');
    });

    test('no, malformed, expired, forged, unsigned, wrong-audience, wrong-issuer and unsafe-subject credentials get 401 on every route', async () => {
      const now = Math.floor(Date.now() / 1000);
      const credentials: Array<[string, Record<string, string>]> = [
        ['no token', {}],
        ['not a bearer', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
        ['malformed token', as('abc.def.ghi')],
        ['expired token', as(await identity.userToken(USER_A, { exp: now - 60, expiresIn: now - 60 }))],
        ['token from another key', as(await identity.forgedToken(USER_A))],
        ['alg none', as(identity.unsignedToken(USER_A))],
        ['wrong audience', as(await identity.userToken(USER_A, { aud: 'anon' }))],
        ['wrong issuer', as(await identity.userToken(USER_A, { iss: 'https://evil.example/auth/v1' }))],
        ['unknown API key', { 'x-api-key': apiKey('nobody', 'admin').key }],
        // '*' is the admin scope in SQL: a subject must never be able to name it.
        ['subject "*"', as(await identity.userToken('*'))],
        ['subject "*" (HS256)', as(await identity.legacyToken('*'))],
        ['subject with a space', as(await identity.userToken('a b'))],
      ];
      const before = await snapshot();
      for (const [label, headers] of credentials) {
        for (const route of routes()) {
          const response = await call(route, headers);
          const body = (await response.json()) as { code: string };
          assert.equal(response.status, 401, `${label} on ${route.label}: ${JSON.stringify(body)}`);
          assert.equal(body.code, 'unauthenticated');
          assert.equal(response.headers.get('www-authenticate'), 'Bearer');
        }
      }
      assert.deepEqual(await snapshot(), before, 'refused requests changed nothing');
      assert.equal((await fetch(url('/health'))).status, 200, 'health needs no credentials');
      assert.equal((await fetch(url('/ready'))).status, 200, 'readiness needs no credentials');
    });

    test("user B (and a user-role API key) can neither see nor touch A's records: 404, empty lists", async () => {
      const before = await snapshot();
      for (const [label, headers] of [
        ['user B (legacy HS256 token)', as(tokenB)],
        ['ci-job API key', { authorization: `Bearer ${ciKey.key}` }],
      ] as const) {
        for (const route of routes()) {
          const response = await call(route, headers);
          const body = (await response.json()) as { code?: string; items?: unknown[] };
          if (route.label.startsWith('list')) {
            assert.equal(response.status, 200, `${label} ${route.label}`);
            assert.deepEqual(body.items, [], `${label} ${route.label} shows nothing of A's`);
          } else if (route.label === 'create dataset') {
            assert.equal(response.status, 201, `${label} may create datasets of their own`);
          } else {
            assert.equal(response.status, 404, `${label} ${route.label}: ${JSON.stringify(body)}`);
            assert.match(body.code ?? '', /_not_found$/);
          }
        }
      }
      // Only the two new datasets of B and ci-job were added; A's records are intact.
      const after = await snapshot();
      assert.deepEqual(after.keys, before.keys);
      assert.equal(after.rows.datasets, (before.rows.datasets ?? 0) + 2);
      const owners = await app.sql<{ owner_id: string }>(
        "select owner_id from datasets where name like 'new-%' order by owner_id",
      );
      assert.deepEqual(owners.map((row) => row.owner_id).sort(), ['apikey:ci-job', USER_B].sort());
      const seenByA = (await (await fetch(url('/datasets'), { headers: as(tokenA) })).json()) as {
        items: Array<{ name: string }>;
      };
      assert.deepEqual(
        seenByA.items.map((item) => item.name),
        ['credit-a'],
      );
    });

    test('only an admin may run the reconciler through the API; a dry run changes nothing', async () => {
      const before = await snapshot();
      for (const headers of [as(tokenA), { authorization: `Bearer ${ciKey.key}` }]) {
        const refused = await fetch(url('/operations/reconcile'), {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ dryRun: true }),
        });
        assert.equal(refused.status, 403);
        assert.equal(((await refused.json()) as { code: string }).code, 'forbidden');
      }
      const allowed = await fetch(url('/operations/reconcile'), {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ dryRun: true, olderThan: '0s' }),
      });
      assert.equal(allowed.status, 200);
      const report = (await allowed.json()) as { dryRun: boolean; failures: unknown[] };
      assert.equal(report.dryRun, true);
      assert.deepEqual(report.failures, []);
      assert.deepEqual(await snapshot(), before);
    });

    test("A sees and downloads A's records; the admin key sees every owner's", async () => {
      const dataset = (await (await fetch(url(`/datasets/${ids.dataset}`), { headers: as(tokenA) })).json()) as {
        dependants: { models: number; explanations: number };
      };
      assert.deepEqual(dataset.dependants, { models: 1, explanations: 1 });
      const link = (await (
        await fetch(url(`/datasets/credit-a/files/${ids.file}/download`), { headers: as(tokenA) })
      ).json()) as {
        url: string;
        sha256: string;
      };
      const bytes = await fetch(link.url);
      assert.equal((await digestResponse(bytes)).sha256, link.sha256);

      const admin = { authorization: `Bearer ${adminKey.key}` };
      const all = (await (await fetch(url('/datasets?limit=100'), { headers: admin })).json()) as {
        items: Array<{ name: string }>;
      };
      assert.equal(all.items.length, 3, 'A, B and ci-job datasets');
      assert.equal((await fetch(url(`/models/${ids.model}`), { headers: admin })).status, 200);
      assert.equal((await fetch(url(`/explanations/${ids.explanation}/download`), { headers: admin })).status, 200);
      const patched = await fetch(url(`/datasets/${ids.dataset}`), {
        method: 'PATCH',
        headers: { ...admin, 'content-type': 'application/json' },
        body: '{"status":"reviewed"}',
      });
      assert.equal(patched.status, 200);
      // An admin's model on A's dataset belongs to A, the dataset's owner.
      const model = await upload(
        url('/models'),
        [field('dataset', ids.dataset), field('name', 'admin_made'), file('m.onnx', 'o')],
        { headers: admin },
      );
      assert.equal(model.status, 201);
      const [row] = await app.sql<{ owner_id: string }>("select owner_id from models where name = 'admin_made'");
      assert.equal(row?.owner_id, USER_A);
    });
  });
}

suite('embedded');
suite('s3-postgres');

describe('abuse limits', () => {
  test('download URLs have their own per-principal budget: 429 with Retry-After, others unaffected', async (t) => {
    const identity = await startIdentity();
    t.after(() => identity.close());
    const app = await startApp({
      backend: 'embedded',
      env: { SUPABASE_URL: identity.supabaseUrl, METADATA_BACKEND: 'pglite', RATE_LIMIT_DOWNLOADS_PER_MINUTE: '2' },
    });
    t.after(() => app.close());
    const a = { authorization: `Bearer ${await identity.userToken(USER_A)}` };
    const b = { authorization: `Bearer ${await identity.userToken(USER_B)}` };
    const created = (await (
      await upload(`${app.baseUrl}/datasets`, [field('name', 'limited'), file('a.csv', 'a\n')], { headers: a })
    ).json()) as {
      id: string;
      files: Array<{ id: string }>;
    };
    const download = `${app.baseUrl}/datasets/${created.id}/files/${created.files[0]?.id}/download`;
    assert.equal((await fetch(download, { headers: a })).status, 200);
    assert.equal((await fetch(download, { headers: a })).status, 200);
    const limited = await fetch(download, { headers: a });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(((await limited.json()) as { code: string }).code, 'rate_limited');
    assert.equal((await fetch(`${app.baseUrl}/datasets/${created.id}`, { headers: a })).status, 200, 'other routes still answer');
    assert.equal((await fetch(download, { headers: b })).status, 404, "B's budget is B's own (and A's file is not B's)");
  });

  test('without authentication the server only starts on a loopback address', () => {
    assert.throws(
      () => loadConfig({ HOST: '0.0.0.0' }),
      (error: unknown) => error instanceof ConfigError && /refusing to listen on 0\.0\.0\.0/.test(error.message),
    );
    assert.equal(loadConfig({ HOST: '127.0.0.1' }).auth.enabled, false);
    assert.equal(loadConfig({ HOST: '0.0.0.0', API_KEYS: apiKey('job', 'user').entry }).auth.enabled, true);
    assert.throws(() => loadConfig({ API_KEYS: 'job:root:abc' }), /API_KEYS entry 1/);
  });
});

describe('logs', () => {
  test('a whole life cycle logs no token, API key, secret or URL signature', async (t) => {
    const identity = await startIdentity();
    t.after(() => identity.close());
    const key = apiKey('trainer', 'user');
    const app = await startApp({
      backend: 'embedded',
      env: {
        SUPABASE_URL: identity.supabaseUrl,
        SUPABASE_JWT_SECRET: identity.jwtSecret,
        API_KEYS: key.entry,
        METADATA_BACKEND: 'pglite',
        DOWNLOAD_SIGNING_SECRET: 'download-signing-secret-that-must-not-leak-0123456789',
      },
    });
    t.after(() => app.close());
    const token = await identity.userToken(USER_A);
    const headers = { authorization: `Bearer ${token}` };
    const base = app.baseUrl;
    const created = (await (
      await upload(`${base}/datasets`, [field('name', 'logged'), file('a.csv', 'a\n')], { headers })
    ).json()) as {
      id: string;
      files: Array<{ id: string }>;
    };
    const model = (await (
      await upload(`${base}/models`, [field('dataset', 'logged'), field('name', 'm'), file('m.onnx', 'x')], {
        headers: { 'x-api-key': key.key },
      })
    ).json()) as { id?: string };
    assert.equal(model.id, undefined, "the key's owner cannot use A's dataset");
    const link = (await (
      await fetch(`${base}/datasets/${created.id}/files/${created.files[0]?.id}/download`, { headers })
    ).json()) as { url: string };
    assert.equal((await fetch(link.url)).status, 200);
    const tampered = link.url.replace(/signature=[^&]+/, 'signature=AAAA');
    assert.equal((await fetch(tampered)).status, 403);
    await fetch(`${base}/datasets`, { headers: { authorization: `Bearer ${await identity.forgedToken(USER_A)}` } });
    await fetch(`${base}/datasets`, { headers: { authorization: 'Bearer not-a-real-key' } });
    assert.equal((await fetch(`${base}/datasets/logged?cascade=true`, { method: 'DELETE', headers })).status, 204);

    const logs = app.logs.join('');
    assert.match(logs, /request completed/, 'requests were logged');
    assert.match(logs, /signature=\[REDACTED\]/, 'download link requests are logged, signature redacted');
    const signature = new URL(link.url).searchParams.get('signature') ?? '';
    for (const [what, secret] of [
      ['user token', token],
      ['token signature', token.split('.')[2] ?? ''],
      ['API key', key.key],
      ['JWT secret', identity.jwtSecret],
      ['download signing secret', 'download-signing-secret-that-must-not-leak'],
      ['download URL signature', signature],
      ['rejected bearer', 'not-a-real-key'],
    ] as const) {
      assert.ok(secret.length >= 8, what);
      assert.ok(!logs.includes(secret), `${what} appears in the logs`);
    }
  });
});
