/**
 * One row's explanation beside its data (GET /explanations/{id}/rows/{index}, /rows?offset=&limit=,
 * withData=true) on both stacks (PGlite + folder, Postgres + S3 server): SHAP matrices written here
 * with known values (CSV with quoted multi-line fields in its data file, Parquet with row groups and
 * an offset index, .npy), rows 0, middle and last equal what was written, with the dataset row
 * beside them; a CSV row deep in the file costs one read of about a row-index stride, not a scan.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { createArtifactClient } from '../client/index.ts';
import { ROW_INDEX_STRIDE } from '../src/profiles/row-index.ts';
import { type Backend, buildForTwoUsers, startApp, type TestApp } from './support/app.ts';
import { answer, expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, type TestFile } from './support/data.ts';
import { hostileParquet } from './support/hostile-parquet.ts';
import { field, file, type Part, upload } from './support/multipart.ts';
import { ownedExplanation } from './support/owned-explanation.ts';
import { postgresSkipReason } from './support/postgres.ts';

const json = answer;

/**
 * Data rows of train.csv (~4.6 MB, many row-index strides): every 97th has a note with a comma, a
 * quote and a line break (one quoted field).
 */
const ROWS = 20_000;
const PAD = 'p'.repeat(200);
const noteOf = (row: number) => (row % 97 === 0 ? `line one\nline, two "q" ${row}` : `n${row}`);
const trainCsv = () => {
  const lines = ['id,amount,note,label,pad'];
  for (let row = 0; row < ROWS; row += 1) {
    const note = noteOf(row);
    const quoted = note.includes('\n') ? `"${note.replaceAll('"', '""')}"` : note;
    lines.push(`${1000 + row},${row * 0.5},${quoted},${row % 2},${PAD}`);
  }
  return bufferFile(`${lines.join('\n')}\n`);
};
/** SHAP values: multiples of 1/4, exact in binary and in decimal. */
const shapOf = (row: number, column: number) => ((row * (column + 3)) % 200) / 4 - 25;
const FEATURES = ['amount', 'note', 'label'];
const shapCsv = (rows: number, separator = ',') => {
  const lines = [[...FEATURES, 'base_value', 'prediction'].join(separator)];
  for (let row = 0; row < rows; row += 1) {
    lines.push([...FEATURES.map((_, column) => shapOf(row, column)), 0.5, row % 2].join(separator));
  }
  return bufferFile(`${lines.join('\n')}\n`);
};

const PARQUET_ROWS = 3000;
const parquetFile = (columns: Record<string, Float64Array | Int32Array>) =>
  bufferFile(
    Buffer.from(
      parquetWriteBuffer({
        columnData: Object.entries(columns).map(([name, data]) => ({
          name,
          data,
          type: data instanceof Float64Array ? ('DOUBLE' as const) : ('INT32' as const),
          offsetIndex: true,
        })),
        rowGroupSize: 1000,
        pageSize: 2048,
      }),
    ),
  );
const testParquet = () =>
  parquetFile({
    amount: Float64Array.from({ length: PARQUET_ROWS }, (_, row) => row * 2.5),
    label: Int32Array.from({ length: PARQUET_ROWS }, (_, row) => row % 3),
  });
const shapParquet = () =>
  parquetFile({
    amount: Float64Array.from({ length: PARQUET_ROWS }, (_, row) => shapOf(row, 0)),
    label: Float64Array.from({ length: PARQUET_ROWS }, (_, row) => shapOf(row, 2)),
    base_value: Float64Array.from({ length: PARQUET_ROWS }, () => 0.25),
  });

/** A .npy matrix, as NumPy writes it (version 1.0, header padded to 64 bytes). */
function npy(rows: number, columns: number, value: (row: number, column: number) => number): TestFile {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const data = Buffer.alloc(rows * columns * 8);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) data.writeDoubleLE(value(row, column), (row * columns + column) * 8);
  }
  const length = Buffer.alloc(2);
  length.writeUInt16LE(header.length);
  return bufferFile(
    Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), length, Buffer.from(header, 'latin1'), data]),
  );
}

interface Row {
  index: number;
  values: Record<string, number | null>;
  baseValue?: number | null;
  prediction?: unknown;
  data?: Record<string, unknown> | null;
}
interface RowAnswer extends Row {
  file: string;
  total: number | null;
  dataFile?: { path: string } | null;
  dataReason?: string;
  bytesRead: number;
}
interface RowsPage {
  file: string;
  total: number | null;
  offset: number;
  limit: number;
  rows: Row[];
  dataFile?: { path: string } | null;
  dataReason?: string;
  bytesRead: number;
}

