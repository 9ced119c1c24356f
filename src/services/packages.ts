// Files made of several objects (an HLS package): the file's own blob is the entry point (the master
// playlist) and its parts live beside it under `{blob key}.parts/` (blobs/ partsPrefix). Storing and deleting
// go through here so that every way a file goes (task output, file delete, media delete, a failed finish)
// takes its parts with it.
import { type BlobStore, partKey, partsPrefix } from '../blobs/blob-store.js';
import { HLS_MIME } from '../media/hls.js';
import type { OutputSpec } from '../runners/runner.js';

/** Parts are uploaded a few at a time: S3 latency dominates small segments, disk renames are instant. */
const PART_CONCURRENCY = 4;

/** A file whose bytes are a package entry point (its parts are stored beside it). */
export function hasParts(file: { type: string }): boolean {
  return file.type.split(';')[0].trim() === HLS_MIME;
}

/**
 * Stores an output's bytes under `blobKey` and its parts beside it, each streamed from its local file
 * (nothing of the package is held in memory). Returns the bytes stored in all.
 */
export async function storeOutputBlobs(blobs: BlobStore, blobKey: string, spec: OutputSpec): Promise<number> {
  const parts = spec.parts ?? [];
  let total = 0;
  try {
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const part = parts[next++];
        const { size } = await blobs.putFile(partKey(blobKey, part.name), part.localPath, {
          contentType: part.type,
        });
        total += size;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, parts.length) }, worker));
    // the entry point last: a package is complete once its master playlist exists
    const { size } = await blobs.putFile(blobKey, spec.localPath, { contentType: spec.type });
    return total + size;
  } catch (err) {
    if (parts.length > 0) await blobs.deletePrefix(partsPrefix(blobKey)).catch(() => {});
    throw err;
  }
}

/** Deletes a file's bytes and, for a package, all of its parts. */
export async function deleteFileBlobs(
  blobs: BlobStore,
  file: { blob_key: string | null; type: string },
): Promise<void> {
  if (!file.blob_key) return;
  await blobs.delete(file.blob_key);
  if (hasParts(file)) await blobs.deletePrefix(partsPrefix(file.blob_key));
}
