/**
 * Explanations as data: feature importances computed in the upload pass from SHAP matrices (CSV,
 * TSV; proxied and direct uploads) or taken from the summary, recorded as rows, and read per
 * explanation, across a model's versions and as list filters — on both stacks (embedded;
 * Postgres + S3 server). Values are known by construction, so importances and ranks are exact.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { createArtifactClient } from '../client/index.ts';
import { type Backend, buildForTwoUsers, startApp, type TestApp } from './support/app.ts';
import { answer, expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, type TestFile } from './support/data.ts';
import { hostileParquet } from './support/hostile-parquet.ts';
import { sendJson } from './support/json-request.ts';
import { field, file, type Part, upload } from './support/multipart.ts';
import { ownedExplanation } from './support/owned-explanation.ts';
import { postgresSkipReason } from './support/postgres.ts';

const json = answer;

/** A SHAP matrix: columns by name, the same number of rows each. */
function matrix(columns: Record<string, number[]>, separator = ','): TestFile {
  const names = Object.keys(columns);
  const rows = (columns[names[0] as string] as number[]).map((_, row) => names.map((n) => columns[n]?.[row]).join(separator));
  return bufferFile(`${names.join(separator)}\n${rows.join('\n')}\n`);
}

/** A .npy file: the header as NumPy writes it (version 1.0, padded to 64 bytes), then the values row by row. */
function npy(rows: number[][], descr = '<f8', shape = `(${rows.length}, ${rows[0]?.length ?? 0})`): TestFile {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const size = descr.endsWith('4') ? 4 : 8;
  const data = Buffer.alloc(rows.length * (rows[0]?.length ?? 0) * size);
  rows.flat().forEach((value, index) => {
    if (size === 8) data.writeDoubleLE(value, index * 8);
    else data.writeFloatLE(value, index * 4);
  });
  const length = Buffer.alloc(2);
  length.writeUInt16LE(header.length);
  return bufferFile(
    Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), length, Buffer.from(header, 'latin1'), data]),
  );
}

const meanAbs = (values: number[]) => values.reduce((sum, v) => sum + Math.abs(v), 0) / values.length;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

interface Importances {
  source: string | null;
  reason: string | null;
  rows: number | null;
  features: number;
  items: Array<{
    feature: string;
    importance: number;
    rank: number;
    mean: number | null;
    min: number | null;
    max: number | null;
  }>;
}
interface Comparison {
  features: string[];
  versions: Array<{
    version: number;
    explanationId: string;
    items: Array<{ feature: string; importance: number | null; rank: number | null; rankChange: number | null }>;
  }>;
}

// v1: a_amount matters most; v3 (TSV): c_card does.
const V1 = {
  a_amount: [3, -3, 3, -3],
  b_age: [1, 1, -1, 1],
  c_card: [2, -2, 2, 2],
  base_value: [0.1, 0.1, 0.1, 0.1],
  prediction: [0.9, 0.2, 0.8, 0.3],
};
// v2's second explanation: a Parquet matrix in several row groups (float64 and int32 columns).
const ROWS = 2500;
const PARQUET = {
  a_amount: Array.from({ length: ROWS }, (_, i) => ((i % 7) - 3) * 0.5),
  b_age: Array.from({ length: ROWS }, (_, i) => (i % 2 === 0 ? 4 : -4)),
};
const V3 = { a_amount: [4, -4, 4, 4], b_age: [0.1, -0.1, 0.1, 0.1], c_card: [-5, 5, 5, 5] };

