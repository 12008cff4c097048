import { storageContract } from './storage-contract.ts';
import { startApp } from './support/app.ts';

// Filesystem download links are served by the API itself: the contract runs against a real server.
storageContract('filesystem', async () => {
  const app = await startApp({ backend: 'embedded' });
  return { storage: app.services.storage, baseUrl: app.baseUrl, close: () => app.close() };
});
