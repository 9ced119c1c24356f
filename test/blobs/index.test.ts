import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskBlobStore } from '../../src/blobs/disk.js';
import { createBlobStore, diskRoot } from '../../src/blobs/index.js';
import { S3BlobStore } from '../../src/blobs/s3.js';
import { loadConfig } from '../../src/config.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { readAll } from './contract.js';

let dataDir: string;
let server: TestS3Server;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mediary-blob-index-'));
  server = await startS3Server('index-bucket');
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('createBlobStore', () => {
  it('uses the disk store for the default file:// URL', async () => {
    const store = createBlobStore(loadConfig({ MEDIARY_DATA_DIR: dataDir }));
    expect(store).toBeInstanceOf(DiskBlobStore);
    expect(store.kind).toBe('disk');
    await store.put('p/f', Readable.from([Buffer.from('on disk')]));
    expect((await readFile(join(dataDir, 'blobs', 'p', 'f'))).toString()).toBe('on disk');
  });

  it('takes file:// paths literally', () => {
    expect(diskRoot('file:///srv/media blobs/100%')).toBe('/srv/media blobs/100%');
  });

  it('uses the S3 store for s3:// with the prefix and a temp dir under the data dir', async () => {
    const config = loadConfig({
      MEDIARY_DATA_DIR: dataDir,
      MEDIARY_STORAGE_URL: `s3://${server.bucket}/media/`,
      MEDIARY_S3_ENDPOINT: server.endpoint,
      MEDIARY_S3_ACCESS_KEY_ID: server.accessKeyId,
      MEDIARY_S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    });
    const store = createBlobStore(config);
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.kind).toBe('s3');
    const s3 = store as S3BlobStore;
    try {
      expect(s3.objectKey('p/f')).toBe('media/p/f');
      await store.put('p/f', Readable.from([Buffer.from('in s3')]));
      expect((await readAll(await store.get('p/f'))).toString()).toBe('in s3');
      const local = await store.localFile('p/f');
      expect(local.path.startsWith(join(dataDir, 'tmp') + '/')).toBe(true);
      expect((await readFile(local.path)).toString()).toBe('in s3');
      await local.cleanup();
    } finally {
      s3.destroy();
    }
  });
});
