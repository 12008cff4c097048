/**
 * What a new user meets in the first hour, on both backends: an empty dataset created with JSON
 * (as frontends send it), a file's path given as a form field (as Swagger UI must), and previews
 * whose values are typed as the profile types their columns.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appFor, type Backend } from './support/app.ts';
import { expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, sha256Of } from './support/data.ts';
import { sendJson } from './support/json-request.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

function suite(backend: Backend) {
  describe(`first hour on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend });

    const postJson = (url: string, body: unknown) => sendJson(`${app.baseUrl}${url}`, 'POST', body);

    test('POST /datasets with JSON creates an empty dataset; bad JSON fields are refused and leave nothing', async () => {
      const created = await postJson('/datasets', { name: 'from-json', description: 'made by a frontend', tags: ['credit'] });
      assert.equal(created.status, 201, await created.clone().text());
      const dataset = (await created.json()) as { id: string; name: string; fileCount: number; tags: string[] };
      assert.equal(created.headers.get('location'), `/datasets/${dataset.id}`);
      assert.deepEqual([dataset.name, dataset.fileCount, dataset.tags], ['from-json', 0, ['credit']]);
      const stored = (await (await fetch(`${app.baseUrl}/datasets/from-json`)).json()) as {
        description: string;
        files: unknown[];
      };
      assert.equal(stored.description, 'made by a frontend');
      assert.deepEqual(stored.files, []);
      // Its files come later, by form or by direct upload.
      const session = await postJson('/uploads', {
        target: { type: 'dataset-file', dataset: 'from-json', path: 'a.csv' },
        size: 4,
      });
      assert.equal(session.status, 201);
      await fetch(`${app.baseUrl}/uploads/${((await session.json()) as { id: string }).id}`, { method: 'DELETE' });

      const before = await snapshot(app);
      await expectProblem(await postJson('/datasets', { name: 'Not A Slug' }), 400, 'invalid_name');
      await expectProblem(await postJson('/datasets', { name: 'ok-name', files: [] }), 400, 'validation_failed');
      await expectProblem(await postJson('/datasets', { description: 'no name' }), 400, 'missing_field');
      await expectProblem(await postJson('/datasets', { name: 'from-json' }), 409, 'dataset_exists');
      assert.deepEqual(await snapshot(app), before, 'refusals leave nothing');
    });

    test("a path field names the next file part's path (Swagger UI cannot set a filename)", async () => {
      const bytes = Buffer.from('age,amount\n35,1169\n');
      const created = await upload(`${app.baseUrl}/datasets`, [
        { name: 'name', value: 'with-paths' },
        { name: 'path', value: 'raw/german_credit.csv' },
        { name: 'file', filename: 'german_credit.csv', file: bufferFile(bytes) },
        { name: 'file', filename: 'processed/plain.csv', file: bufferFile(bytes) },
      ]);
      assert.equal(created.status, 201, await created.clone().text());
      const dataset = (await created.json()) as { files: Array<{ path: string; sha256: string }> };
      assert.deepEqual(
        dataset.files.map((file) => [file.path, file.sha256]).sort(),
        [
          ['processed/plain.csv', sha256Of(bytes)],
          ['raw/german_credit.csv', sha256Of(bytes)],
        ],
        'the path applies to the next part only',
      );
      const before = await snapshot(app);
      await expectProblem(
        await upload(`${app.baseUrl}/datasets/with-paths/files`, [
          { name: 'path', value: '../escape.csv' },
          { name: 'file', filename: 'x.csv', file: bufferFile(bytes) },
        ]),
        400,
        'invalid_path',
      );
      await expectProblem(
        await upload(`${app.baseUrl}/datasets/with-paths/files`, [
          { name: 'file', filename: 'y.csv', file: bufferFile(bytes) },
          { name: 'path', value: 'dangling.csv' },
        ]),
        400,
        'missing_file',
      );
      assert.deepEqual(await snapshot(app), before, 'refusals leave nothing');
    });

    test('CSV previews are typed as the profile types their columns; digits a double would lose stay text', async () => {
      const csv = [
        'id,amount,label,flag,big,when,note',
        '1,68.50,a,true,12345678901234567890,2024-01-02,NA',
        '2,29,,false,2,2024-01-03,x',
        '3,,c,True,3,,NaN',
      ].join('\n');
      const created = await upload(`${app.baseUrl}/datasets`, [
        { name: 'name', value: 'typed' },
        { name: 'file', filename: 'raw/typed.csv', file: bufferFile(`${csv}\n`) },
      ]);
      assert.equal(created.status, 201);
      const file = ((await created.json()) as { files: Array<{ id: string }> }).files[0];
      const preview = (await (await fetch(`${app.baseUrl}/datasets/typed/files/${file?.id}/preview?rows=10`)).json()) as {
        rows: unknown[][];
      };
      assert.deepEqual(preview.rows, [
        [1, 68.5, 'a', true, '12345678901234567890', '2024-01-02', null],
        [2, 29, null, false, 2, '2024-01-03', 'x'],
        [3, null, 'c', true, 3, null, null],
      ]);
      const profile = (await (await fetch(`${app.baseUrl}/datasets/typed/files/${file?.id}/profile`)).json()) as {
        profile: { columns: Array<{ name: string; type: string }> };
      };
      assert.deepEqual(
        profile.profile.columns.map((column) => column.type),
        ['integer', 'number', 'string', 'boolean', 'integer', 'datetime', 'string'],
        'the types the preview follows',
      );
    });
  });
}

suite('embedded');
suite('s3-postgres');
