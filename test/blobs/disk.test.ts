import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBlobStore } from '../../src/blobs/disk.js';
import { blobStoreContract, listDir } from './contract.js';

blobStoreContract('disk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mediary-disk-blobs-'));
  return {
    store: new DiskBlobStore(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
    leftovers: async () => (await listDir(join(root, '.tmp'))).map((f) => `.tmp/${f}`),
  };
});
