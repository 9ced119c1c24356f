// Picks the blob store for the configured storage URL.
import { join, resolve } from 'node:path';
import { type Config, ConfigError } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { DiskBlobStore } from './disk.js';
import { S3BlobStore } from './s3.js';

export * from './blob-store.js';
export { DiskBlobStore } from './disk.js';
export { S3BlobStore, type S3BlobStoreOptions, s3ClientConfig } from './s3.js';

/**
 * The directory of a file:// storage URL. loadConfig() builds its default by plain concatenation, so the
 * rest is taken as a literal path (not percent-decoded); a relative one resolves against the cwd.
 */
export function diskRoot(storageUrl: string): string {
  const path = storageUrl.slice('file://'.length);
  if (!path) throw new ConfigError('file:// storage URL needs a directory');
  return resolve(path);
}

export function createBlobStore(config: Config): BlobStore {
  const url = config.storageUrl;
  if (url.startsWith('file://')) return new DiskBlobStore(diskRoot(url));
  if (url.startsWith('s3://')) {
    if (!config.s3) throw new ConfigError('s3:// storage needs S3 settings');
    return new S3BlobStore(config.s3, { tempDir: join(config.dataDir, 'tmp') });
  }
  throw new ConfigError(`unsupported storage URL: ${url}`);
}
