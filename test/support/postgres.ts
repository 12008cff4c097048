/**
 * A fresh database per test file on the Postgres server named by TEST_DATABASE_URL
 * (.ci/run starts one). Without it, the Postgres variants of suites skip, saying so.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const postgresSkipReason = process.env.TEST_DATABASE_URL
  ? undefined
  : 'TEST_DATABASE_URL is not set: no Postgres server to test against (.ci/run starts one)';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error(postgresSkipReason);
  const name = `xai_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
