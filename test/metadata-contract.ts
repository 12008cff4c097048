/**
 * The metadata contract: MetadataStore over every SqlFunctionCaller (PGlite, a Postgres
 * server, Supabase through the RPC bridge) behaves the same, against real Postgres.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type OwnScope, ownScope } from '../src/domain.ts';
import { AppError, type ErrorCode } from '../src/errors.ts';
import { MetadataStore } from '../src/metadata/metadata-store.ts';
import { checkedRecords } from '../src/metadata/record-checks.ts';
import type { SqlFunctionCaller } from '../src/metadata/sql-caller.ts';
import { manifestDigest } from './support/manifest.ts';

export interface MetadataFixture {
  caller: SqlFunctionCaller;
  close(): Promise<void>;
}

const SHA = 'ab'.repeat(32);

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

export function metadataContract(name: string, setup: () => Promise<MetadataFixture>): void {
  describe(`metadata contract: ${name}`, () => {
    let fixture: MetadataFixture;
    let store: MetadataStore;
    // Each test works as its own owner, so tests never see each other's rows.
    const newOwner = () => ownScope({ id: `owner-${randomUUID()}`, role: 'user' });

    before(async () => {
      fixture = await setup();
      store = new MetadataStore(fixture.caller, { check: checkedRecords });
      await store.check();
    });
    after(() => fixture?.close());

    /** A pending row for a file at `path` of the dataset (new batch and id unless given). */
    function reserveFile(
      owner: OwnScope,
      datasetId: string,
      path: string,
      row: { batchId?: string; id?: string } = {},
      overwrite = false,
    ) {
      const { batchId = randomUUID(), id = randomUUID() } = row;
      return store.datasets.reserveFile({ owner, datasetId, batchId, id, path, contentType: 'text/csv', overwrite });
    }

    /** A pending dataset and pending rows for its files, as an upload reserves them before any byte moves. */
    async function reserveDataset(owner: OwnScope, datasetName: string, paths: string[]) {
      const batchId = randomUUID();
      const dataset = await store.datasets.reserve({
        owner,
        id: randomUUID(),
        name: datasetName,
        description: 'test',
        tags: ['credit', 'tabular'],
        status: null,
        batchId,
      });
      const ids = [];
      for (const path of paths) {
        ids.push((await reserveFile(owner, dataset.id, path, { batchId })).id);
      }
      return { dataset, batchId, ids };
    }

    async function createDataset(owner: OwnScope, datasetName: string, paths: string[] = []) {
      const { dataset, batchId, ids } = await reserveDataset(owner, datasetName, paths);
      const files = ids.map((id) => ({ id, size: 10, sha256: SHA, etag: 'etag' }));
      return { dataset: await store.datasets.finalizeBatch({ owner, by: owner.owner, datasetId: dataset.id, batchId, files }) };
    }

    /** One request's changes to a dataset: files at these paths (as a finalized batch), overwriting when asked. */
    async function changeFiles(
      owner: OwnScope,
      datasetId: string,
      files: Array<{ path: string; sha256?: string; size?: number }>,
      overwrite = false,
    ) {
      const batchId = randomUUID();
      const stored = [];
      for (const file of files) {
        const id = (await reserveFile(owner, datasetId, file.path, { batchId }, overwrite)).id;
        stored.push({ id, size: file.size ?? 10, sha256: file.sha256 ?? SHA, etag: 'e' });
      }
      return store.datasets.finalizeBatch({ owner, by: owner.owner, datasetId, batchId, files: stored });
    }

    test('reserve, finalize and read a dataset with files, by id and by name', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'german-credit', ['raw/a.csv', 'processed/b.csv']);
      assert.equal(dataset.state, 'ready');
      assert.equal(dataset.version, 1);
      assert.equal(
        dataset.digest,
        manifestDigest([
          { path: 'raw/a.csv', sha256: SHA, size: 10 },
          { path: 'processed/b.csv', sha256: SHA, size: 10 },
        ]),
      );
      assert.equal(dataset.fileCount, 2);
      assert.equal(dataset.totalBytes, 20);
      assert.deepEqual(dataset.tags, ['credit', 'tabular']);
      assert.equal(dataset.status, 'raw');
      assert.deepEqual(
        dataset.files?.map((file) => [file.path, file.size, file.sha256, file.state]),
        [
          ['processed/b.csv', 10, SHA, 'ready'],
          ['raw/a.csv', 10, SHA, 'ready'],
        ],
      );
      assert.deepEqual(await store.datasets.get(owner, dataset.id), dataset);
      assert.deepEqual(await store.datasets.get(owner, 'german-credit'), dataset);
    });

    test('a record with its files keeps every character of their paths, and a dataset without files has none', async () => {
      // The files are spliced into the record as JSON text (xai_json_with_field): quotes,
      // backslashes, braces and non-ASCII must come back exactly, through every reader.
      const owner = newOwner();
      const paths = ['raw/say "hi"\\now.csv', 'raw/{braces}, [brackets]: ü€𝄞.csv'];
      const { dataset } = await createDataset(owner, 'odd-paths', paths);
      const sorted = [...paths].sort();
      assert.deepEqual(
        dataset.files?.map((file) => file.path),
        sorted,
      );
      assert.deepEqual(
        (await store.datasets.get(owner, 'odd-paths')).files?.map((file) => file.path),
        sorted,
      );
      const version = await store.datasets.getVersion(owner, dataset.id, '1');
      assert.equal(version.fileCount, 2);
      assert.deepEqual(
        version.files?.map((file) => file.path),
        sorted,
      );
      const empty = (await createDataset(owner, 'no-files')).dataset;
      assert.deepEqual(empty.files, []);
      assert.deepEqual((await store.datasets.get(owner, empty.id)).files, []);
    });

    test('names are unique per owner, not across owners', async () => {
      const owner = newOwner();
      await createDataset(owner, 'give-me-some-credit');
      await rejectsWith(createDataset(owner, 'give-me-some-credit'), 'dataset_exists');
      const other = await createDataset(newOwner(), 'give-me-some-credit');
      assert.equal(other.dataset.name, 'give-me-some-credit');
    });

    test("another owner's dataset does not exist for you", async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'private-set', ['a.csv']);
      const stranger = newOwner();
      await rejectsWith(store.datasets.get(stranger, dataset.id), 'dataset_not_found');
      await rejectsWith(store.datasets.get(stranger, 'private-set'), 'dataset_not_found');
      await rejectsWith(store.datasets.delete(stranger, dataset.id, true), 'dataset_not_found');
      await rejectsWith(store.datasets.getFile(stranger, dataset.id, dataset.files?.[0]?.id ?? ''), 'dataset_not_found');
      assert.deepEqual((await store.datasets.list(stranger, { limit: 10 })).items, []);
    });

    test('two concurrent reservations of one path: exactly one wins', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'race');
      const attempt = () => reserveFile(owner, dataset.id, 'train.csv');
      const results = await Promise.allSettled([attempt(), attempt()]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const failure = results.find((result) => result.status === 'rejected');
      assert.ok(failure?.status === 'rejected' && failure.reason instanceof AppError);
      assert.equal(failure.reason.code, 'upload_in_progress');
    });

    test('an existing path is file_exists; overwrite makes a new version with a new file, the old one kept', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'overwrite-me', ['train.csv']);
      const oldFile = dataset.files?.[0];
      assert.ok(oldFile);
      const reserve = (overwrite: boolean, batchId: string, id: string) =>
        reserveFile(owner, dataset.id, 'train.csv', { batchId, id }, overwrite);
      await rejectsWith(reserve(false, randomUUID(), randomUUID()), 'file_exists');
      const batchId = randomUUID();
      const id = randomUUID();
      await reserve(true, batchId, id);
      // Until finalized, readers still see the old file.
      assert.equal((await store.datasets.get(owner, dataset.id)).files?.[0]?.id, oldFile.id);
      const result = await store.datasets.finalizeBatch({
        owner,
        by: owner.owner,
        datasetId: dataset.id,
        batchId,
        files: [{ id, size: 99, sha256: 'cd'.repeat(32), etag: 'new' }],
      });
      assert.deepEqual(
        result.files?.map((file) => [file.id, file.size]),
        [[id, 99]],
      );
      assert.equal(result.version, 2);
      assert.notEqual(result.files?.[0]?.objectKey, oldFile.objectKey);
      // Version 1 still holds the old file, readable by its id.
      const v1 = await store.datasets.getVersion(owner, dataset.id, '1');
      assert.deepEqual(
        v1.files?.map((file) => [file.id, file.objectKey]),
        [[oldFile.id, oldFile.objectKey]],
      );
      assert.equal((await store.datasets.getFile(owner, dataset.id, oldFile.id)).objectKey, oldFile.objectKey);
      assert.equal((await store.datasets.getVersion(owner, dataset.id, 'latest')).digest, result.digest);
    });

    test('abandoning a batch removes its pending rows and the dataset it created', async () => {
      const owner = newOwner();
      const {
        dataset,
        batchId,
        ids: [id],
      } = await reserveDataset(owner, 'half-done', ['x.csv']);
      // Pending datasets are invisible.
      await rejectsWith(store.datasets.get(owner, 'half-done'), 'dataset_not_found');
      assert.deepEqual((await store.datasets.list(owner, { limit: 10 })).items, []);
      const { deletedKeys } = await store.datasets.abandonBatch({ owner, datasetId: dataset.id, batchId });
      assert.deepEqual(deletedKeys, [`datasets/half-done/${id}/x.csv`]);
      // The name is free again.
      const again = await createDataset(owner, 'half-done');
      assert.equal(again.dataset.state, 'ready');
    });

    test('finalizing after the dataset was deleted is upload_cancelled', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'vanishing');
      const batchId = randomUUID();
      const id = randomUUID();
      await reserveFile(owner, dataset.id, 'late.csv', { batchId, id });
      await store.datasets.delete(owner, dataset.id, false);
      await rejectsWith(
        store.datasets.finalizeBatch({
          owner,
          by: owner.owner,
          datasetId: dataset.id,
          batchId,
          files: [{ id, size: 1, sha256: SHA, etag: 'e' }],
        }),
        'upload_cancelled',
      );
    });

    test('lists newest first with keyset pagination, filters by tag and name', async () => {
      const owner = newOwner();
      const names = ['set-1', 'set-2', 'set-3', 'set-4', 'set-5'];
      for (const datasetName of names) await createDataset(owner, datasetName);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.datasets.list(owner, { limit: 2, cursor });
        seen.push(...page.items.map((item) => item.name));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...names].reverse());
      assert.deepEqual(
        (await store.datasets.list(owner, { limit: 10, q: 'SET-3' })).items.map((item) => item.name),
        ['set-3'],
      );
      assert.equal((await store.datasets.list(owner, { limit: 10, tag: 'credit' })).items.length, 5);
      assert.equal((await store.datasets.list(owner, { limit: 10, tag: 'images' })).items.length, 0);
      await assert.rejects(store.datasets.list(owner, { limit: 2, cursor: 'not-a-cursor' }), /cursor/);
    });

    test('updates description, tags and status, leaving what the patch omits', async () => {
      const owner = newOwner();
      await createDataset(owner, 'patch-me');
      const updated = await store.datasets.update(owner, 'patch-me', { status: 'processed', tags: ['fraud'] });
      assert.equal(updated.status, 'processed');
      assert.deepEqual(updated.tags, ['fraud']);
      assert.equal(updated.description, 'test');
      const cleared = await store.datasets.update(owner, 'patch-me', { description: null });
      assert.equal(cleared.description, null);
      assert.equal(cleared.status, 'processed');
    });

    test('deleting a file makes a version without it (its bytes kept); deleting the dataset returns every key', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'delete-me', ['a.csv', 'b.csv']);
      const [first, second] = dataset.files ?? [];
      assert.ok(first && second);
      await store.datasets.deleteFile(owner, owner.owner, dataset.id, first.id);
      await rejectsWith(store.datasets.deleteFile(owner, owner.owner, dataset.id, first.id), 'file_not_found');
      const latest = await store.datasets.get(owner, dataset.id);
      assert.deepEqual([latest.version, latest.files?.map((file) => file.id)], [2, [second.id]]);
      assert.equal(latest.digest, manifestDigest([{ path: 'b.csv', sha256: SHA, size: 10 }]));
      // Version 1 still names it, so it stays readable by id.
      assert.equal((await store.datasets.getFile(owner, dataset.id, first.id)).sha256, SHA);
      assert.equal((await store.datasets.getFile(owner, 'delete-me', second.id)).sha256, SHA);
      const { deletedKeys } = await store.datasets.delete(owner, 'delete-me', false);
      assert.deepEqual(deletedKeys.sort(), [first.objectKey, second.objectKey].sort());
      await rejectsWith(store.datasets.get(owner, dataset.id), 'dataset_not_found');
    });

    test('model versions: concurrent reservations of one name get 1..n; latest; explanations need a ready model', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'models-set');
      const reserve = (name: string) => {
        const id = randomUUID();
        return store.models.reserve(owner, id, {
          datasetId: dataset.id,
          name,
          framework: 'xgboost',
          format: 'xgboost-json',
          safeToLoad: true,
          metrics: { auc: 0.9 },
          params: { depth: 3 },
          description: null,
          tags: ['t'],
        });
      };
      /** Reserves a version's files and makes it ready with them; their object keys. */
      const finalize = async <R extends { id: string }>(
        records: typeof store.models | typeof store.explanations,
        version: R,
        paths: string[],
      ): Promise<string[]> => {
        const files = [];
        for (const path of paths) {
          const file = await records.reserveFile(owner, version.id, {
            batchId: randomUUID(),
            id: randomUUID(),
            path,
            contentType: 'application/json',
          });
          files.push(file);
        }
        await records.finalize(
          owner,
          version.id,
          files.map((file) => ({ id: file.id, size: 5, sha256: SHA, etag: 'e' })),
        );
        return files.map((file) => file.objectKey);
      };
      const reserved = await Promise.all(Array.from({ length: 10 }, () => reserve('xgboost')));
      assert.deepEqual(
        reserved.map((model) => model.version).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      const first = reserved.find((model) => model.version === 1);
      assert.ok(first);
      await rejectsWith(store.models.get(owner, first.id), 'model_not_found');
      // Braces in a file name are kept as they are (keys were once templates with {version}).
      const [firstKey] = await finalize(store.models, first, ['model{version}.json']);
      assert.equal(firstKey, `models/models-set/xgboost/v1-${first.id}/model{version}.json`, 'the key the database built');
      const ready = await store.models.get(owner, first.id);
      assert.equal(ready.objectKey, firstKey);
      assert.equal(ready.filename, 'model{version}.json');
      assert.equal(ready.files.length, 1);
      for (const model of reserved.filter((item) => item.version === 2 || item.version === 3)) {
        await finalize(store.models, model, ['a/model.json', 'b/weights.json']);
      }
      const two = await store.models.byRef(owner, 'models-set', 'xgboost', 'latest');
      assert.deepEqual(
        two.files.map((file) => file.path),
        ['a/model.json', 'b/weights.json'],
      );
      assert.equal(two.objectKey, null, 'a version of several files has no single key');
      assert.equal(two.size, 10);
      const secondFile = two.files[1];
      assert.ok(secondFile);
      assert.equal((await store.models.getFile(owner, two.id, secondFile.id)).path, 'b/weights.json');
      await rejectsWith(store.models.getFile(newOwner(), two.id, secondFile.id), 'model_not_found');
      await rejectsWith(store.models.getFile(owner, first.id, secondFile.id), 'file_not_found');
      assert.equal((await store.models.byRef(owner, 'models-set', 'xgboost', 'latest')).version, 3);
      const pending = reserved.find((model) => model.version === 4);
      assert.ok(pending);
      const explain = (modelId: string) =>
        store.explanations.reserve(owner, randomUUID(), { modelId, method: 'shap', summary: { age: 0.5 } });
      await rejectsWith(explain(pending.id), 'model_not_ready');
      await rejectsWith(explain(randomUUID()), 'model_not_found');
      const explanation = await explain(first.id);
      const explanationKeys = await finalize(store.explanations, explanation, ['s.json', 'values.json']);
      for (const key of explanationKeys) assert.match(key, /^explanations\/models-set\/xgboost-v1\/shap\//);
      await rejectsWith(store.models.delete(owner, owner.owner, first.id, false), 'model_in_use');
      await rejectsWith(store.models.get(newOwner(), first.id), 'model_not_found');
      const { deletedKeys } = await store.models.delete(owner, owner.owner, first.id, true);
      assert.deepEqual(deletedKeys.sort(), [...explanationKeys, firstKey].sort());
      for (const model of reserved.filter((item) => item.version > 3)) await store.models.abandon(owner, model.id);
      const page = await store.models.list(owner, { limit: 10, sort: 'metrics.auc', order: 'desc' });
      assert.deepEqual(page.items.map((model) => model.version).sort(), [2, 3]);
    });

    test('20 concurrent batches to one dataset: versions 1..20, each exactly its own files on top of the ones before', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'concurrent-versions');
      const batches = Array.from({ length: 20 }, (_, n) => [
        {
          path: `batch-${String(n).padStart(2, '0')}/a.csv`,
          sha256: createHash('sha256').update(`a${n}`).digest('hex'),
          size: n + 1,
        },
        {
          path: `batch-${String(n).padStart(2, '0')}/b.csv`,
          sha256: createHash('sha256').update(`b${n}`).digest('hex'),
          size: n + 2,
        },
      ]);
      const results = await Promise.all(batches.map((files) => changeFiles(owner, dataset.id, files)));
      assert.deepEqual(
        results.map((result) => result.version).sort((a, b) => (a ?? 0) - (b ?? 0)),
        Array.from({ length: 20 }, (_, n) => n + 1),
      );
      const page = await store.datasets.listVersions(owner, dataset.id, { limit: 100 });
      assert.deepEqual(
        page.items.map((version) => version.version),
        Array.from({ length: 20 }, (_, n) => 20 - n),
      );
      // Version k is versions 1..k-1 plus exactly one batch, whole: no mix of two requests' files.
      let before: string[] = [];
      for (let k = 1; k <= 20; k += 1) {
        const version = await store.datasets.getVersion(owner, dataset.id, String(k));
        const paths = (version.files ?? []).map((file) => file.path);
        const added = paths.filter((path) => !before.includes(path));
        assert.equal(added.length, 2, `version ${k} adds one batch`);
        assert.equal(added[0]?.split('/')[0], added[1]?.split('/')[0], `version ${k} adds one request's files`);
        assert.ok(
          before.every((path) => paths.includes(path)),
          `version ${k} keeps the earlier files`,
        );
        assert.equal(version.digest, manifestDigest(version.files ?? []));
        assert.equal(version.fileCount, paths.length);
        before = paths;
      }
    });

    test('models and explanations pin a dataset version; aliases move with a race-safe history', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'pinned', ['train.csv']);
      await changeFiles(owner, dataset.id, [{ path: 'train.csv', sha256: 'cd'.repeat(32) }], true);
      const reserveModel = (datasetVersion?: string) =>
        store.models.reserve(owner, randomUUID(), {
          datasetId: dataset.id,
          datasetVersion,
          name: 'rf',
          format: 'pickle',
          safeToLoad: false,
        });
      assert.equal((await reserveModel()).dataset.version, 2, 'the latest by default');
      assert.equal((await reserveModel('1')).dataset.version, 1);
      await rejectsWith(reserveModel('7'), 'dataset_version_not_found');
      await rejectsWith(reserveModel('training'), 'dataset_version_not_found');
      await rejectsWith(
        store.aliases.set(owner, owner.owner, { dataset: dataset.id }, 'training', 9),
        'dataset_version_not_found',
      );
      const set = await store.aliases.set(owner, owner.owner, { dataset: dataset.id }, 'training', 1);
      assert.deepEqual([set.alias, set.version], ['training', 1]);
      assert.equal(set.digest, (await store.datasets.getVersion(owner, dataset.id, '1')).digest);
      const pinned = await reserveModel('training');
      assert.equal(pinned.dataset.version, 1);
      assert.deepEqual((await store.datasets.getVersion(owner, dataset.id, 'training')).aliases, ['training']);
      await rejectsWith(store.aliases.get(newOwner(), { dataset: dataset.id }, 'training'), 'dataset_not_found');
      await rejectsWith(store.aliases.set(owner, owner.owner, { dataset: dataset.id }, 'latest', 1), 'invalid_alias');

      // Concurrent moves: all recorded, in order, and the alias ends on the last one recorded.
      const moves = await Promise.all(
        [2, 1, 2, 1, 2, 1].map((version) => store.aliases.set(owner, owner.owner, { dataset: dataset.id }, 'prod', version)),
      );
      assert.equal(moves.length, 6);
      const history = await store.aliases.history(owner, { dataset: dataset.id }, 'prod', { limit: 100 });
      const events = [...history.items].reverse();
      assert.equal(events[0]?.previousVersion, null);
      for (let n = 1; n < events.length; n += 1) {
        assert.equal(events[n]?.previousVersion, events[n - 1]?.version, 'each move starts where the one before ended');
      }
      assert.equal((await store.aliases.get(owner, { dataset: dataset.id }, 'prod')).version, history.items[0]?.version);
      await store.aliases.delete(owner, owner.owner, { dataset: dataset.id }, 'prod');
      await rejectsWith(store.aliases.get(owner, { dataset: dataset.id }, 'prod'), 'alias_not_found');
      const afterRemoval = await store.aliases.history(owner, { dataset: dataset.id }, 'prod', { limit: 1 });
      assert.equal(afterRemoval.items[0]?.version, null);
      assert.ok(afterRemoval.nextCursor, 'pages');
      await rejectsWith(store.aliases.history(owner, { dataset: dataset.id }, 'never', { limit: 5 }), 'alias_not_found');
    });
  });
}
