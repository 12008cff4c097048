/**
 * /models and /explanations over a real socket on both backends: the life cycle with
 * lineage, version allocation under concurrency, refused input, metric sorting. Every check
 * looks at stored bytes (SHA-256 through download URLs), object keys and rows.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Explanation } from '../src/explanations/schema.ts';
import type { Model } from '../src/models/schema.ts';
import { appFor, type Backend } from './support/app.ts';
import { eventually, expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, digestResponse, patternFile } from './support/data.ts';
import { sendJson } from './support/json-request.ts';
import { field, file, type Part, upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

/** What the API answers, typed by the schemas it is serialized with. */
type ModelBody = Model;
type ExplanationBody = Explanation;

function suite(backend: Backend) {
  describe(`models and explanations on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend });
    const url = (path: string) => `${app.baseUrl}${path}`;

    async function createDataset(name: string): Promise<string> {
      const response = await upload(url('/datasets'), [field('name', name), file('train.csv', bufferFile('a,b\n1,2\n'))]);
      assert.equal(response.status, 201);
      return ((await response.json()) as { id: string }).id;
    }

    async function createModel(parts: Part[]): Promise<ModelBody> {
      const response = await upload(url('/models'), parts);
      const text = await response.text();
      assert.equal(response.status, 201, text);
      return JSON.parse(text) as ModelBody;
    }

    async function downloadDigest(path: string): Promise<string> {
      const link = (await (await fetch(url(path))).json()) as { url: string; sha256: string };
      const bytes = await fetch(link.url);
      assert.equal(bytes.status, 200);
      const { sha256 } = await digestResponse(bytes);
      assert.equal(sha256, link.sha256);
      return sha256;
    }

    test('life cycle: dataset, model v1 and v2, explanations of v2, latest, cascade delete leaves storage empty', async () => {
      await createDataset('ieee-cis-fraud');
      const pickle = patternFile(7 * MiB, 'xgb-v1');
      const v1 = await createModel([
        field('dataset', 'ieee-cis-fraud'),
        field('name', 'xgboost'),
        field('framework', 'xgboost'),
        field('metrics', '{"accuracy":0.95,"auc":0.91}'),
        field('params', '{"max_depth":6,"eta":0.1}'),
        field('tags', 'baseline'),
        file('xgboost_v1.pkl', pickle),
      ]);
      assert.equal(v1.version, 1);
      assert.equal(v1.format, 'pickle');
      assert.equal(v1.safeToLoad, false);
      assert.deepEqual(v1.metrics, { accuracy: 0.95, auc: 0.91 });
      assert.deepEqual(v1.params, { max_depth: 6, eta: 0.1 });
      assert.equal(v1.sha256, pickle.sha256);
      assert.equal(v1.dataset.name, 'ieee-cis-fraud');

      const json = bufferFile('{"learner":{"gradient_booster":{}}}');
      // No framework given: XGBoost's own JSON format implies it.
      const v2 = await createModel([
        field('dataset', 'ieee-cis-fraud'),
        field('name', 'xgboost'),
        field('metrics', '{"auc":0.93}'),
        file('model.json', json),
      ]);
      assert.equal(v2.version, 2);
      assert.equal(v2.framework, 'xgboost');
      assert.equal(v2.format, 'xgboost-json');
      assert.equal(v2.safeToLoad, true);

      const shapValues = patternFile(2 * MiB, 'shap');
      const shapResponse = await upload(url('/explanations'), [
        field('model', v2.id),
        field('method', 'shap'),
        field('params', '{"nsamples":500}'),
        field('summary', '{"TransactionAmt":0.31,"card1":0.12}'),
        file('shap_values.npy', shapValues),
      ]);
      assert.equal(shapResponse.status, 201, await shapResponse.clone().text());
      const shap = (await shapResponse.json()) as ExplanationBody;
      assert.deepEqual(shap.summary, { TransactionAmt: 0.31, card1: 0.12 });
      assert.deepEqual(shap.model, { id: v2.id, name: 'xgboost', version: 2 });
      assert.equal(shap.dataset.name, 'ieee-cis-fraud');
      const limeHtml = bufferFile('<html><body>LIME</body></html>');
      const lime = (await (
        await upload(url('/explanations'), [field('model', v2.id), field('method', 'lime'), file('lime.html', limeHtml)])
      ).json()) as ExplanationBody;

      const latest = (await (await fetch(url('/datasets/ieee-cis-fraud/models/xgboost/latest'))).json()) as ModelBody;
      assert.equal(latest.id, v2.id);
      assert.equal(latest.version, 2);
      assert.deepEqual(latest.explanations?.map((item) => item.method).sort(), ['lime', 'shap']);
      assert.equal(latest.dependants.explanations, 2);

      const dataset = (await (await fetch(url('/datasets/ieee-cis-fraud'))).json()) as { dependants: Record<string, number> };
      assert.deepEqual(dataset.dependants, { models: 2, explanations: 2 });

      assert.equal(await downloadDigest(`/models/${v1.id}/download`), pickle.sha256);
      assert.equal(await downloadDigest(`/models/${v2.id}/download`), json.sha256);
      assert.equal(await downloadDigest(`/explanations/${shap.id}/download`), shapValues.sha256);
      assert.equal(await downloadDigest(`/explanations/${lime.id}/download`), limeHtml.sha256);

      const keys = await app.objectKeys();
      assert.equal(keys.length, 5);
      assert.ok(keys.includes(`models/ieee-cis-fraud/xgboost/v1-${v1.id}/xgboost_v1.pkl`), keys.join('\n'));
      assert.ok(keys.includes(`explanations/ieee-cis-fraud/xgboost-v2/shap/${shap.id}/shap_values.npy`), keys.join('\n'));

      const listed = (await (await fetch(url(`/explanations?model=${v2.id}&method=shap`))).json()) as {
        items: ExplanationBody[];
      };
      assert.deepEqual(
        listed.items.map((item) => item.id),
        [shap.id],
      );
      const byDataset = (await (await fetch(url('/explanations?dataset=ieee-cis-fraud'))).json()) as { items: ExplanationBody[] };
      assert.equal(byDataset.items.length, 2);

      const before = await snapshot(app);
      await expectProblem(await fetch(url(`/models/${v2.id}`), { method: 'DELETE' }), 409, 'model_in_use');
      await expectProblem(await fetch(url('/datasets/ieee-cis-fraud'), { method: 'DELETE' }), 409, 'dataset_in_use');
      assert.deepEqual(await snapshot(app), before);

      assert.equal((await fetch(url('/datasets/ieee-cis-fraud?cascade=true'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
      assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
      await expectProblem(await fetch(url(`/models/${v1.id}`)), 404, 'model_not_found');
      await expectProblem(await fetch(url(`/explanations/${shap.id}`)), 404, 'explanation_not_found');
    });

    test('twenty concurrent uploads of one name get versions 1 to 20, no gap, no duplicate', async () => {
      await createDataset('give-me-some-credit');
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          upload(url('/models'), [
            field('dataset', 'give-me-some-credit'),
            field('name', 'random_forest'),
            field('framework', 'sklearn'),
            field('metrics', JSON.stringify({ auc: 0.8 + index / 1000 })),
            file('rf.joblib', patternFile(64 * 1024 + index, `rf-${index}`)),
          ]),
        ),
      );
      const bodies = await Promise.all(
        responses.map(async (response) => {
          assert.equal(response.status, 201);
          return (await response.json()) as ModelBody;
        }),
      );
      assert.deepEqual(
        bodies.map((body) => body.version).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, index) => index + 1),
      );
      assert.equal(
        (await app.objectKeys()).filter((key) => key.startsWith('models/give-me-some-credit/random_forest/')).length,
        20,
      );
      const latest = (await (await fetch(url('/datasets/give-me-some-credit/models/random_forest/latest'))).json()) as ModelBody;
      assert.equal(latest.version, 20);
      assert.equal((await fetch(url('/datasets/give-me-some-credit?cascade=true'), { method: 'DELETE' })).status, 204);
    });

    test('sorting by a metric, both directions, across pages; models without it come last', async () => {
      await createDataset('sorting');
      const aucs = [0.7, 0.9, null, 0.8, 0.95];
      const created: ModelBody[] = [];
      for (const [index, auc] of aucs.entries()) {
        created.push(
          await createModel([
            field('dataset', 'sorting'),
            field('name', `m${index}`),
            field('metrics', JSON.stringify(auc === null ? { accuracy: 0.5 } : { auc })),
            file('m.onnx', bufferFile(`onnx-${index}`)),
          ]),
        );
      }
      async function walk(order: string): Promise<Array<number | undefined>> {
        const seen: Array<number | undefined> = [];
        let cursor: string | null = null;
        do {
          const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
          const response = await fetch(url(`/models?dataset=sorting&sort=metrics.auc&order=${order}&limit=2${query}`));
          assert.equal(response.status, 200);
          const page = (await response.json()) as { items: ModelBody[]; nextCursor: string | null };
          seen.push(...page.items.map((item) => item.metrics.auc));
          cursor = page.nextCursor;
        } while (cursor);
        return seen;
      }
      assert.deepEqual(await walk('desc'), [0.95, 0.9, 0.8, 0.7, undefined]);
      assert.deepEqual(await walk('asc'), [0.7, 0.8, 0.9, 0.95, undefined]);
      const newest = (await (await fetch(url('/models?dataset=sorting&limit=2'))).json()) as {
        items: ModelBody[];
        nextCursor: string;
      };
      assert.deepEqual(
        newest.items.map((item) => item.name),
        ['m4', 'm3'],
      );
      // A cursor belongs to the sort it was made for.
      await expectProblem(
        await fetch(url(`/models?dataset=sorting&sort=metrics.auc&cursor=${newest.nextCursor}`)),
        400,
        'invalid_cursor',
      );
      await expectProblem(await fetch(url('/models?sort=name')), 400, 'validation_failed');
      const patched = await sendJson(url(`/models/${created[2]?.id}`), 'PATCH', { metrics: { auc: 0.99 }, tags: ['best'] });
      assert.equal(patched.status, 200);
      assert.deepEqual(((await patched.json()) as ModelBody).metrics, { auc: 0.99 });
      assert.deepEqual(await walk('desc'), [0.99, 0.95, 0.9, 0.8, 0.7]);
      await expectProblem(
        await sendJson(url(`/models/${created[2]?.id}`), 'PATCH', '{"metrics":{"auc":"high"}}'),
        400,
        // The rule of metrics answers the same for a PATCH body as for a form field.
        'invalid_json_field',
      );
      assert.equal((await fetch(url('/datasets/sorting?cascade=true'), { method: 'DELETE' })).status, 204);
    });

    test('descriptive fields may follow the file, as Swagger UI sends them; they are stored', async () => {
      const created = await upload(url('/datasets'), [field('name', 'late-fields')]);
      assert.equal(created.status, 201);
      const model = await createModel([
        field('dataset', 'late-fields'),
        field('name', 'xgboost'),
        field('sha256', ''),
        file('model.json', bufferFile('{"learner":{}}')),
        field('description', 'XGBoost on the German credit data'),
        field('framework', 'sklearn'),
        field('metrics', '{"auc":0.91}'),
        field('params', '{"max_depth":6}'),
        field('tags', 'credit'),
        field('tags', 'xgboost'),
      ]);
      assert.equal(model.description, 'XGBoost on the German credit data');
      assert.equal(model.framework, 'sklearn', 'a framework given after the file wins over the one the format implies');
      assert.deepEqual(model.metrics, { auc: 0.91 });
      assert.deepEqual(model.params, { max_depth: 6 });
      assert.deepEqual(model.tags, ['credit', 'xgboost']);
      const stored = (await (await fetch(url(`/models/${model.id}`))).json()) as ModelBody;
      assert.deepEqual(stored.metrics, { auc: 0.91 });
      const explanation = await upload(url('/explanations'), [
        field('model', model.id),
        field('method', 'shap'),
        file('shap.json', bufferFile('{}')),
        field('summary', '{"duration":0.4,"age":0.2}'),
        field('description', 'SHAP values of the test split'),
      ]);
      assert.equal(explanation.status, 201, await explanation.clone().text());
      const body = (await explanation.json()) as ExplanationBody & { description: string };
      assert.deepEqual(body.summary, { duration: 0.4, age: 0.2 });
      assert.equal(body.description, 'SHAP values of the test split');
      assert.equal((await fetch(url('/datasets/late-fields?cascade=true'), { method: 'DELETE' })).status, 204);
    });

    test('metrics, params and summaries come back with their keys in the order sent, however they arrive', async () => {
      // Orders jsonb would change: it stores shorter keys first. A SHAP summary listed by importance stays so.
      const metrics = '{"auc":0.91,"accuracy":0.88,"f1":0.7}';
      const params = '{"n_estimators":400,"max_depth":6,"eta":0.1}';
      const summary = '{"TransactionAmt":0.31,"card1":0.12,"addr1":0.05,"nested":{"zeta":1,"alpha":2}}';
      await createDataset('key-order');
      const before = await createModel([
        field('dataset', 'key-order'),
        field('name', 'xgb'),
        field('metrics', metrics),
        field('params', params),
        file('model.json', bufferFile('{"learner":{}}')),
      ]);
      const after = await createModel([
        field('dataset', 'key-order'),
        field('name', 'xgb'),
        file('model.json', bufferFile('{"learner":{}}')),
        field('metrics', metrics),
        field('params', params),
      ]);
      for (const model of [before, after]) {
        assert.equal(JSON.stringify(model.metrics), metrics);
        assert.equal(JSON.stringify(model.params), params);
        const stored = (await (await fetch(url(`/models/${model.id}`))).json()) as ModelBody;
        assert.equal(JSON.stringify(stored.metrics), metrics);
        assert.equal(JSON.stringify(stored.params), params);
      }
      const [row] = await app.sql<{ metrics: string }>('select metrics::text as metrics from models where id = $1', [before.id]);
      assert.equal(row?.metrics, metrics, 'stored as sent');
      const listed = (await (await fetch(url('/models?dataset=key-order&sort=metrics.auc'))).json()) as { items: ModelBody[] };
      assert.deepEqual(
        listed.items.map((model) => JSON.stringify(model.metrics)),
        [metrics, metrics],
      );
      const patched = await sendJson(url(`/models/${before.id}`), 'PATCH', '{"metrics":{"recall":0.6,"auc":0.92}}');
      assert.equal(patched.status, 200);
      assert.equal(JSON.stringify(((await patched.json()) as ModelBody).metrics), '{"recall":0.6,"auc":0.92}');

      const explained = await upload(url('/explanations'), [
        field('model', after.id),
        field('method', 'shap'),
        file('shap.json', bufferFile('{}')),
        field('summary', summary),
        field('params', params),
      ]);
      assert.equal(explained.status, 201, await explained.clone().text());
      const explanation = (await explained.json()) as ExplanationBody & { params: object };
      assert.equal(JSON.stringify(explanation.summary), summary);
      assert.equal(JSON.stringify(explanation.params), params);
      const listedExplanations = (await (await fetch(url(`/explanations?model=${after.id}`))).json()) as {
        items: ExplanationBody[];
      };
      assert.equal(JSON.stringify(listedExplanations.items[0]?.summary), summary);
      const reordered = await sendJson(
        url(`/explanations/${explanation.id}`),
        'PATCH',
        '{"summary":{"card1":0.2,"TransactionAmt":0.1}}',
      );
      assert.equal(reordered.status, 200);
      const fetched = (await (await fetch(url(`/explanations/${explanation.id}`))).json()) as ExplanationBody;
      assert.equal(JSON.stringify(fetched.summary), '{"card1":0.2,"TransactionAmt":0.1}');
      assert.equal((await fetch(url('/datasets/key-order?cascade=true'), { method: 'DELETE' })).status, 204);
    });

    test('refused model and explanation uploads answer clearly and change nothing', async () => {
      await createDataset('refusals');
      const model = await createModel([
        field('dataset', 'refusals'),
        field('name', 'logistic_regression'),
        file('lr.pkl', bufferFile('pickle')),
      ]);
      const pendingId = randomUUID();
      const dataset = (await (await fetch(url('/datasets/refusals'))).json()) as { id: string };
      await app.sql(
        `insert into models (id, owner_id, dataset_id, name, version, format, safe_to_load, key_prefix, state)
         values ($1, 'local', $2, 'pending_model', 1, 'pickle', false, $3, 'pending')`,
        [pendingId, dataset.id, `models/refusals/pending_model/v1-${pendingId}/`],
      );
      const small = bufferFile('x');
      const modelFields = (extra: Part[]) => [field('dataset', 'refusals'), field('name', 'neural_net'), ...extra];
      const cases: Array<{ label: string; parts: Part[]; path: string; status: number; code: string; field?: string }> = [
        {
          label: 'bad JSON metrics',
          path: '/models',
          parts: modelFields([field('metrics', '{auc: 0.9'), file('n.h5', small)]),
          status: 400,
          code: 'invalid_json_field',
          field: 'metrics',
        },
        {
          label: 'metrics not numbers',
          path: '/models',
          parts: modelFields([field('metrics', '{"auc":"0.9"}'), file('n.h5', small)]),
          status: 400,
          code: 'invalid_json_field',
          field: 'metrics',
        },
        {
          label: 'params not an object',
          path: '/models',
          parts: modelFields([field('params', '[1,2]'), file('n.h5', small)]),
          status: 400,
          code: 'invalid_json_field',
          field: 'params',
        },
        {
          label: 'missing dataset',
          path: '/models',
          parts: [field('dataset', 'no-such-dataset'), field('name', 'x'), file('n.h5', small)],
          status: 404,
          code: 'dataset_not_found',
        },
        {
          label: 'no name',
          path: '/models',
          parts: [field('dataset', 'refusals'), file('n.h5', small)],
          status: 400,
          code: 'missing_field',
        },
        {
          label: 'bad metrics after the file',
          path: '/models',
          parts: modelFields([file('n.onnx', small), field('metrics', '{"auc":"high"}')]),
          status: 400,
          code: 'invalid_json_field',
        },
        {
          label: 'a description both before and after the file',
          path: '/models',
          parts: modelFields([field('description', 'one'), file('n.onnx', small), field('description', 'two')]),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'bad framework',
          path: '/models',
          parts: modelFields([field('framework', 'caffe'), file('n.h5', small)]),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'a second file outside the version',
          path: '/models',
          parts: modelFields([file('a.onnx', small), file('../b.onnx', small)]),
          status: 400,
          code: 'invalid_path',
        },
        { label: 'no file', path: '/models', parts: modelFields([]), status: 400, code: 'missing_file' },
        {
          label: 'unsupported model file',
          path: '/models',
          parts: modelFields([file('model.exe', small)]),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'a field that places the file, after it',
          path: '/models',
          parts: [field('dataset', 'refusals'), field('name', 'nn'), file('a.onnx', small), field('name', 'other')],
          status: 400,
          code: 'field_after_file',
        },
        {
          label: 'checksum mismatch',
          path: '/models',
          parts: modelFields([field('sha256', 'f'.repeat(64)), file('a.onnx', small)]),
          status: 422,
          code: 'checksum_mismatch',
        },
        {
          label: 'explanation of a missing model',
          path: '/explanations',
          parts: [field('model', randomUUID()), field('method', 'shap'), file('s.json', small)],
          status: 404,
          code: 'model_not_found',
        },
        {
          label: 'explanation of a pending model',
          path: '/explanations',
          parts: [field('model', pendingId), field('method', 'shap'), file('s.json', small)],
          status: 422,
          code: 'model_not_ready',
        },
        {
          label: 'model id not a uuid',
          path: '/explanations',
          parts: [field('model', 'xgboost'), field('method', 'shap'), file('s.json', small)],
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'bad summary JSON',
          path: '/explanations',
          parts: [field('model', model.id), field('method', 'shap'), field('summary', 'nope'), file('s.json', small)],
          status: 400,
          code: 'invalid_json_field',
          field: 'summary',
        },
        {
          label: 'summary over 256 KiB',
          path: '/explanations',
          parts: [
            field('model', model.id),
            field('method', 'shap'),
            field('summary', JSON.stringify({ big: 'x'.repeat(300 * 1024) })),
            file('s.json', small),
          ],
          status: 413,
          code: 'field_too_large',
        },
        {
          label: 'bad method',
          path: '/explanations',
          parts: [field('model', model.id), field('method', 'SHAP!'), file('s.json', small)],
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'unsupported explanation file',
          path: '/explanations',
          parts: [field('model', model.id), field('method', 'shap'), file('s.exe', small)],
          status: 415,
          code: 'unsupported_media_type',
        },
      ];
      for (const item of cases) {
        const before = await snapshot(app);
        const problem = await expectProblem(await upload(url(item.path), item.parts), item.status, item.code).catch(
          (error: Error) => {
            throw new Error(`${item.label}: ${error.message}`);
          },
        );
        if (item.field) {
          assert.equal(problem.field, item.field, `${item.label} names the field`);
          assert.match(String(problem.detail), new RegExp(item.field));
        }
        assert.deepEqual(await snapshot(app), before, `${item.label} changed what is stored`);
      }
      await expectProblem(await fetch(url('/datasets/refusals/models/neural_net/latest')), 404, 'model_not_found');
      await expectProblem(await fetch(url(`/models/${pendingId}/download`)), 404, 'model_not_found');
      await app.sql('delete from models where id = $1', [pendingId]);
      assert.equal((await fetch(url('/datasets/refusals?cascade=true'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
    });

    test('a model version can be a folder and an explanation several files: each file stored, listed and downloadable', async () => {
      await createDataset('folders');
      const mlmodel = bufferFile('artifact_path: model\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n');
      const pickle = patternFile(3 * MiB + 17, 'mlflow-pickle');
      const conda = bufferFile('name: env\ndependencies:\n  - scikit-learn=1.5\n');
      const model = (await createModel([
        field('dataset', 'folders'),
        field('name', 'random_forest'),
        field('metrics', '{"auc":0.88}'),
        file('model/MLmodel', mlmodel),
        file('model/model.pkl', pickle),
        field('path', 'model/conda.yaml'),
        file('environment', conda),
      ])) as ModelBody & { files: Array<{ id: string; path: string; size: number; sha256: string }>; filename: string | null };
      assert.equal(model.format, 'mlflow');
      assert.equal(model.safeToLoad, false, 'the folder holds a pickle');
      assert.equal(model.filename, null);
      assert.equal(model.size, mlmodel.size + pickle.size + conda.size);
      assert.deepEqual(
        model.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
        [
          { path: 'model/MLmodel', size: mlmodel.size, sha256: mlmodel.sha256 },
          { path: 'model/conda.yaml', size: conda.size, sha256: conda.sha256 },
          { path: 'model/model.pkl', size: pickle.size, sha256: pickle.sha256 },
        ],
      );
      for (const stored of model.files) {
        assert.equal(await downloadDigest(`/models/${model.id}/files/${stored.id}/download`), stored.sha256);
      }
      const keys = await app.objectKeys();
      for (const path of ['model/MLmodel', 'model/model.pkl', 'model/conda.yaml']) {
        assert.ok(keys.includes(`models/folders/random_forest/v1-${model.id}/${path}`), keys.join('\n'));
      }
      const whole = await expectProblem(await fetch(url(`/models/${model.id}/download`)), 409, 'multiple_files');
      assert.deepEqual(
        (whole.files as Array<{ path: string }>).map((item) => item.path),
        ['model/MLmodel', 'model/conda.yaml', 'model/model.pkl'],
      );
      const [fileOfModel] = model.files;
      assert.ok(fileOfModel);
      await expectProblem(await fetch(url(`/models/${randomUUID()}/files/${fileOfModel.id}/download`)), 404, 'model_not_found');

      const values = patternFile(2 * MiB + 5, 'shap-values');
      const summary = bufferFile('{"TransactionAmt":0.31}');
      const response = await upload(url('/explanations'), [
        field('model', model.id),
        field('method', 'shap'),
        file('shap_values.parquet', values),
        file('summary.json', summary),
      ]);
      assert.equal(response.status, 201, await response.clone().text());
      const explanation = (await response.json()) as ExplanationBody & {
        files: Array<{ id: string; path: string; sha256: string }>;
      };
      assert.deepEqual(
        explanation.files.map(({ path, sha256 }) => ({ path, sha256 })),
        [
          { path: 'shap_values.parquet', sha256: values.sha256 },
          { path: 'summary.json', sha256: summary.sha256 },
        ],
      );
      for (const stored of explanation.files) {
        assert.equal(await downloadDigest(`/explanations/${explanation.id}/files/${stored.id}/download`), stored.sha256);
      }
      await expectProblem(await fetch(url(`/explanations/${explanation.id}/download`)), 409, 'multiple_files');
      // A file of another version is not one of this one's.
      await expectProblem(
        await fetch(url(`/explanations/${explanation.id}/files/${fileOfModel.id}/download`)),
        404,
        'file_not_found',
      );
      // A single-file model still answers on /download, and lists its one file.
      const single = (await createModel([
        field('dataset', 'folders'),
        field('name', 'random_forest'),
        file('rf.joblib', bufferFile('joblib')),
      ])) as ModelBody & { files: Array<{ path: string }>; filename: string };
      assert.equal(single.version, 2);
      assert.equal(single.filename, 'rf.joblib');
      assert.deepEqual(
        single.files.map((item) => item.path),
        ['rf.joblib'],
      );
      assert.equal(await downloadDigest(`/models/${single.id}/download`), bufferFile('joblib').sha256);

      assert.equal((await fetch(url('/datasets/folders?cascade=true'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
      assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
    });

    test('a multi-file version failing mid-way leaves storage and rows exactly as before', async () => {
      await createDataset('half-folders');
      const model = await createModel([
        field('dataset', 'half-folders'),
        field('name', 'kept'),
        file('m.onnx', bufferFile('onnx')),
      ]);
      const before = await snapshot(app);
      const folder = (last: Part[]) => [
        field('dataset', 'half-folders'),
        field('name', 'sharded'),
        file('model-00001-of-00002.safetensors', patternFile(2 * MiB, 'shard-1')),
        file('model-00002-of-00002.safetensors', patternFile(2 * MiB, 'shard-2')),
        ...last,
      ];
      const failures: Array<{ label: string; parts: Part[]; path?: string; status: number; code: string }> = [
        {
          label: 'a wrong SHA-256 on the third file',
          parts: folder([
            field('sha256', 'ab'.repeat(32)),
            file('model.safetensors.index.json', bufferFile('{"weight_map":{}}')),
          ]),
          status: 422,
          code: 'checksum_mismatch',
        },
        {
          label: 'an unaccepted third file',
          parts: folder([file('run.sh', bufferFile('#!/bin/sh'))]),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'two files at one path',
          parts: folder([file('model-00001-of-00002.safetensors', bufferFile('again'))]),
          status: 409,
          code: 'file_exists',
        },
        {
          label: 'a support file first',
          parts: [field('dataset', 'half-folders'), field('name', 'sharded'), file('conda.yaml', bufferFile('name: env'))],
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'an explanation whose second file is refused',
          path: '/explanations',
          parts: [
            field('model', model.id),
            field('method', 'shap'),
            file('values.npy', patternFile(MiB, 'npy')),
            file('notes.exe', bufferFile('x')),
          ],
          status: 415,
          code: 'unsupported_media_type',
        },
      ];
      for (const failure of failures) {
        await expectProblem(await upload(url(failure.path ?? '/models'), failure.parts), failure.status, failure.code).catch(
          (error: Error) => {
            throw new Error(`${failure.label}: ${error.message}`);
          },
        );
        await eventually(async () => assert.deepEqual(await snapshot(app), before, `${failure.label} left something behind`));
      }
      const next = await createModel(folder([file('model.safetensors.index.json', bufferFile('{"weight_map":{}}'))]));
      assert.equal(next.version, 1, 'no version number was taken by a failed upload');
      assert.equal(next.format, 'safetensors');
      assert.equal(next.safeToLoad, true);
      assert.equal((await fetch(url('/datasets/half-folders?cascade=true'), { method: 'DELETE' })).status, 204);
    });
  });
}

suite('embedded');
suite('s3-postgres');
