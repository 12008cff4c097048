/**
 * A stand-in for Supabase Auth on 127.0.0.1: a real HTTP server publishing a JWKS at
 * /auth/v1/.well-known/jwks.json, and helpers that sign access tokens the way Supabase does
 * (ES256 with a kid, or the legacy HS256 secret), plus tokens that must be refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export interface TestIdentity {
  supabaseUrl: string;
  jwtSecret: string;
  /** A signed-in user's access token (ES256, from the JWKS). */
  userToken(sub: string, claims?: JWTPayload & { expiresIn?: string | number }): Promise<string>;
  /** The same, signed with the legacy HS256 secret. */
  legacyToken(sub: string): Promise<string>;
  /** Signed by a key the JWKS does not publish, under the published kid. */
  forgedToken(sub: string): Promise<string>;
  /** `alg: none`, unsigned. */
  unsignedToken(sub: string): string;
  jwksRequests(): number;
  close(): Promise<void>;
}

export async function startIdentity(): Promise<TestIdentity> {
  const kid = `key-${randomBytes(4).toString('hex')}`;
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const attacker = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  let requests = 0;
  const server = http.createServer((request, response) => {
    if (request.url === '/auth/v1/.well-known/jwks.json') {
      requests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const supabaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${supabaseUrl}/auth/v1`;
  const jwtSecret = randomBytes(32).toString('base64url');

  const base = (sub: string, claims: JWTPayload & { expiresIn?: string | number } = {}) => {
    const { expiresIn, ...rest } = claims;
    return new SignJWT({ role: 'authenticated', ...rest })
      .setSubject(sub)
      .setIssuer(typeof rest.iss === 'string' ? rest.iss : issuer)
      .setAudience(typeof rest.aud === 'string' ? rest.aud : 'authenticated')
      .setIssuedAt()
      .setExpirationTime(expiresIn ?? '1h');
  };

  return {
    supabaseUrl,
    jwtSecret,
    userToken: (sub, claims) => base(sub, claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey),
    legacyToken: (sub) => base(sub).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(jwtSecret)),
    forgedToken: (sub) => base(sub).setProtectedHeader({ alg: 'ES256', kid }).sign(attacker.privateKey),
    unsignedToken: (sub) => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub, aud: 'authenticated', iss: issuer, iat: now, exp: now + 3600 })}.`;
    },
    jwksRequests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An API key and its API_KEYS entry. */
export function apiKey(name: string, role: 'user' | 'admin', ownerId?: string): { key: string; entry: string } {
  const key = `xai_${randomBytes(24).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  return { key, entry: `${name}:${role}:${hash}${ownerId ? `:${ownerId}` : ''}` };
}
