/**
 * Who is calling: a Supabase user (access token verified locally with jose: asymmetric keys
 * from the project's JWKS, cached and refreshed on an unknown kid, or the legacy HS256
 * secret) or a machine with an API key (compared by SHA-256 in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.ts';
import { PRINCIPAL_ID, type Principal } from '../domain.ts';
import { AppError } from '../errors.ts';

/** Supabase puts `authenticated` in the aud of signed-in users' access tokens. */
export const SUPABASE_AUDIENCE = 'authenticated';
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

let jose: Promise<typeof import('jose')> | undefined;
/** jose loads with the first access token to verify: servers that only see API keys never hold it. */
const loadJose = () => {
  jose ??= import('jose');
  return jose;
};

export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}

export class Authenticator {
  readonly #config: AuthConfig;
  /** The project's key set, made with the first asymmetric token (it is fetched and cached then). */
  #jwks: JWTVerifyGetKey | undefined;
  readonly #hsKey: Uint8Array | undefined;

  constructor(config: AuthConfig) {
    this.#config = config;
    this.#hsKey = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(credentials.authorization ?? '')?.[1];
    if (credentials.authorization !== undefined && bearer === undefined) {
      throw unauthenticated('The Authorization header must be "Bearer <token or API key>".');
    }
    const presented = bearer ?? credentials.apiKey;
    if (!presented) throw unauthenticated('Sign in: send Authorization: Bearer <Supabase access token or API key>.');
    // A JWT has three base64url parts; anything else can only be an API key.
    return /^[\w-]+\.[\w-]*\.[\w-]*$/.test(presented) ? this.#verifyToken(presented) : this.#verifyApiKey(presented);
  }

  #verifyApiKey(key: string): Principal {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let match: Principal | undefined;
    // Compare against every key, whatever matches first, so timing tells nothing.
    for (const candidate of this.#config.apiKeys) {
      if (timingSafeEqual(digest, candidate.sha256) && !match) match = { id: candidate.ownerId, role: candidate.role };
    }
    if (!match) throw unauthenticated('The API key is not valid.');
    return match;
  }

  async #verifyToken(token: string): Promise<Principal> {
    const { createRemoteJWKSet, decodeProtectedHeader, errors: joseErrors, jwtVerify } = await loadJose();
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthenticated('The access token is malformed.');
    }
    const symmetric = algorithm === 'HS256';
    if (!symmetric && this.#config.jwksUrl) {
      this.#jwks ??= createRemoteJWKSet(new URL(this.#config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    }
    const key = symmetric ? this.#hsKey : this.#jwks;
    if (!key) throw unauthenticated(`Access tokens signed with ${algorithm ?? 'no algorithm'} are not accepted here.`);
    try {
      const { payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        algorithms: symmetric ? ['HS256'] : ASYMMETRIC_ALGORITHMS,
        audience: SUPABASE_AUDIENCE,
        ...(this.#config.issuer ? { issuer: this.#config.issuer } : {}),
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
        throw unauthenticated('The access token has no subject.');
      }
      // Subjects become owner ids: only the characters user ids are made of (never '*' or spaces).
      if (!PRINCIPAL_ID.test(payload.sub)) {
        throw unauthenticated('The access token subject has characters a user id never has.');
      }
      return { id: payload.sub, role: 'user' };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
        throw new AppError('auth_unavailable', 'The sign-in key set could not be fetched; try again shortly.', { cause: error });
      }
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The access token has expired; refresh the session.');
      throw unauthenticated('The access token is not valid.', error);
    }
  }
}

function unauthenticated(message: string, cause?: unknown): AppError {
  return new AppError('unauthenticated', message, cause === undefined ? undefined : { cause });
}
