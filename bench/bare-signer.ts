/**
 * The baseline for the download-URL rate: a bare Fastify route that only presigns a GET URL
 * with the SDK (getSignedUrl), as the API did before it signed links itself; and, to show what
 * that change saves, the same route signing with the API's S3LinkSigner. Prints its address.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import Fastify from 'fastify';
import { createS3Client } from '../src/storage/s3-client.ts';
import { S3LinkSigner } from '../src/storage/s3-link-signer.ts';

const config = JSON.parse(process.env.S3_CONFIG ?? '{}') as {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
};
const client = createS3Client({ ...config, region: 'auto', forcePathStyle: true });
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
const direct = new S3LinkSigner({ ...config, region: 'auto', forcePathStyle: true }, client.config.sha256);
app.get('/sign-direct', async () => {
  const url = await direct.sign('datasets/bench/file.csv', {
    expiresInSeconds: 900,
    filename: 'file.csv',
    contentType: 'text/csv',
  });
  return { url };
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