function importancesSuite(backend: Backend) {
  describe(`feature importances on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    const ids: Record<string, string> = {};
    before(async () => {
      app = await startApp({ backend });
      await json(
        await upload(`${app.baseUrl}/datasets`, [field('name', 'fraud'), file('raw/t.csv', bufferFile('a,b,c\n1,2,3\n'))]),
        201,
      );
      for (const version of [1, 2, 3]) {
        const model = await json<{ id: string }>(
          await upload(`${app.baseUrl}/models`, [
            field('dataset', 'fraud'),
            field('name', 'xgb'),
            file('m.json', bufferFile(`{"v":${version}}`)),
          ]),
          201,
        );
        ids[`m${version}`] = model.id;
      }
      const explain = async (model: string, parts: Part[]) =>
        (
          await json<{ id: string }>(
            await upload(`${app.baseUrl}/explanations`, [field('model', model), field('method', 'shap'), ...parts]),
            201,
          )
        ).id;
      ids.e1 = await explain(ids.m1 as string, [file('shap_values.csv', matrix(V1)), file('plot.png', bufferFile('png'))]);
      ids.e2 = await explain(ids.m2 as string, [
        field('summary', '{"a_amount":0.5,"b_age":2,"c_card":1,"note":"text"}'),
        file('shap.json', bufferFile('{}')),
      ]);
      ids.e3 = await explain(ids.m3 as string, [file('shap_values.tsv', matrix(V3, '\t'))]);
      // Another model, so the comparisons of xgb below stay as they are.
      const net = await json<{ id: string }>(
        await upload(`${app.baseUrl}/models`, [
          field('dataset', 'fraud'),
          field('name', 'net'),
          file('n.onnx', bufferFile('onnx')),
        ]),
        201,
      );
      const parquet = parquetWriteBuffer({
        columnData: [
          { name: 'a_amount', data: Float64Array.from(PARQUET.a_amount), type: 'DOUBLE' },
          { name: 'b_age', data: Int32Array.from(PARQUET.b_age), type: 'INT32' },
          { name: 'base_value', data: Float64Array.from({ length: ROWS }, () => 0.25), type: 'DOUBLE' },
        ],
        rowGroupSize: 1000,
      });
      ids.parquet = await explain(net.id, [file('shap_values.parquet', bufferFile(Buffer.from(parquet)))]);
      const NPY = [
        [0.5, -2, 1.25],
        [-0.5, 2, -1.25],
        [0.5, 2, 0],
        [0.5, -2, 0],
      ];
      ids.npyNamed = await explain(net.id, [field('features', '["amt","age","card"]'), file('shap_values.npy', npy(NPY))]);
      // After the file, as Swagger UI sends fields in the order they were filled.
      ids.npyF4 = await explain(net.id, [file('values32.npy', npy(NPY, '<f4')), field('features', 'amt, age, card')]);
      ids.npyFromDataset = await explain(net.id, [file('shap_values.npy', npy(NPY))]); // raw/t.csv has columns a, b, c
      ids.npyUnnamed = await explain(net.id, [file('two.npy', npy([[1, 2]]))]);
      ids.npyShort = await explain(net.id, [field('features', 'x,y,z'), file('short.npy', npy(NPY, '<f8', '(1000, 3)'))]);
      ids.npyInts = await explain(net.id, [file('ints.npy', npy([[1, 2, 3]], '<i8'))]);
      // 12.5 MiB: many chunks, which the stores reuse once written (the S3 store's part buffers).
      const LARGE = Array.from({ length: 8192 }, (_, row) =>
        Array.from({ length: 400 }, (_, column) => ((row % 4) - 1.5) * (column + 1)),
      );
      ids.npyLarge = await explain(net.id, [
        field('features', LARGE[0]?.map((_, column) => `v${column}`).join(',') ?? ''),
        file('large.npy', npy(LARGE, '<f4')),
      ]);
      ids.none = await explain(ids.m3 as string, [file('shap_values.pkl', bufferFile('\x80\x04pickle'))]);
      ids.text = await explain(ids.m3 as string, [file('lime.csv', bufferFile('feature,weight\nage,0.3\nincome,0.1\n'))]);
    });
    after(() => app?.close());

    test('a SHAP matrix: mean |value| per feature column, exact, ranked; base_value and prediction are not features', async () => {
      const answer = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.e1}/importances`));
      assert.equal(answer.source, 'matrix');
      assert.equal(answer.rows, 4);
      assert.equal(answer.features, 3);
      assert.deepEqual(
        answer.items.map((i) => [i.feature, i.importance, i.rank, i.mean, i.min, i.max]),
        [
          ['a_amount', meanAbs(V1.a_amount), 1, mean(V1.a_amount), -3, 3],
          ['c_card', meanAbs(V1.c_card), 2, mean(V1.c_card), -2, 2],
          ['b_age', meanAbs(V1.b_age), 3, mean(V1.b_age), -1, 1],
        ],
      );
      const top = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.e1}/importances?top=2`));
      assert.deepEqual(
        top.items.map((i) => i.feature),
        ['a_amount', 'c_card'],
      );
      assert.equal(top.features, 3, 'the count says how many there are beyond the top');
      const record = await json<{ importances: { source: string; file: string; hasBaseValue: boolean; hasPrediction: boolean } }>(
        await fetch(`${app.baseUrl}/explanations/${ids.e1}`),
      );
      assert.deepEqual(
        { ...record.importances },
        {
          source: 'matrix',
          file: 'shap_values.csv',
          rows: 4,
          profiledRows: 4,
          untracked: 0,
          hasBaseValue: true,
          hasPrediction: true,
        },
      );
    });

    test('a Parquet matrix: every row of every row group read back once stored, exact', async () => {
      const answer = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.parquet}/importances`));
      assert.equal(answer.source, 'matrix');
      assert.equal(answer.rows, ROWS);
      assert.deepEqual(
        answer.items.map((i) => [i.feature, i.importance, i.rank, i.mean, i.min, i.max]),
        [
          ['b_age', 4, 1, 0, -4, 4],
          ['a_amount', meanAbs(PARQUET.a_amount), 2, mean(PARQUET.a_amount), -1.5, 1.5],
        ],
      );
    });

    test("a .npy matrix (float64, float32): named by features, or by the dataset version's columns; checked against its header", async () => {
      const ranked = async (id: string | undefined) => {
        const answer = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${id}/importances`));
        return {
          source: answer.source,
          reason: answer.reason,
          items: answer.items.map((i) => [i.feature, i.importance, i.rank, i.mean]),
        };
      };
      const byImportance = [
        ['age', 2, 1, 0],
        ['card', 0.625, 2, 0],
        ['amt', 0.5, 3, 0.25],
      ];
      assert.deepEqual(await ranked(ids.npyNamed), { source: 'matrix', reason: null, items: byImportance });
      assert.deepEqual(await ranked(ids.npyF4), { source: 'matrix', reason: null, items: byImportance });
      assert.deepEqual((await ranked(ids.npyFromDataset)).items, [
        ['b', 2, 1, 0],
        ['c', 0.625, 2, 0],
        ['a', 0.5, 3, 0.25],
      ]);
      const unnamed = await ranked(ids.npyUnnamed);
      assert.equal(unnamed.source, null);
      assert.match(unnamed.reason ?? '', /two\.npy has 2 columns and nothing names them: send features/);
      assert.match((await ranked(ids.npyShort)).reason ?? '', /declares 1000 × 3 values; the file holds 12/);
      assert.match((await ranked(ids.npyInts)).reason ?? '', /not little-endian float32 or float64/);
      const large = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.npyLarge}/importances?top=3`));
      assert.equal(large.source, 'matrix');
      assert.equal(large.features, 400);
      // |row % 4 - 1.5| averages 1: column c's importance is c + 1.
      assert.deepEqual(
        large.items.map((i) => [i.feature, i.importance, i.rank]),
        [
          ['v399', 400, 1],
          ['v398', 399, 2],
          ['v397', 398, 3],
        ],
      );
    });

    test('only a summary: its numbers are the importances; a pickle or a table of text gives none, with the reason', async () => {
      const summary = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.e2}/importances`));
      assert.equal(summary.source, 'summary');
      assert.deepEqual(
        summary.items.map((i) => [i.feature, i.importance, i.rank, i.mean]),
        [
          ['b_age', 2, 1, null],
          ['c_card', 1, 2, null],
          ['a_amount', 0.5, 3, null],
        ],
      );
      const none = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.none}/importances`));
      assert.deepEqual([none.source, none.items], [null, []]);
      assert.match(none.reason ?? '', /No SHAP matrix/);
      const text = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${ids.text}/importances`));
      assert.equal(text.source, null);
      assert.match(text.reason ?? '', /lime\.csv is not a SHAP matrix: column feature is not numeric/);
    });

    test('across the versions of a model: each feature’s importance and rank per version, with rank changes', async () => {
      const answer = await json<Comparison>(
        await fetch(`${app.baseUrl}/datasets/fraud/models/xgb/importances?method=shap&top=3`),
      );
      assert.deepEqual(answer.features, ['a_amount', 'b_age', 'c_card']);
      assert.deepEqual(
        answer.versions.map((v) => [v.version, v.explanationId]),
        [
          [1, ids.e1],
          [2, ids.e2],
          [3, ids.e3],
        ],
        'v3: its newest shap explanation that has importances (not the later pickle or text table)',
      );
      const ranks = (version: number) =>
        Object.fromEntries(answer.versions[version - 1]?.items.map((i) => [i.feature, [i.rank, i.rankChange]]) ?? []);
      assert.deepEqual(ranks(1), { a_amount: [1, null], c_card: [2, null], b_age: [3, null] });
      assert.deepEqual(ranks(2), { b_age: [1, 2], c_card: [2, 0], a_amount: [3, -2] });
      assert.deepEqual(ranks(3), { c_card: [1, 1], a_amount: [2, 1], b_age: [3, -2] });
      assert.equal(answer.versions[2]?.items[0]?.importance, meanAbs(V3.c_card));
      const top1 = await json<Comparison>(await fetch(`${app.baseUrl}/datasets/fraud/models/xgb/importances?top=1`));
      assert.deepEqual(top1.features, ['a_amount', 'b_age', 'c_card'], "every version's top feature");
      const lime = await json<Comparison>(await fetch(`${app.baseUrl}/datasets/fraud/models/xgb/importances?method=lime`));
      assert.deepEqual([lime.features, lime.versions], [[], []]);
    });

    test('the typed client reads the same answers', async () => {
      const client = createArtifactClient({ baseUrl: app.baseUrl });
      const bars = await client.explanations.importances(ids.e1 as string, { top: 2 });
      assert.deepEqual(
        bars.items.map((i) => i.feature),
        ['a_amount', 'c_card'],
      );
      const trend = await client.models.importances('fraud', 'xgb', { method: 'shap', top: 3 });
      assert.deepEqual(
        trend.versions.map((v) => v.version),
        [1, 2, 3],
      );
      const ranked = await client.explanations.list({ feature: 'c_card', maxRank: 1 });
      assert.deepEqual(
        ranked.items.map((e) => e.id),
        [ids.e3],
      );
    });

    test('list filter: explanations in which a feature is among the top N', async () => {
      const list = async (query: string) =>
        (await json<{ items: Array<{ id: string }> }>(await fetch(`${app.baseUrl}/explanations?${query}`))).items
          .map((e) => e.id)
          .sort();
      assert.deepEqual(await list('feature=a_amount&maxRank=1'), [ids.e1]);
      assert.deepEqual(await list('feature=b_age&maxRank=1'), [ids.e2, ids.parquet].sort());
      assert.deepEqual(await list('feature=c_card&maxRank=1'), [ids.e3]);
      assert.deepEqual(await list('feature=a_amount&maxRank=2'), [ids.e1, ids.e3, ids.parquet].sort());
      assert.deepEqual(await list('feature=b_age'), [ids.e1, ids.e2, ids.e3, ids.parquet].sort());
      assert.deepEqual(await list('feature=nobody'), []);
    });

    test('an explanation sent by direct upload gets its importances in the verification read-back', async () => {
      const bytes = Buffer.from(`a_amount,b_age\n${'1,-2\n'.repeat(1000)}`);
      const session = await json<{ id: string; parts: Array<{ url: string; headers: Record<string, string> }> }>(
        await fetch(`${app.baseUrl}/uploads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            target: { type: 'explanation', model: ids.m2, method: 'shap', filename: 'direct_shap.csv' },
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
          }),
        }),
        201,
      );
      const part = session.parts[0] as { url: string; headers: Record<string, string> };
      const put = await fetch(new URL(part.url, app.baseUrl), { method: 'PUT', headers: part.headers, body: bytes });
      assert.equal(put.status, 200, await put.text());
      let state = await json<{ state: string; artifactId?: string; result?: { id: string } }>(
        await fetch(`${app.baseUrl}/uploads/${session.id}/complete`, { method: 'POST' }),
        202,
      );
      while (state.state === 'verifying') {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await json(await fetch(`${app.baseUrl}/uploads/${session.id}`));
      }
      assert.equal(state.state, 'ready');
      const answer = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${state.result?.id}/importances`));
      assert.deepEqual(
        answer.items.map((i) => [i.feature, i.importance, i.rank]),
        [
          ['b_age', 2, 1],
          ['a_amount', 1, 2],
        ],
      );
    });

    test('hostile matrices: lying .npy headers and Parquet footers upload, with no importances and the reason', async () => {
      const header = (text: string, declaredLength?: number) => {
        const length = Buffer.alloc(2);
        length.writeUInt16LE(declaredLength ?? text.length);
        return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), length, Buffer.from(text, 'latin1')]);
      };
      const hostile: Array<[string, Buffer, RegExp]> = [
        // A trillion columns declared, 16 bytes sent: bounded columns tracked, the count checked.
        [
          'wide.npy',
          Buffer.concat([header(`{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1000000000000), }\n`), Buffer.alloc(16)]),
          /declares 2 × 1000000000000 values; the file holds 2/,
        ],
        // A header length past the end of the file.
        ['cut.npy', header("{'descr': '<f8'", 60_000), /header is incomplete/],
        [
          'fortran.npy',
          Buffer.concat([header(`{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }\n`), Buffer.alloc(8)]),
          /Fortran order/,
        ],
        ['lies.parquet', hostileParquet({ chunkLength: 1 << 30 }), /Parquet matrix could not be read/],
        ['rows.parquet', hostileParquet({ declaredRows: 1e12 }), /Parquet matrix could not be read/],
      ];
      const model = ids.m3 as string;
      for (const [name, bytes, reason] of hostile) {
        const created = await json<{ id: string; importances: { source: null; reason: string } }>(
          await upload(`${app.baseUrl}/explanations`, [
            field('model', model),
            field('method', 'audit'),
            file(name, bufferFile(bytes)),
          ]),
          201,
        );
        assert.equal(created.importances.source, null, name);
        assert.match(created.importances.reason, reason, name);
        const read = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${created.id}/importances`));
        assert.deepEqual(read.items, [], name);
      }
    });

    test('two explanations of one model uploaded at once: each gets its own importances', async () => {
      const [first, second] = await Promise.all(
        [V1, V3].map((values) =>
          upload(`${app.baseUrl}/explanations`, [
            field('model', ids.m1 as string),
            field('method', 'race'),
            file('s.csv', matrix(values)),
          ]),
        ),
      );
      for (const [response, values] of [
        [first, V1],
        [second, V3],
      ] as const) {
        const created = await json<{ id: string }>(response as Response, 201);
        const answer = await json<Importances>(await fetch(`${app.baseUrl}/explanations/${created.id}/importances`));
        assert.deepEqual(Object.fromEntries(answer.items.map((i) => [i.feature, i.importance])), {
          a_amount: meanAbs(values.a_amount),
          b_age: meanAbs(values.b_age),
          c_card: meanAbs(values.c_card),
        });
      }
    });

    test('refused features fields keep nothing', async () => {
      const before = await snapshot(app);
      for (const features of [
        Array.from({ length: 10_001 }, (_, index) => `f${index}`).join(','),
        '[',
        '[["nested"]]',
        '["ok", ""]',
      ]) {
        const refused = await upload(`${app.baseUrl}/explanations`, [
          field('model', ids.m1 as string),
          field('method', 'shap'),
          field('features', features),
          file('shap_values.npy', npy([[1]])),
        ]);
        await expectProblem(refused, 400, 'validation_failed');
      }
      assert.deepEqual(await snapshot(app), before);
    });

    test('bad input: a clear 4xx, nothing changed', async () => {
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.e1}/importances?top=0`), 400, 'validation_failed');
      await expectProblem(await fetch(`${app.baseUrl}/explanations/${ids.e1}/importances?top=abc`), 400, 'validation_failed');
      await expectProblem(await fetch(`${app.baseUrl}/explanations/not-a-uuid/importances`), 400, 'validation_failed');
      await expectProblem(
        await fetch(`${app.baseUrl}/explanations/00000000-0000-4000-8000-000000000000/importances`),
        404,
        'explanation_not_found',
      );
      await expectProblem(await fetch(`${app.baseUrl}/datasets/nowhere/models/xgb/importances`), 404, 'dataset_not_found');
      await expectProblem(await fetch(`${app.baseUrl}/explanations?feature=a&maxRank=0`), 400, 'validation_failed');
      const alias = await sendJson(`${app.baseUrl}/datasets/fraud/models/xgb/aliases/importances`, 'PUT', { version: 1 });
      await expectProblem(alias, 400, 'invalid_alias');
    });
  });
}

importancesSuite('embedded');
importancesSuite('s3-postgres');

describe('importances belong to their owner', () => {
  test("another owner's explanation and model importances are 404", async (t) => {
    const { app, alice, bob, as } = await buildForTwoUsers(t);
    const { explanation } = await ownedExplanation(app, alice, { data: 'a\n1\n', shap: 'f\n1\n-1\n' });
    const get = (who: { key: string }, path: string) => fetch(`${app.baseUrl}${path}`, { headers: as(who) });
    assert.equal((await get(alice, `/explanations/${explanation.id}/importances`)).status, 200);
    await expectProblem(await get(bob, `/explanations/${explanation.id}/importances`), 404, 'explanation_not_found');
    await expectProblem(await get(bob, '/datasets/mine/models/m/importances'), 404, 'dataset_not_found');
    const filtered = await json<{ items: unknown[] }>(await get(bob, '/explanations?feature=f&maxRank=1'));
    assert.deepEqual(filtered.items, []);
  });
});
