/** Checks the suites share: problem details, what is stored, and waiting for cleanup. */
import assert from 'node:assert/strict';
import type { TestApp } from './app.ts';

/** The answer is problem details with this status and code (and a request id); returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = await response.text();
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${body}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = JSON.parse(body) as Record<string, unknown>;
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.requestId, 'string');
  return problem;
}

/** The JSON body of a response that must have this status (the body is in the message otherwise). */
export async function answer<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

/** What storage and metadata hold, to compare before and after a refused request. */
export async function snapshot(app: TestApp) {
  return { keys: await app.objectKeys(), rows: await app.rowCounts(), incomplete: await app.incompleteUploads() };
}

/** Cleanup after a refusal or a disconnect runs on the server after the client left: wait for it. */
export async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
