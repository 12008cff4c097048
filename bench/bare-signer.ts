/**
 * The baseline for the download-URL rate: a bare Fastify route that only signs a GET URL with
 * the same S3 client settings the API uses. Prints its address.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import Fastify from 'fastify';

const config = JSON.parse(process.env.S3_CONFIG ?? '{}') as {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
};
const client = new S3Client({
  region: 'auto',
  endpoint: config.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const app = Fastify();
app.get('/sign', async () => {
  const url = await getSignedUrl(
    client,
    new GetObjectCommand({
      Bucket: config.bucket,
      Key: 'datasets/bench/file.csv',
      ResponseContentDisposition: 'attachment; filename="file.csv"',
    }),
    { expiresIn: 900 },
  );
  return { url };
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
