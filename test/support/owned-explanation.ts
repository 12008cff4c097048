/** One caller's dataset `mine`, its model `m` and an explanation of it, for owner-isolation tests. */
import type { TestApp } from './app.ts';
import { answer } from './checks.ts';
import { bufferFile } from './data.ts';
import { field, file, upload } from './multipart.ts';

export async function ownedExplanation(
  app: TestApp,
  owner: { key: string },
  files: { data: string; shap: string },
): Promise<{ model: { id: string }; explanation: { id: string } }> {
  const headers = { 'x-api-key': owner.key };
  await answer(
    await upload(`${app.baseUrl}/datasets`, [field('name', 'mine'), file('a.csv', bufferFile(files.data))], { headers }),
    201,
  );
  const model = await answer<{ id: string }>(
    await upload(`${app.baseUrl}/models`, [field('dataset', 'mine'), field('name', 'm'), file('m.json', bufferFile('{}'))], {
      headers,
    }),
    201,
  );
  const explanation = await answer<{ id: string }>(
    await upload(
      `${app.baseUrl}/explanations`,
      [field('model', model.id), field('method', 'shap'), file('s.csv', bufferFile(files.shap))],
      { headers },
    ),
    201,
  );
  return { model, explanation };
}
