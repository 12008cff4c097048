/**
 * The metadata contract: MetadataStore over every SqlFunctionCaller (PGlite, a Postgres
 * server, Supabase through the RPC bridge) behaves the same, against real Postgres.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type OwnScope, ownScope } from '../src/domain.ts';
import { AppError, type ErrorCode } from '../src/errors.ts';
import { MetadataStore } from '../src/metadata/metadata-store.ts';
import { checkedRecords } from '../src/metadata/record-checks.ts';
import type { SqlFunctionCaller } from '../src/metadata/sql-caller.ts';

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
      return store.datasets.finalizeBatch({ owner, datasetId: dataset.id, batchId, files });
    }

    test('reserve, finalize and read a dataset with files, by id and by name', async () => {
      const owner = newOwner();
      const { dataset, replacedKeys } = await createDataset(owner, 'german-credit', ['raw/a.csv', 'processed/b.csv']);
      assert.deepEqual(replacedKeys, []);
      assert.equal(dataset.state, 'ready');
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

    test('an existing path is file_exists; overwrite swaps it atomically and returns the old key', async () => {
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
        datasetId: dataset.id,
        batchId,
        files: [{ id, size: 99, sha256: 'cd'.repeat(32), etag: 'new' }],
      });
      assert.deepEqual(result.replacedKeys, [oldFile.objectKey]);
      assert.deepEqual(
        result.dataset.files?.map((file) => [file.id, file.size]),
        [[id, 99]],
      );
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
        store.datasets.finalizeBatch({ owner, datasetId: dataset.id, batchId, files: [{ id, size: 1, sha256: SHA, etag: 'e' }] }),
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

    test('deleting returns every object key, and a file can be deleted alone', async () => {
      const owner = newOwner();
      const { dataset } = await createDataset(owner, 'delete-me', ['a.csv', 'b.csv']);
      const [first, second] = dataset.files ?? [];
      assert.ok(first && second);
      assert.deepEqual(await store.datasets.deleteFile(owner, dataset.id, first.id), { deletedKeys: [first.objectKey] });
      await rejectsWith(store.datasets.getFile(owner, dataset.id, first.id), 'file_not_found');
      assert.equal((await store.datasets.getFile(owner, 'delete-me', second.id)).sha256, SHA);
      assert.deepEqual(await store.datasets.delete(owner, 'delete-me', false), { deletedKeys: [second.objectKey] });
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
      const two = await store.models.latest(owner, 'models-set', 'xgboost');
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
      assert.equal((await store.models.latest(owner, 'models-set', 'xgboost')).version, 3);
      const pending = reserved.find((model) => model.version === 4);
      assert.ok(pending);
      const explain = (modelId: string) =>
        store.explanations.reserve(owner, randomUUID(), { modelId, method: 'shap', summary: { age: 0.5 } });
      await rejectsWith(explain(pending.id), 'model_not_ready');
      await rejectsWith(explain(randomUUID()), 'model_not_found');
      const explanation = await explain(first.id);
      const explanationKeys = await finalize(store.explanations, explanation, ['s.json', 'values.json']);
      for (const key of explanationKeys) assert.match(key, /^explanations\/models-set\/xgboost-v1\/shap\//);
      await rejectsWith(store.models.delete(owner, first.id, false), 'model_in_use');
      await rejectsWith(store.models.get(newOwner(), first.id), 'model_not_found');
      const { deletedKeys } = await store.models.delete(owner, first.id, true);
      assert.deepEqual(deletedKeys.sort(), [...explanationKeys, firstKey].sort());
      for (const model of reserved.filter((item) => item.version > 3)) await store.models.abandon(owner, model.id);
      const page = await store.models.list(owner, { limit: 10, sort: 'metrics.auc', order: 'desc' });
      assert.deepEqual(page.items.map((model) => model.version).sort(), [2, 3]);
    });
  });
}
