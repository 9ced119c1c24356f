import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError } from '../../src/blobs/blob-store.js';
import { S3BlobStore, trimToRange } from '../../src/blobs/s3.js';
import type { S3Settings } from '../../src/config.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { blobStoreContract, listDir, patternBytes, patternStream, readAll } from './contract.js';

let server: TestS3Server;
let counter = 0;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server?.close();
});

function settings(prefix: string, overrides: Partial<S3Settings> = {}): S3Settings {
  return {
    bucket: server.bucket,
    prefix,
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    delivery: 'stream',
    ...overrides,
  };
}

async function makeStore(prefix: string, overrides: Partial<S3Settings> = {}) {
  const tempDir = await mkdtemp(join(tmpdir(), 'mediary-s3-tmp-'));
  const store = new S3BlobStore(settings(prefix, overrides), { tempDir });
  return {
    store,
    tempDir,
    cleanup: async () => {
      store.destroy();
      await rm(tempDir, { recursive: true, force: true });
    },
    leftovers: async () => [
      ...(await server.pendingUploads()).map((id) => `multipart upload ${id}`),
      ...(await listDir(tempDir)).map((f) => `temp ${f}`),
    ],
  };
}

// every test gets its own key prefix in the shared bucket
blobStoreContract('s3 (s3rver)', () => makeStore(`contract/${++counter}`));

describe('S3BlobStore', () => {
  it('asks for checksums only when an operation requires them', async () => {
    const { store, cleanup } = await makeStore('cfg');
    expect(await store.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await store.client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    await cleanup();
  });

  it('stores objects under the configured prefix and isolates prefixes', async () => {
    const a = await makeStore('/tenant-a/blobs/');
    const b = await makeStore('');
    try {
      await a.store.put('p/f', patternStream(10));
      expect(a.store.objectKey('p/f')).toBe('tenant-a/blobs/p/f');
      const head = await a.store.client.send(
        new HeadObjectCommand({ Bucket: server.bucket, Key: 'tenant-a/blobs/p/f' }),
      );
      expect(head.ContentLength).toBe(10);
      expect(await b.store.stat('p/f')).toBeNull();
      expect((await b.store.stat('tenant-a/blobs/p/f'))?.size).toBe(10);
      await b.store.delete('p/f');
      expect((await a.store.stat('p/f'))?.size).toBe(10);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('makes presigned GET URLs that serve the bytes with the requested content type', async () => {
    const { store, cleanup } = await makeStore('presign');
    try {
      await store.put('p/clip.mp4', patternStream(5000), { contentType: 'video/mp4' });
      const url = await store.presignedGetUrl('p/clip.mp4', 300, 'application/octet-stream');
      expect(url).toContain('X-Amz-Signature=');
      expect(url).toContain('X-Amz-Expires=300');
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(await res.arrayBuffer()).equals(await readAll(patternStream(5000)))).toBe(true);
      const plain = await fetch(await store.presignedGetUrl('p/clip.mp4', 300));
      expect(plain.headers.get('content-type')).toBe('video/mp4');
      await plain.arrayBuffer();
    } finally {
      await cleanup();
    }
  });

  it('does not mistake a missing bucket for a missing object', async () => {
    const { store, cleanup } = await makeStore('x', { bucket: 'no-such-bucket' });
    try {
      const err = await store.get('p/f').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(BlobNotFoundError);
      expect((err as Error).name).toBe('NoSuchBucket');
    } finally {
      await cleanup();
    }
  });
});

describe('test S3 server', () => {
  it('sees pending multipart uploads and answers AbortMultipartUpload', async () => {
    const { store, cleanup } = await makeStore('mpu');
    try {
      const { UploadId } = await store.client.send(
        new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'mpu/x' }),
      );
      expect(await server.pendingUploads()).toEqual([UploadId]);
      await store.client.send(
        new AbortMultipartUploadCommand({ Bucket: server.bucket, Key: 'mpu/x', UploadId }),
      );
      expect(await server.pendingUploads()).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('trimToRange', () => {
  const data = patternBytes(0, 1000);
  const chunks = () => Readable.from([data.subarray(0, 300), data.subarray(300, 700), data.subarray(700)]);

  it('passes a body through when the server honoured the range', async () => {
    const body = chunks();
    expect(trimToRange(body, { start: 0, end: 999 }, 'bytes 0-999/1000')).toBe(body);
    expect(trimToRange(body, { start: 0, end: 5000 }, 'bytes 0-999/1000')).toBe(body);
  });

  it('cuts the range out of a whole object sent without Content-Range', async () => {
    const got = await readAll(trimToRange(chunks(), { start: 250, end: 749 }, undefined));
    expect(got.equals(data.subarray(250, 750))).toBe(true);
  });

  it('cuts the range out of a longer range', async () => {
    const got = await readAll(trimToRange(chunks(), { start: 0, end: 0 }, 'bytes 0-999/1000'));
    expect(got.equals(data.subarray(0, 1))).toBe(true);
  });

  it('refuses a response that starts after the requested range', () => {
    expect(() => trimToRange(chunks(), { start: 10, end: 20 }, 'bytes 11-20/1000')).toThrow(/answered range/);
  });
});
