/** The SDK client for an S3-compatible store (R2, S3, MinIO), built one way wherever one is needed. */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientConfig {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export function createS3Client(config: S3ClientConfig, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // The SDK's default CRC checksums break streamed uploads on several S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Transient errors on a part are retried by the SDK (standard mode, with backoff).
    maxAttempts: options.maxAttempts ?? 3,
    // Fail fast on a dead endpoint; a socket with no progress for a minute is dead too.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}
