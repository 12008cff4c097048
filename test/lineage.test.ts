/**
 * Exact lineage over a real socket, on the embedded default (filesystem + PGlite) and on the S3
 * test server + Postgres: dataset versions and their digests (recomputed here from the bytes
 * fetched through the snapshot's links), pinned models and explanations, lineage answers, and
 * aliases with their history. Owner isolation on every route with two API keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createArtifactClient } from '../client/index.ts';
import { appFor, type Backend, buildForTwoUsers } from './support/app.ts';
import { answer, expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, digestResponse } from './support/data.ts';
import { manifestDigest } from './support/manifest.ts';
import { field, file, type Part, upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

interface VersionFile {
  id: string;
  path: string;
  size: number;
  sha256: string;
  url?: string;
  expiresAt?: string;
}
interface DatasetVersion {
  version: number;
  digest: string;
  fileCount: number;
  size: number;
  aliases: string[];
  files?: VersionFile[];
}
interface Pinned {
  id: string;
  name: string;
  version: number | null;
  digest: string | null;
}
interface Versioned {
  id: string;
  version: number;
  dataset: Pinned;
}

const json = answer;

function lineageSuite(backend: Backend) {
  describe(`exact lineage on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend });

    const url = (path: string) => `${app.baseUrl}${path}`;
    const get = <T>(path: string, status = 200) => fetch(url(path)).then((response) => json<T>(response, status));
    const put = (path: string, body: unknown) =>
      fetch(url(path), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    /** Every file of a version through its links: the bytes' SHA-256 and size, and the digest recomputed from them. */
    async function fetchSnapshot(dataset: string, ref: string) {
      const version = await get<DatasetVersion>(`/datasets/${dataset}/versions/${ref}?links=true&expiresIn=60`);
      const fetched = [];
      for (const item of version.files ?? []) {
        assert.ok(item.url && item.expiresAt, 'each file has a link');
        const response = await fetch(item.url);
        assert.equal(response.status, 200);
        const { sha256, size } = await digestResponse(response);
        assert.deepEqual([sha256, size], [item.sha256, item.size], `${item.path}: the bytes the manifest names`);
        fetched.push({ path: item.path, sha256, size });
      }
      return { version, recomputed: manifestDigest(fetched) };
    }

    test('every change makes one immutable version; an overwritten file stays downloadable, byte-identical', async () => {
      const a1 = bufferFile('a,b\n1,2\n');
      const b1 = bufferFile('x\n1\n');
      const a2 = bufferFile('a,b\n3,4\n5,6\n');
      const created = await json<{ id: string; version: number; digest: string }>(
        await upload(url('/datasets'), [field('name', 'german-credit'), file('raw/a.csv', a1), file('raw/ä b.csv', b1)]),
        201,
      );
      assert.equal(created.version, 1);
      const v1 = await fetchSnapshot('german-credit', '1');
      assert.equal(v1.version.digest, v1.recomputed, 'digest = SHA-256 of the canonical manifest of the bytes');
      assert.equal(created.digest, v1.recomputed);
      assert.equal(v1.version.fileCount, 2);
      assert.equal(v1.version.size, a1.size + b1.size);

      const overwritten = await json<{ version: number; digest: string; files: VersionFile[] }>(
        await upload(url('/datasets/german-credit/files?overwrite=true'), [file('raw/a.csv', a2)]),
        201,
      );
      assert.equal(overwritten.version, 2);
      const v2 = await fetchSnapshot('german-credit', 'latest');
      assert.equal(v2.version.version, 2);
      assert.equal(v2.version.digest, v2.recomputed);
      assert.equal(overwritten.digest, v2.recomputed);
      // v1 is unchanged: same digest, same files, bytes still there.
      const again = await fetchSnapshot('german-credit', '1');
      assert.equal(again.version.digest, v1.version.digest);
      assert.deepEqual(
        again.version.files?.map((item) => item.id),
        v1.version.files?.map((item) => item.id),
      );

      const removed = v2.version.files?.find((item) => item.path === 'raw/ä b.csv');
      assert.ok(removed);
      assert.equal((await fetch(url(`/datasets/german-credit/files/${removed.id}`), { method: 'DELETE' })).status, 204);
      const v3 = await fetchSnapshot('german-credit', '3');
      assert.deepEqual(
        v3.version.files?.map((item) => item.path),
        ['raw/a.csv'],
      );
      assert.equal(v3.version.digest, v3.recomputed);
      // Its bytes stay for versions 1 and 2.
      assert.equal((await fetchSnapshot('german-credit', '2')).version.fileCount, 2);

      const page1 = await get<{ items: DatasetVersion[]; nextCursor: string | null }>('/datasets/german-credit/versions?limit=2');
      assert.deepEqual(
        page1.items.map((item) => item.version),
        [3, 2],
      );
      assert.equal(page1.items[0]?.files, undefined, 'a list has no files');
      assert.ok(page1.nextCursor);
      const page2 = await get<{ items: DatasetVersion[]; nextCursor: string | null }>(
        `/datasets/german-credit/versions?limit=2&cursor=${page1.nextCursor}`,
      );
      assert.deepEqual([page2.items.map((item) => item.version), page2.nextCursor], [[1], null]);
      await expectProblem(await fetch(url('/datasets/german-credit/versions?cursor=bad')), 400, 'invalid_cursor');
      await expectProblem(await fetch(url('/datasets/german-credit/versions/4')), 404, 'dataset_version_not_found');
      await expectProblem(await fetch(url('/datasets/german-credit/versions/Bad!')), 400, 'invalid_version');
      // Pruning: the latest version is refused; version 1 goes with the bytes only it held (the
      // first raw/a.csv), versions 2 and 3 keep theirs and their digests.
      const del = (path: string) => fetch(url(path), { method: 'DELETE' });
      await expectProblem(await del('/datasets/german-credit/versions/3'), 409, 'version_in_use');
      await expectProblem(await del('/datasets/german-credit/versions/latest'), 400, 'validation_failed');
      const keysBefore = await app.objectKeys();
      assert.equal((await del('/datasets/german-credit/versions/1')).status, 204);
      assert.equal((await app.objectKeys()).length, keysBefore.length - 1);
      await expectProblem(await fetch(url('/datasets/german-credit/versions/1')), 404, 'dataset_version_not_found');
      await expectProblem(
        await fetch(url(`/datasets/german-credit/files/${v1.version.files?.find((f) => f.path === 'raw/a.csv')?.id}/download`)),
        404,
        'file_not_found',
      );
      assert.equal((await fetchSnapshot('german-credit', '2')).version.digest, v2.version.digest);
      await expectProblem(await del('/datasets/german-credit/versions/1'), 404, 'dataset_version_not_found');
      assert.equal((await fetch(url('/datasets/german-credit'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), [], 'deleting the dataset deletes every version and its objects');
    });

    test('20 concurrent uploads to one dataset: versions 1..20, disjoint and complete manifests', async () => {
      assert.equal((await upload(url('/datasets'), [field('name', 'busy')])).status, 201);
      assert.equal((await get<{ version: number | null }>('/datasets/busy')).version, null, 'no file, no version');
      const files = Array.from({ length: 20 }, (_, n) => bufferFile(`n,v\n${n},${'x'.repeat(n)}\n`));
      const answers = await Promise.all(
        files.map((content, n) => upload(url('/datasets/busy/files'), [file(`part-${String(n).padStart(2, '0')}.csv`, content)])),
      );
      for (const answer of answers) assert.equal(answer.status, 201);
      const versions = await get<{ items: DatasetVersion[] }>('/datasets/busy/versions?limit=100');
      assert.deepEqual(
        versions.items.map((item) => item.version),
        Array.from({ length: 20 }, (_, n) => 20 - n),
      );
      let before: string[] = [];
      for (let k = 1; k <= 20; k += 1) {
        const { version, recomputed } = await fetchSnapshot('busy', String(k));
        const paths = (version.files ?? []).map((item) => item.path);
        assert.equal(paths.length, k);
        assert.ok(
          before.every((path) => paths.includes(path)),
          `version ${k} keeps what ${k - 1} had`,
        );
        assert.equal(version.digest, recomputed);
        before = paths;
      }
      assert.equal((await fetch(url('/datasets/busy'), { method: 'DELETE' })).status, 204);
    });

    test('models and explanations pin a dataset version; lineage in one call each; a pinned version keeps its bytes', async () => {
      const first = bufferFile('f,label\n1,0\n');
      await json(await upload(url('/datasets'), [field('name', 'credit'), file('train.csv', first)]), 201);
      const model = (fields: Part[]) =>
        upload(url('/models'), [
          field('dataset', 'credit'),
          field('name', 'rf'),
          ...fields,
          file('model.json', bufferFile('{}')),
        ]);
      const v1Model = await json<Versioned>(await model([]), 201);
      assert.deepEqual([v1Model.dataset.name, v1Model.dataset.version], ['credit', 1]);
      const v1Digest = (await get<DatasetVersion>('/datasets/credit/versions/1')).digest;
      assert.equal(v1Model.dataset.digest, v1Digest);

      await json(
        await upload(url('/datasets/credit/files?overwrite=true'), [file('train.csv', bufferFile('f,label\n2,1\n'))]),
        201,
      );
      const latestModel = await json<Versioned>(await model([]), 201);
      assert.equal(latestModel.dataset.version, 2, 'default: the latest at upload time');
      const before = await snapshot(app);
      await expectProblem(await model([field('datasetVersion', '9')]), 404, 'dataset_version_not_found');
      await expectProblem(await model([field('datasetVersion', 'nope')]), 404, 'dataset_version_not_found');
      assert.deepEqual(await snapshot(app), before, 'a refused upload stores nothing');
      assert.equal((await json<Versioned>(await put('/datasets/credit/aliases/training', { version: 1 }))).version, 1);
      const pinnedByAlias = await json<Versioned>(await model([field('datasetVersion', 'training')]), 201);
      assert.equal(pinnedByAlias.dataset.version, 1, 'an alias is recorded as its number');
      // A direct upload's target takes the version as a JSON number.
      const direct = createArtifactClient({ baseUrl: app.baseUrl });
      const target = { type: 'model', dataset: 'credit', name: 'direct', filename: 'm.json' } as const;
      const directModel = (await direct.uploadDirect(new Blob(['{"direct":1}']), { ...target, datasetVersion: 1 }))
        .result as unknown as Versioned;
      assert.deepEqual([directModel.dataset.version, directModel.dataset.digest], [1, v1Digest]);
      await assert.rejects(direct.uploadDirect(new Blob(['{}']), { ...target, datasetVersion: 5 }), /no version 5/);

      const explanation = await json<Versioned & { model: { id: string } }>(
        await upload(url('/explanations'), [
          field('model', v1Model.id),
          field('method', 'shap'),
          file('shap.csv', bufferFile('f\n0.1\n')),
        ]),
        201,
      );
      assert.equal(explanation.dataset.version, 1, "default: the model's dataset version");
      const explainsV2 = await json<Versioned>(
        await upload(url('/explanations'), [
          field('model', v1Model.id),
          field('method', 'lime'),
          field('datasetVersion', '2'),
          file('lime.json', bufferFile('{}')),
        ]),
        201,
      );
      assert.equal(explainsV2.dataset.version, 2);
      assert.equal((await get<Versioned>(`/explanations/${explanation.id}`)).dataset.digest, v1Digest);

      const versionLineage = await get<{ dataset: Pinned; models: Versioned[]; explanations: Versioned[] }>(
        '/datasets/credit/versions/training/lineage',
      );
      assert.deepEqual(versionLineage.dataset.version, 1);
      assert.deepEqual(
        versionLineage.models.map((item) => item.id).sort(),
        [v1Model.id, pinnedByAlias.id, directModel.id].sort(),
      );
      assert.deepEqual(
        versionLineage.explanations.map((item) => item.id),
        [explanation.id],
      );
      const modelLineage = await get<{ dataset: Pinned & { files: VersionFile[] }; explanations: Versioned[] }>(
        `/models/${v1Model.id}/lineage`,
      );
      assert.deepEqual([modelLineage.dataset.version, modelLineage.dataset.digest], [1, v1Digest]);
      assert.deepEqual(
        modelLineage.dataset.files.map((item) => item.sha256),
        [first.sha256],
      );
      assert.deepEqual(modelLineage.explanations.map((item) => item.id).sort(), [explanation.id, explainsV2.id].sort());

      const filtered = await get<{ items: Versioned[] }>('/models?dataset=credit&datasetVersion=1');
      assert.deepEqual(filtered.items.map((item) => item.id).sort(), [v1Model.id, pinnedByAlias.id, directModel.id].sort());
      assert.deepEqual(
        (await get<{ items: Versioned[] }>('/models?dataset=credit&datasetVersion=latest')).items.map((i) => i.id),
        [latestModel.id],
      );
      assert.deepEqual(
        (await get<{ items: Versioned[] }>('/explanations?dataset=credit&datasetVersion=2')).items.map((i) => i.id),
        [explainsV2.id],
      );
      assert.deepEqual((await get<{ items: Versioned[] }>('/models?dataset=credit&datasetVersion=77')).items, []);

      // No operation but a cascade delete removes a pinned version's bytes.
      const current = await get<{ files: VersionFile[] }>('/datasets/credit');
      assert.equal((await fetch(url(`/datasets/credit/files/${current.files[0]?.id}`), { method: 'DELETE' })).status, 204);
      await expectProblem(await fetch(url('/datasets/credit'), { method: 'DELETE' }), 409, 'dataset_in_use');
      await expectProblem(await fetch(url('/datasets/credit/versions/1'), { method: 'DELETE' }), 409, 'version_in_use');
      const pinned = await get<DatasetVersion>('/datasets/credit/versions/1?links=true');
      const bytes = await fetch(pinned.files?.[0]?.url ?? '');
      assert.equal((await digestResponse(bytes)).sha256, first.sha256);
      assert.equal((await fetch(url('/datasets/credit?cascade=true'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
    });

    test('model and dataset aliases: set, move, resolve wherever a version is accepted, with a full history', async () => {
      await json(await upload(url('/datasets'), [field('name', 'fraud'), file('a.csv', bufferFile('a\n1\n'))]), 201);
      const models: Versioned[] = [];
      for (let n = 0; n < 3; n += 1) {
        models.push(
          await json<Versioned>(
            await upload(url('/models'), [
              field('dataset', 'fraud'),
              field('name', 'xgb'),
              file('m.json', bufferFile(`{"n":${n}}`)),
            ]),
            201,
          ),
        );
      }
      const aliasPath = '/datasets/fraud/models/xgb/aliases/production';
      await expectProblem(await fetch(url(aliasPath)), 404, 'alias_not_found');
      const set = await json<{ alias: string; version: number; modelId: string; updatedAt: string }>(
        await put(aliasPath, { version: 1 }),
      );
      assert.deepEqual([set.alias, set.version, set.modelId], ['production', 1, models[0]?.id]);
      const aliased = await get<Versioned & { aliases: string[] }>('/datasets/fraud/models/xgb/production');
      assert.deepEqual([aliased.id, aliased.aliases], [models[0]?.id, ['production']]);
      assert.equal((await get<Versioned>('/datasets/fraud/models/xgb/2')).id, models[1]?.id);
      assert.equal((await get<Versioned>('/datasets/fraud/models/xgb/latest')).id, models[2]?.id);
      const beforeMoves = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));

      // Concurrent moves: each recorded, in order; the alias ends on the last recorded.
      const moves = await Promise.all([2, 3, 2, 3].map((version) => put(aliasPath, { version })));
      for (const move of moves) assert.equal(move.status, 200);
      const history = await get<{
        items: Array<{ version: number | null; previousVersion: number | null; by: string; at: string }>;
      }>(`${aliasPath}/history?limit=100`);
      const events = [...history.items].reverse();
      assert.deepEqual(events[0], { ...events[0], version: 1, previousVersion: null, by: 'local' });
      for (let n = 1; n < events.length; n += 1) assert.equal(events[n]?.previousVersion, events[n - 1]?.version);
      const now = await get<{ version: number }>(aliasPath);
      assert.equal(now.version, history.items[0]?.version);
      // "What was production then?" in one call.
      const then = await get<{ items: Array<{ version: number }> }>(`${aliasPath}/history?at=${beforeMoves}&limit=1`);
      assert.equal(then.items[0]?.version, 1);

      await expectProblem(await put(aliasPath, { version: 9 }), 404, 'model_not_found');
      await expectProblem(await put('/datasets/fraud/models/xgb/aliases/latest', { version: 1 }), 400, 'invalid_alias');
      await expectProblem(await put('/datasets/fraud/models/xgb/aliases/Prod', { version: 1 }), 400, 'invalid_alias');
      await expectProblem(await put('/datasets/fraud/models/xgb/aliases/1abc', { version: 1 }), 400, 'invalid_alias');
      await expectProblem(
        await put(`/datasets/fraud/models/xgb/aliases/${'a'.repeat(65)}`, { version: 1 }),
        400,
        'invalid_alias',
      );
      await expectProblem(await put(aliasPath, { version: 'two' }), 400, 'validation_failed');

      // Deleting the version an alias names removes the alias, and says so in its history.
      const named = now.version;
      const namedModel = models[named - 1];
      assert.ok(namedModel);
      assert.equal((await fetch(url(`/models/${namedModel.id}`), { method: 'DELETE' })).status, 204);
      await expectProblem(await fetch(url(aliasPath)), 404, 'alias_not_found');
      const removal = await get<{ items: Array<{ version: number | null; previousVersion: number }> }>(
        `${aliasPath}/history?limit=1`,
      );
      assert.deepEqual([removal.items[0]?.version, removal.items[0]?.previousVersion], [null, named]);

      const datasetAlias = '/datasets/fraud/aliases/golden';
      const dsSet = await json<{ version: number; digest: string }>(await put(datasetAlias, { version: 1 }));
      assert.equal(dsSet.digest, (await get<DatasetVersion>('/datasets/fraud/versions/1')).digest);
      assert.deepEqual((await get<DatasetVersion>('/datasets/fraud/versions/golden')).aliases, ['golden']);
      await expectProblem(await put(datasetAlias, { version: 2 }), 404, 'dataset_version_not_found');
      assert.equal((await fetch(url(datasetAlias), { method: 'DELETE' })).status, 204);
      await expectProblem(await fetch(url(datasetAlias), { method: 'DELETE' }), 404, 'alias_not_found');
      const dsHistory = await get<{ items: Array<{ version: number | null }> }>(`${datasetAlias}/history`);
      assert.deepEqual(
        dsHistory.items.map((item) => item.version),
        [null, 1],
      );
      assert.equal((await fetch(url('/datasets/fraud?cascade=true'), { method: 'DELETE' })).status, 204);
    });
  });
}

lineageSuite('embedded');
lineageSuite('s3-postgres');

describe('lineage routes belong to their owner', () => {
  test("another owner's dataset versions, lineage and aliases are 404 on every route", async (t) => {
    const { app, alice, bob, as } = await buildForTwoUsers(t);
    const created = await upload(`${app.baseUrl}/datasets`, [field('name', 'private'), file('a.csv', bufferFile('a\n1\n'))], {
      headers: as(alice),
    });
    assert.equal(created.status, 201);
    const model = await json<Versioned>(
      await upload(`${app.baseUrl}/models`, [field('dataset', 'private'), field('name', 'm'), file('m.json', bufferFile('{}'))], {
        headers: as(alice),
      }),
      201,
    );
    const send = (who: { key: string }, method: string, path: string, body?: unknown) =>
      fetch(`${app.baseUrl}${path}`, {
        method,
        headers: { ...as(who), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    assert.equal((await send(alice, 'PUT', '/datasets/private/aliases/gold', { version: 1 })).status, 200);
    assert.equal((await send(alice, 'PUT', '/datasets/private/models/m/aliases/prod', { version: 1 })).status, 200);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/datasets/private/versions'],
      ['GET', '/datasets/private/versions/1?links=true'],
      ['GET', '/datasets/private/versions/gold/lineage'],
      ['DELETE', '/datasets/private/versions/1'],
      ['GET', '/datasets/private/aliases/gold'],
      ['GET', '/datasets/private/aliases/gold/history'],
      ['PUT', '/datasets/private/aliases/gold', { version: 1 }],
      ['DELETE', '/datasets/private/aliases/gold'],
      ['GET', '/datasets/private/models/m/prod'],
      ['GET', '/datasets/private/models/m/aliases/prod'],
      ['GET', '/datasets/private/models/m/aliases/prod/history'],
      ['PUT', '/datasets/private/models/m/aliases/prod', { version: 1 }],
      ['DELETE', '/datasets/private/models/m/aliases/prod'],
    ];
    for (const [method, path, body] of routes) {
      const answer = await send(bob, method, path, body);
      await expectProblem(answer, 404, 'dataset_not_found');
    }
    await expectProblem(await send(bob, 'GET', `/models/${model.id}/lineage`), 404, 'model_not_found');
    assert.deepEqual(
      (await json<{ items: unknown[] }>(await send(bob, 'GET', '/models?dataset=private&datasetVersion=1'))).items,
      [],
    );
    // Alice's aliases are untouched by Bob's attempts.
    assert.equal((await json<{ version: number }>(await send(alice, 'GET', '/datasets/private/aliases/gold'))).version, 1);
    assert.equal(
      (await json<{ version: number }>(await send(alice, 'GET', '/datasets/private/models/m/aliases/prod'))).version,
      1,
    );
  });
});
