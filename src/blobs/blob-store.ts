// Where file bytes live. Keys are derived by the server (project id / file id), never from user paths.
import type { Readable } from 'node:stream';

export interface BlobStat {
  size: number;
  modified: Date;
}

export interface ByteRange {
  /** first byte, inclusive */
  start: number;
  /** last byte, inclusive */
  end: number;
}

export interface PutOptions {
  contentType?: string;
  /** refuse (and leave nothing behind) when the stream carries more bytes than this */
  maxBytes?: number;
}

export interface BlobStore {
  readonly kind: 'disk' | 's3';
  /** Writes atomically: a reader sees the old object or the complete new one, never a partial one. */
  put(key: string, body: Readable, opts?: PutOptions): Promise<{ size: number }>;
  /** Moves (or uploads) a finished local file into the store under key; the local file is consumed. */
  putFile(key: string, localPath: string, opts?: PutOptions): Promise<{ size: number }>;
  /** A stream of the whole object or of one inclusive byte range. Throws BlobNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<BlobStat | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** The keys under a prefix that ends with "/" (see partsPrefix), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes every key under a prefix that ends with "/"; nothing there is not an error. */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * A local path holding the object's bytes, for tools that need a file (ffmpeg, ffprobe).
   * cleanup() removes any temporary copy; for the disk store it is a no-op.
   */
  localFile(key: string): Promise<{ path: string; cleanup: () => Promise<void> }>;
  /** For S3 delivery by redirect: a presigned GET URL; undefined where the store cannot make one. */
  presignedGetUrl?(key: string, expiresSeconds: number, contentType?: string): Promise<string>;
}

export class BlobNotFoundError extends Error {
  constructor(key: string) {
    super(`blob not found: ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobTooLargeError extends Error {
  constructor(limit: number) {
    super(`blob exceeds ${limit} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** Keys are made of ids only; this guards the invariant at the boundary. */
export function assertSafeKey(key: string): void {
  if (
    !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) ||
    key.split('/').some((p) => p === '.' || p === '..')
  ) {
    throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
  }
}

/** A prefix for list/deletePrefix: a safe key followed by "/". */
export function assertSafePrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new Error(`blob prefix must end with "/": ${JSON.stringify(prefix)}`);
  assertSafeKey(prefix.slice(0, -1));
}

/**
 * Where the parts of a file made of several objects (an HLS package: playlists and segments) live: beside
 * the file's own key, never under it, because on disk a key cannot be a file and a directory at once.
 */
export function partsPrefix(fileKey: string): string {
  return `${fileKey}.parts/`;
}

/** The key of one part (`name` may have slashes: "720p/seg_00001.m4s"). */
export function partKey(fileKey: string, name: string): string {
  const key = `${partsPrefix(fileKey)}${name}`;
  assertSafeKey(key);
  return key;
}
