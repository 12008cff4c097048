/**
 * @fastify/multipart, streaming only (no attachFieldsToBody, nothing buffered or written to
 * disk). The file size limit sits one byte above the largest per-kind limit so that our own
 * meter, which knows the kind, always sees the overflow first.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function multipartPlugin(app: FastifyInstance) {
  const { limits } = app.services.config;
  await app.register(multipart, {
    // Keep folders in filenames: a dataset file's filename is its path inside the dataset.
    preservePath: true,
    limits: {
      fileSize: Math.max(limits.datasetFileBytes, limits.modelFileBytes, limits.explanationFileBytes) + 1,
      fieldSize: limits.fieldBytes,
      fieldNameSize: 100,
      fields: limits.parts,
      files: limits.parts,
      parts: limits.parts,
      headerPairs: 100,
    },
  });
}

export default fp(multipartPlugin, { name: 'multipart' });
