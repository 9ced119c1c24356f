// An in-process S3-compatible server for tests: s3rver on 127.0.0.1, an ephemeral port and a temp directory.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  configureBuckets: { name: string }[];
}

interface Ctx {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
}

interface S3rverInstance {
  middleware: ((ctx: Ctx, next: () => Promise<void>) => Promise<void> | void)[];
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

// s3rver ships no types; it is CommonJS.
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: S3rverOptions) => S3rverInstance;

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** the server's storage directory */
  directory: string;
  /** ids of multipart uploads that were neither completed nor aborted */
  pendingUploads(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'mediary-test'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'mediary-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  // s3rver 3.7 stores multipart uploads under <bucket>/._S3rver_uploads/<uploadId> but does not
  // implement AbortMultipartUpload (DELETE ?uploadId answers MethodNotAllowed). Answer it here like S3
  // does, so that the store's clean-up after a failed multipart upload is exercised and observable.
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && typeof uploadId === 'string' && ctx.path.startsWith(`/${bucket}/`)) {
      if (!/^[0-9a-f]+$/.test(uploadId)) {
        ctx.status = 404;
        return;
      }
      await rm(join(uploadsDir, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    async pendingUploads() {
      try {
        return await readdir(uploadsDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
