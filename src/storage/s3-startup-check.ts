/**
 * At start, one request tells whether the bucket settings work. A definitive refusal (no such
 * bucket, an unknown key, a wrong secret, no access) stops the process with one line naming the
 * variable, so a misconfigured deploy never goes live answering 503 to every upload; an
 * unreachable endpoint is retried for a while, as it may be a passing network fault.
 */
import { ListObjectsV2Command, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ConfigError } from '../config.ts';

/** What each definitive answer means, by the S3 error code. */
const causes: Record<string, string> = {
  NoSuchBucket: 'R2_BUCKET_NAME names no bucket at this endpoint (NoSuchBucket)',
  InvalidAccessKeyId: 'R2_ACCESS_KEY_ID is not a key this endpoint knows (InvalidAccessKeyId)',
  SignatureDoesNotMatch: 'R2_SECRET_ACCESS_KEY does not belong to R2_ACCESS_KEY_ID (SignatureDoesNotMatch)',
  AccessDenied:
    'the R2_ACCESS_KEY_ID token may not read R2_BUCKET_NAME (AccessDenied): give it Object Read & Write on the bucket',
  InvalidBucketName: 'R2_BUCKET_NAME is not a valid bucket name (3-63 lowercase letters, digits and hyphens)',
};

export async function checkBucketAtStart(
  client: S3Client,
  bucket: string,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 10;
  let lastNetworkError = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      // A GET (not HEAD): its error body carries the code that says which setting is wrong.
      await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), { abortSignal: AbortSignal.timeout(10_000) });
      return;
    } catch (error) {
      if (error instanceof S3ServiceException) {
        const cause =
          causes[error.name] ?? `the bucket check was refused (${error.name}, HTTP ${error.$metadata.httpStatusCode})`;
        throw new ConfigError(`Cannot start: ${cause}`);
      }
      lastNetworkError = (error as { code?: string; name?: string }).code ?? (error as Error).name ?? 'error';
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 3000));
  }
  throw new ConfigError(
    `Cannot start: the storage endpoint (R2_ENDPOINT_URL or R2_ACCOUNT_ID) did not answer after ${attempts} tries (${lastNetworkError})`,
  );
}
