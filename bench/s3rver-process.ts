/** s3rver in a process of its own, so the benchmarked API process is measured alone. Prints its config as JSON. */
import { startS3Server } from '../test/support/s3-server.ts';

const server = await startS3Server({ ...(process.env.S3RVER_DIR ? { directory: process.env.S3RVER_DIR } : {}) });
process.stdout.write(`${JSON.stringify(server.config)}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
