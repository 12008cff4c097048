import { Readable } from 'node:stream';
import { S3Storage } from '../src/storage/s3-storage.ts';
import { startS3Server } from '../test/support/s3-server.ts';
const s3 = await startS3Server();
const storage = new S3Storage(s3.config as never);
const data = Buffer.alloc(20 * 1024 * 1024, 7);
await storage.put('k/obj.bin', Readable.from([data]), { contentType: 'application/octet-stream' } as never);
const signer = (storage as unknown as { links?: unknown });
async function timeIt(label: string, fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); await fn(); times.push(performance.now() - t0); }
  times.sort((a, b) => a - b);
  console.log(label, times.map((t) => t.toFixed(0)).join(' '));
}
const N = 123, SZ = 64 * 1024;
await timeIt('sdk readRange x123 64KiB', () => Promise.all(Array.from({ length: N }, (_, i) => storage.readRange('k/obj.bin', i * 150000, i * 150000 + SZ))));
await timeIt('sdk readRange x123 serial', async () => { for (let i = 0; i < N; i++) await storage.readRange('k/obj.bin', i * 150000, i * 150000 + SZ); });
const url = await storage.downloadUrl('k/obj.bin', { expiresInSeconds: 600, filename: 'x', contentType: 'application/octet-stream' } as never).catch((e) => String(e));
console.log(typeof url === 'string' ? url.slice(0, 80) : url);
if (typeof url === 'string' && url.startsWith('http')) {
  await timeIt('fetch presigned x123', () => Promise.all(Array.from({ length: N }, async (_, i) => Buffer.from(await (await fetch(url, { headers: { range: `bytes=${i * 150000}-${i * 150000 + SZ - 1}` } })).arrayBuffer()))));
}
await storage.close(); await s3.close();
