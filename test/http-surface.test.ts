/**
 * What browsers and API tools see: CORS (allowed origins only, preflight cached, the useful
 * headers exposed), security headers, /openapi.json and /openapi.yaml, and Swagger UI.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { appFor } from './support/app.ts';

describe('CORS and security headers', () => {
  const app = appFor({ backend: 'embedded', env: { CORS_ORIGINS: 'https://xai.example.org, http://localhost:5173' } });

  test('a preflight from an allowed origin is answered and cached; others get no CORS headers', async () => {
    const preflight = await fetch(`${app.baseUrl}/datasets`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);

    const stranger = await fetch(`${app.baseUrl}/datasets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
  });

  test('responses expose Content-Disposition, Location, Retry-After and the request id to allowed origins', async () => {
    const response = await fetch(`${app.baseUrl}/datasets`, { headers: { origin: 'https://xai.example.org' } });
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://xai.example.org');
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    for (const header of ['content-disposition', 'etag', 'location', 'retry-after', 'x-request-id'])
      assert.ok(exposed.includes(header), header);
    assert.ok(response.headers.get('x-request-id'));
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test('the OpenAPI document is served as JSON and YAML, and Swagger UI answers at /docs', async () => {
    const json = (await (await fetch(`${app.baseUrl}/openapi.json`)).json()) as {
      openapi: string;
      info: { version: string };
      components: { securitySchemes: object };
    };
    assert.equal(json.openapi, '3.1.0');
    assert.ok('bearerAuth' in json.components.securitySchemes);
    const yaml = await fetch(`${app.baseUrl}/openapi.yaml`);
    assert.match(yaml.headers.get('content-type') ?? '', /yaml/);
    assert.match(await yaml.text(), /^openapi: 3\.1\.0/);
    const docs = await fetch(`${app.baseUrl}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
  });

  test('CORS_ORIGINS is either * or origins', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, ['*']);
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.throws(() => loadConfig({ CORS_ORIGINS: '*, https://a.example' }), ConfigError);
    assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' }), /must be origins/);
  });
});
