import { readFile } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { MediaError } from './errors.js';

/** sharp's own default ceiling (16383²); a configured limit usually lowers it. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

export interface ImageLimits {
  maxPixels?: number;
}

let sharpConfigured = false;

/**
 * Process-wide sharp settings. The operation cache is off because a server sees each file once and the
 * cache would hold file descriptors and memory for nothing.
 */
export function configureSharp(opts: { concurrency?: number } = {}): void {
  sharp.cache(false);
  if (opts.concurrency) sharp.concurrency(opts.concurrency);
  sharpConfigured = true;
}

function ensureSharp(): void {
  if (!sharpConfigured) configureSharp();
}

export interface ImageMeta {
  /** sharp's decoder name: jpeg, png, webp, gif, avif, heif, tiff … */
  format: string;
  /** true for HEVC-coded HEIF, which sharp's bundled libvips reads headers of but cannot decode */
  heic: boolean;
  /** as displayed, after EXIF orientation */
  width: number;
  height: number;
  /** as stored, before EXIF orientation */
  storedWidth: number;
  storedHeight: number;
  /** EXIF orientation tag 1–8 (1 when absent) */
  exifOrientation: number;
  hasAlpha: boolean;
  pages: number;
  /** per-frame delays in ms for animated images */
  delays?: number[];
}

/** Header-only read: never decodes pixels, so it is safe to call before limits are checked. */
export async function imageMetadata(path: string): Promise<ImageMeta> {
  ensureSharp();
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (err) {
    const heif = await heifHeader(path).catch(() => null);
    if (heif) return heif;
    throw new MediaError('corrupt_media', 'The image could not be read.', { cause: err });
  }
  const pages = meta.pages ?? 1;
  const storedWidth = meta.width;
  // multi-page images report the whole strip; one page is what a viewer shows
  const storedHeight = pages > 1 && meta.pageHeight ? meta.pageHeight : meta.height;
  const exifOrientation = meta.orientation ?? 1;
  const swap = exifOrientation >= 5 && exifOrientation <= 8;
  return {
    format: meta.format,
    heic: meta.format === 'heif' && meta.compression !== 'av1',
    width: swap ? storedHeight : storedWidth,
    height: swap ? storedWidth : storedHeight,
    storedWidth,
    storedHeight,
    exifOrientation,
    hasAlpha: meta.hasAlpha,
    pages,
    delays: pages > 1 ? meta.delay : undefined,
  };
}

async function heifHeader(path: string): Promise<ImageMeta | null> {
  const { default: decode } = await import('heic-decode');
  const images = await decode.all({ buffer: await readFile(path) });
  try {
    const first = images[0];
    if (!first) return null;
    return {
      format: 'heif',
      heic: true,
      width: first.width,
      height: first.height,
      storedWidth: first.width,
      storedHeight: first.height,
      exifOrientation: 1,
      hasAlpha: false,
      pages: 1,
    };
  } finally {
    images.dispose();
  }
}

export function checkPixels(width: number, height: number, limits: ImageLimits = {}): void {
  const max = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > max) {
    throw new MediaError(
      'too_large',
      `The image is ${width}×${height} (${Math.round((width * height) / 1e6)} megapixels); the limit is ${Math.round(max / 1e6)} megapixels.`,
    );
  }
}

/**
 * Decodes HEVC-coded HEIF with the wasm libheif (orientation already applied by libheif) into a sharp
 * pipeline. Call only after the pixel limit was checked: this allocates the full RGBA image.
 */
async function heicToSharp(path: string): Promise<Sharp> {
  const { default: decode } = await import('heic-decode');
  let img: { width: number; height: number; data: Uint8ClampedArray };
  try {
    img = await decode({ buffer: await readFile(path) });
  } catch (err) {
    throw new MediaError('corrupt_media', 'The HEIC image could not be decoded.', { cause: err });
  }
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 4 },
  });
}

/** A sharp pipeline for the file, EXIF orientation applied; HEIC goes through the wasm decoder. */
async function openImage(path: string, meta: ImageMeta, opts: { animated?: boolean } = {}): Promise<Sharp> {
  ensureSharp();
  if (meta.heic) return heicToSharp(path);
  return sharp(path, {
    // the header was checked against the configured limit already; this is a backstop
    limitInputPixels: Math.max(meta.storedWidth * meta.storedHeight * Math.max(meta.pages, 1), 1),
    failOn: 'error',
    animated: opts.animated ?? false,
  }).rotate();
}

/**
 * Decodes the image at a small size to prove the pixel data is intact (headers of a truncated file
 * still read fine). JPEG shrink-on-load keeps this cheap for large photos.
 */
export async function verifyImage(path: string, meta: ImageMeta): Promise<void> {
  try {
    const img = await openImage(path, meta);
    await img.resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError('corrupt_media', 'The image data is damaged or incomplete.', { cause: err });
  }
}
