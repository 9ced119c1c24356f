// S3 blob store: objects live in one bucket under a key prefix. Uploads stream through lib-storage's
// multipart Upload (bounded memory: about partSize × (queueSize + 1)); S3 makes the object visible only
// when PutObject or CompleteMultipartUpload succeeds, so readers never see a partial object.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from '../config.js';
import {
  assertSafeKey,
  assertSafePrefix,
  BlobNotFoundError,
  type BlobStat,
  type BlobStore,
  BlobTooLargeError,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';

const MB = 1024 * 1024;

export interface S3BlobStoreOptions {
  /** where localFile() puts its temporary copies */
  tempDir: string;
  /** multipart part size in bytes (S3 minimum 5 MB); default 8 MB */
  partSize?: number;
  /** parts uploaded concurrently; default 2 */
  queueSize?: number;
  /** extra S3Client settings, merged over the ones derived from S3Settings */
  clientConfig?: S3ClientConfig;
}

/**
 * The S3Client settings for a bucket. Checksums are only calculated or validated when an operation
 * requires them: newer SDKs otherwise send CRC32 trailers with `aws-chunked` encoding, which many
 * S3-compatible servers (MinIO forks, s3rver, older Ceph) do not understand and may even store verbatim.
 */
export function s3ClientConfig(settings: S3Settings): S3ClientConfig {
  const { accessKeyId, secretAccessKey } = settings;
  return {
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A missing object (not a missing bucket, which is a configuration error worth surfacing). */
function isMissingObject(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return httpStatus(err) === 404 && name !== 'NoSuchBucket';
}

/**
 * The requested range of a ranged GetObject body. Servers do not all honour Range: some send the whole
 * object (200 without Content-Range) and s3rver answers `bytes=0-0` with everything from byte 0.
 */
export function trimToRange(body: Readable, range: ByteRange, contentRange: string | undefined): Readable {
  let first = 0;
  const m = contentRange ? /^bytes (\d+)-(\d+)\//.exec(contentRange) : null;
  if (m) {
    first = Number(m[1]);
    if (first === range.start && Number(m[2]) <= range.end) return body;
  }
  if (first > range.start) {
    body.destroy();
    throw new Error(`S3 answered range ${range.start}-${range.end} with ${contentRange}`);
  }
  let skip = range.start - first;
  let remaining = range.end - range.start + 1;
  return Readable.from(
    (async function* () {
      // leaving the loop early destroys the body and frees its socket
      for await (const chunk of body as AsyncIterable<Buffer>) {
        let part = chunk;
        if (skip > 0) {
          const n = Math.min(skip, part.length);
          skip -= n;
          part = part.subarray(n);
        }
        if (part.length > remaining) part = part.subarray(0, remaining);
        remaining -= part.length;
        if (part.length) yield part;
        if (remaining === 0) return;
      }
    })(),
    { objectMode: false },
  );
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly tempDir: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(settings: S3Settings, opts: S3BlobStoreOptions) {
    this.client = new S3Client({ ...s3ClientConfig(settings), ...opts.clientConfig });
    this.bucket = settings.bucket;
    this.prefix = settings.prefix.replace(/^\/+|\/+$/g, '');
    this.tempDir = opts.tempDir;
    this.partSize = Math.max(opts.partSize ?? 8 * MB, 5 * MB);
    this.queueSize = Math.max(opts.queueSize ?? 2, 1);
  }

  /** The object key in the bucket. */
  objectKey(key: string): string {
    assertSafeKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<{ size: number }> {
    let objectKey: string;
    try {
      objectKey = this.objectKey(key);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const limit = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > limit) cb(new BlobTooLargeError(limit));
        else cb(null, chunk);
      },
    });
    // an error of the source (or the limit) destroys both streams; Upload sees it while reading
    const counted = pipeline(body, counter, () => {});
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      params: { Bucket: this.bucket, Key: objectKey, Body: counted, ContentType: opts.contentType },
    });
    try {
      await upload.done();
    } catch (err) {
      // Upload has aborted the multipart upload by now; should that abort fail, its error would hide
      // the cause, so report what went wrong with the source first
      const cause = counter.errored ?? err;
      counted.destroy();
      throw cause;
    }
    return { size };
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<{ size: number }> {
    this.objectKey(key);
    const st = await stat(localPath);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
    const result = await this.put(key, createReadStream(localPath), opts);
    await rm(localPath, { force: true });
    return result;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(res.Body instanceof Readable)) throw new Error(`S3 GetObject returned no stream for ${key}`);
      return range ? trimToRange(res.Body, range, res.ContentRange) : res.Body;
    } catch (err) {
      if (isMissingObject(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { size: res.ContentLength ?? 0, modified: res.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (!isMissingObject(err)) throw err;
    }
  }

  /** Object keys (without the store's prefix) under `prefix`, page by page. */
  private async *listPages(prefix: string): AsyncGenerator<string[]> {
    assertSafePrefix(prefix);
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }),
      );
      yield (res.Contents ?? []).flatMap((o) => (o.Key ? [o.Key.slice(strip)] : []));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.listPages(prefix)) out.push(...page);
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    // a page holds at most 1000 keys, which is also DeleteObjects' limit
    for await (const page of this.listPages(prefix)) {
      if (page.length === 0) continue;
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: page.map((k) => ({ Key: this.objectKey(k) })), Quiet: true },
        }),
      );
      const failed = res.Errors?.filter((e) => e.Code !== 'NoSuchKey') ?? [];
      if (failed.length > 0) {
        throw new Error(`S3 could not delete ${failed.length} objects under ${prefix}: ${failed[0].Message}`);
      }
    }
  }

  async localFile(key: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
    this.objectKey(key);
    await mkdir(this.tempDir, { recursive: true });
    const dir = await mkdtemp(join(this.tempDir, 'blob-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    // keep the key's last segment: tools such as ffmpeg look at the extension
    const path = join(dir, basename(key));
    try {
      await pipelineAsync(await this.get(key), createWriteStream(path));
    } catch (err) {
      await cleanup();
      throw err;
    }
    return { path, cleanup };
  }

  async presignedGetUrl(key: string, expiresSeconds: number, contentType?: string): Promise<string> {
    const Key = this.objectKey(key);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key, ResponseContentType: contentType });
    return getSignedUrl(this.client, command, { expiresIn: expiresSeconds });
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}