const csvRow = (row: number): Row => ({
  index: row,
  values: Object.fromEntries(FEATURES.map((name, column) => [name, shapOf(row, column)])),
  baseValue: 0.5,
  prediction: row % 2,
});
const trainRow = (row: number) => ({ id: 1000 + row, amount: row * 0.5, note: noteOf(row), label: row % 2, pad: PAD });
/** One read of about a stride in each of two files, and their headers: far less than train.csv. */
const ONE_READ_EACH = 2 * (ROW_INDEX_STRIDE + 64 * 1024);

function rowsSuite(backend: Backend) {
  describe(`explanation rows on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    const ids: Record<string, string> = {};
    const get = async <T>(path: string, status = 200) => json<T>(await fetch(`${app.baseUrl}${path}`), status);

    before(async () => {
      app = await startApp({ backend });
      await json(
        await upload(`${app.baseUrl}/datasets`, [
          field('name', 'credit'),
          file('train.csv', trainCsv()),
          file('test.parquet', testParquet()),
        ]),
        201,
      );
      const model = await json<{ id: string }>(
        await upload(`${app.baseUrl}/models`, [
          field('dataset', 'credit'),
          field('name', 'xgb'),
          file('m.json', bufferFile('{}')),
        ]),
        201,
      );
      const explain = async (parts: Part[]) =>
        (
          await json<{ id: string }>(
            await upload(`${app.baseUrl}/explanations`, [field('model', model.id), field('method', 'shap'), ...parts]),
            201,
          )
        ).id;
      ids.csv = await explain([file('shap_values.csv', shapCsv(ROWS))]);
      ids.tsv = await explain([field('datasetFile', 'train.csv'), file('first.tsv', shapCsv(5, '\t'))]);
      ids.parquet = await explain([file('shap_values.parquet', shapParquet())]);
      ids.npy = await explain([
        field('features', 'amount,label'),
        file(
          'shap_values.npy',
          npy(PARQUET_ROWS, 2, (row, column) => shapOf(row, column * 2)),
        ),
      ]);
      ids.summary = await explain([field('summary', '{"amount":1}'), file('notes.json', bufferFile('{}'))]);
      // Version 2 adds a second file of 3000 rows: which one a 3000-row matrix explains is ambiguous there.
      await json(await upload(`${app.baseUrl}/datasets/credit/files`, [file('again.parquet', testParquet())]), 201);
      ids.ambiguous = await explain([field('datasetVersion', '2'), file('s.parquet', shapParquet())]);
    });
    after(() => app?.close());

    test('rows 0, middle and last of a CSV matrix, with the dataset row beside each (quoted multi-line fields)', async () => {
      for (const index of [0, 97 * 103, ROWS - 1]) {
        const row = await get<RowAnswer>(`/explanations/${ids.csv}/rows/${index}?withData=true`);
        const { file: path, total, dataFile, bytesRead, ...shown } = row;
        assert.deepEqual(shown, { ...csvRow(index), data: trainRow(index), explanationId: ids.csv });
        assert.equal(path, 'shap_values.csv');
        assert.equal(total, ROWS);
        assert.equal(dataFile?.path, 'train.csv', 'the one file with as many rows');
        // Two files, each read at one place of about a stride (and the header): no scan.
        assert.ok(bytesRead < ONE_READ_EACH, `${bytesRead} bytes read for row ${index}`);
      }
      const plain = await get<RowAnswer>(`/explanations/${ids.csv}/rows/12345`);
      assert.equal(plain.data, undefined, 'no data unless asked');
      assert.deepEqual(plain.values, csvRow(12345).values);
    });

    test('a page of rows: across index entries, up to the end, and never more than 500', async () => {
      const page = await get<RowsPage>(`/explanations/${ids.csv}/rows?offset=${ROWS - 3}&limit=10&withData=true`);
      assert.equal(page.total, ROWS);
      assert.deepEqual(
        page.rows,
        [ROWS - 3, ROWS - 2, ROWS - 1].map((row) => ({ ...csvRow(row), data: trainRow(row) })),
      );
      const wide = await get<RowsPage>(`/explanations/${ids.csv}/rows?offset=4000&limit=500`);
      assert.deepEqual(
        wide.rows,
        Array.from({ length: 500 }, (_, at) => csvRow(4000 + at)),
      );
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.csv}/rows?limit=501`), 400, 'validation_failed');
      const past = await get<RowsPage>(`/explanations/${ids.csv}/rows?offset=${ROWS}`);
      assert.deepEqual(past.rows, []);
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.csv}/rows/${ROWS}`), 404, 'row_not_found');
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.csv}/rows/-1`), 400, 'validation_failed');
    });

    test('datasetFile names the data file: a 5-row TSV beside the first rows of train.csv', async () => {
      const explanation = await get<{ datasetFile: string | null }>(`/explanations/${ids.tsv}`);
      assert.equal(explanation.datasetFile, 'train.csv');
      const page = await get<RowsPage>(`/explanations/${ids.tsv}/rows?withData=true`);
      assert.equal(page.total, 5);
      assert.equal(page.dataFile?.path, 'train.csv');
      assert.deepEqual(
        page.rows,
        [0, 1, 2, 3, 4].map((row) => ({ ...csvRow(row), data: trainRow(row) })),
      );
    });

    test('Parquet through row groups and its offset index, beside the Parquet data file', async () => {
      for (const index of [0, 1500, PARQUET_ROWS - 1]) {
        const row = await get<RowAnswer>(`/explanations/${ids.parquet}/rows/${index}?withData=true`);
        assert.deepEqual(row.values, { amount: shapOf(index, 0), label: shapOf(index, 2) });
        assert.equal(row.baseValue, 0.25);
        assert.equal(row.prediction, undefined, 'no prediction column, none answered');
        assert.deepEqual(row.data, { amount: index * 2.5, label: index % 3 });
        assert.equal(row.dataFile?.path, 'test.parquet');
        assert.equal(row.total, PARQUET_ROWS);
      }
      const page = await get<RowsPage>(`/explanations/${ids.parquet}/rows?offset=998&limit=4`);
      assert.deepEqual(
        page.rows.map((row) => row.values.amount),
        [998, 999, 1000, 1001].map((row) => shapOf(row, 0)),
        'across a row group boundary',
      );
    });

    test('.npy by arithmetic: named by its features, beside the data', async () => {
      const row = await get<RowAnswer>(`/explanations/${ids.npy}/rows/2021?withData=true`);
      assert.deepEqual(row.values, { amount: shapOf(2021, 0), label: shapOf(2021, 2) });
      assert.deepEqual(row.data, { amount: 2021 * 2.5, label: 2021 % 3 });
      // The header, and one row of 2 float64: the data file's pages beside it.
      assert.ok(row.bytesRead < 64 * 1024, `${row.bytesRead} bytes`);
    });

    test('no data file to choose: the rows come with the reason, not an error', async () => {
      const row = await get<RowAnswer>(`/explanations/${ids.ambiguous}/rows/7?withData=true`);
      assert.deepEqual(row.values, { amount: shapOf(7, 0), label: shapOf(7, 2) });
      assert.equal(row.data, null);
      assert.equal(row.dataFile, null);
      assert.match(String(row.dataReason), /2 files .* 3000 rows \(again\.parquet, test\.parquet\).*datasetFile/);
    });

    test('an explanation without a SHAP matrix has no rows: 422 rows_unavailable; an unknown one 404', async () => {
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.summary}/rows/0`), 422, 'rows_unavailable');
      await expectProblem(
        await fetch(`${app.baseUrl}/explanations/0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11/rows/0`),
        404,
        'explanation_not_found',
      );
    });

    test('a datasetFile the version does not hold is 404 file_not_found, and nothing is kept', async () => {
      const model = (await get<{ items: Array<{ id: string }> }>('/models?dataset=credit')).items[0];
      assert.ok(model);
      const before = await snapshot(app);
      const refused = await upload(`${app.baseUrl}/explanations`, [
        field('model', model.id),
        field('method', 'shap'),
        field('datasetFile', 'nope.csv'),
        file('s.csv', shapCsv(2)),
      ]);
      await expectProblem(refused, 404, 'file_not_found');
      assert.deepEqual(await snapshot(app), before);
    });

    test('the typed client reads rows', async () => {
      const client = createArtifactClient({ baseUrl: app.baseUrl });
      const row = await client.explanations.row(ids.csv as string, 42, { withData: true });
      assert.deepEqual(row.values, csvRow(42).values);
      assert.deepEqual(row.data, trainRow(42));
      const page = await client.explanations.rows(ids.csv as string, { offset: 10, limit: 2 });
      assert.deepEqual(
        page.rows.map((r) => r.index),
        [10, 11],
      );
    });
  });
}

rowsSuite('embedded');
rowsSuite('s3-postgres');

describe('rows of a file sent by direct upload', () => {
  test('a dataset CSV sent in presigned parts gets its row index in the read-back: deep rows at one read', async () => {
    const app = await startApp({ backend: 'embedded' });
    try {
      const client = createArtifactClient({ baseUrl: app.baseUrl });
      await json(await upload(`${app.baseUrl}/datasets`, [field('name', 'd'), file('seed.csv', bufferFile('x\n1\n'))]), 201);
      const csv = await trainCsv().chunks().next();
      await client.uploadDirect(new Blob([csv.value as Buffer<ArrayBuffer>]), {
        type: 'dataset-file',
        dataset: 'd',
        path: 'direct.csv',
      });
      const model = await json<{ id: string }>(
        await upload(`${app.baseUrl}/models`, [field('dataset', 'd'), field('name', 'm'), file('m.json', bufferFile('{}'))]),
        201,
      );
      const explanation = await json<{ id: string }>(
        await upload(`${app.baseUrl}/explanations`, [
          field('model', model.id),
          field('method', 'shap'),
          field('datasetFile', 'direct.csv'),
          file('s.csv', shapCsv(ROWS)),
        ]),
        201,
      );
      const row = await json<RowAnswer>(
        await fetch(`${app.baseUrl}/explanations/${explanation.id}/rows/${ROWS - 2}?withData=true`),
      );
      assert.deepEqual(row.data, trainRow(ROWS - 2));
      assert.ok(row.bytesRead < ONE_READ_EACH, `${row.bytesRead} bytes read`);
    } finally {
      await app.close();
    }
  });
});

describe('rows belong to their owner', () => {
  test("another owner's explanation rows are 404", async (t) => {
    const { app, alice, bob, as } = await buildForTwoUsers(t);
    const { explanation } = await ownedExplanation(app, alice, { data: 'a\n1\n2\n', shap: 'a\n1\n-1\n' });
    const get = (who: { key: string }, path: string) => fetch(`${app.baseUrl}${path}`, { headers: as(who) });
    const mine = await json<RowAnswer>(await get(alice, `/explanations/${explanation.id}/rows/1?withData=true`));
    assert.deepEqual([mine.values, mine.data], [{ a: -1 }, { a: 2 }]);
    await expectProblem(await get(bob, `/explanations/${explanation.id}/rows/1`), 404, 'explanation_not_found');
    await expectProblem(await get(bob, `/explanations/${explanation.id}/rows?withData=true`), 404, 'explanation_not_found');
  });
});

describe('hostile files behind rows', () => {
  test('a data file whose footer declares rows its pages do not hold, and a matrix row that cannot be parsed: 200 or 422, never 5xx', async () => {
    const app = await startApp({ backend: 'embedded' });
    try {
      // Declares a billion rows; its one page holds 0, 1, 2.
      const lying = hostileParquet({ rows: 3, declaredRows: 1_000_000_000 });
      await json(await upload(`${app.baseUrl}/datasets`, [field('name', 'h'), file('lying.parquet', bufferFile(lying))]), 201);
      const model = await json<{ id: string }>(
        await upload(`${app.baseUrl}/models`, [field('dataset', 'h'), field('name', 'm'), file('m.json', bufferFile('{}'))]),
        201,
      );
      const explain = async (parts: Part[]) =>
        await json<{ id: string; importances: { source: string | null } }>(
          await upload(`${app.baseUrl}/explanations`, [field('model', model.id), field('method', 'shap'), ...parts]),
          201,
        );
      const beside = await explain([field('datasetFile', 'lying.parquet'), file('s.csv', shapCsv(5))]);
      const real = await json<RowAnswer>(await fetch(`${app.baseUrl}/explanations/${beside.id}/rows/2?withData=true`));
      assert.deepEqual(real.data, { x: 2 });
      const past = await json<RowAnswer>(await fetch(`${app.baseUrl}/explanations/${beside.id}/rows/4?withData=true`));
      assert.deepEqual(past.values, csvRow(4).values, 'the SHAP row still answers');
      assert.equal(past.data, null);
      assert.match(String(past.dataReason), /^lying\.parquet: .*holds 0 of rows/);
      // Row 3's quote never closes: the profile counts it, the matrix is numeric, the row is refused.
      const broken = await explain([file('q.csv', bufferFile('a,b\n1,2\n3,4\n5,6\n"7,8\n'))]);
      assert.equal(broken.importances.source, 'matrix');
      assert.deepEqual((await json<RowAnswer>(await fetch(`${app.baseUrl}/explanations/${broken.id}/rows/2`))).values, {
        a: 5,
        b: 6,
      });
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${broken.id}/rows/3`), 422, 'invalid_file');
      assert.equal((await fetch(`${app.baseUrl}/health`)).status, 200);
    } finally {
      await app.close();
    }
  });
});
