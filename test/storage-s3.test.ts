import { S3Storage } from '../src/storage/s3-storage.ts';
import { storageContract } from './storage-contract.ts';
import { startS3Server } from './support/s3-server.ts';

storageContract('s3 (s3rver over HTTP)', async () => {
  const server = await startS3Server();
  const storage = new S3Storage(server.config);
  return {
    storage,
    baseUrl: 'http://unused.invalid',
    async close() {
      await storage.close();
      await server.stop();
    },
  };
});
