import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { MediaError } from './errors.js';
import { extractFrame, type FrameGrabOptions } from './ffmpeg.js';
import {
  parseChoice,
  parseColor,
  parseFit,
  parsePosition,
  parseQuality,
  parseSize,
  type QualityLevel,
  type SizeValue,
} from './options.js';

/** sharp's own default ceiling (16383²); a configured limit usually lowers it. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

export interface ImageLimits {
  maxPixels?: number;
}

let sharpConfigured = false;

/**
 * Pixels whose decodes may be in flight at once in this process. An image's decode memory follows its
 * pixels, not its file size: an 8000×8000 PNG of one colour is 190 KB on disk and 192 MB decoded (a
 * full-size WebP of it peaks near 300 MB). Decodes larger than what is left of the budget wait for the
 * others, so two such tasks take turns instead of adding up; small images still run side by side.
 */
let decodeBudget = DEFAULT_MAX_PIXELS;
let inFlightPixels = 0;
let peakPixels = 0;
const budgetWaiters: (() => void)[] = [];

/**
 * Process-wide sharp settings, set on purpose at start (createContext):
 * - the libvips operation cache is off: a server sees each file once, and the cache would hold file
 *   descriptors and decoded pixels for nothing;
 * - `concurrency`: libvips threads per image; from `slots` (tasks at once), the cores shared among
 *   them and never more than sharp's own default (1 on glibc, whose arenas grow with threads);
 * - `decodePixelBudget`: see above; MEDIARY_MAX_PIXELS by default, so one image at the limit decodes
 *   alone.
 */
export function configureSharp(
  opts: { concurrency?: number; slots?: number; cores?: number; decodePixelBudget?: number } = {},
): void {
  sharp.cache(false);
  const threads =
    opts.concurrency ?? (opts.slots ? sharpThreads(opts.cores ?? availableParallelism(), opts.slots) : 0);
  if (threads) sharp.concurrency(threads);
  if (opts.decodePixelBudget && opts.decodePixelBudget > 0) decodeBudget = opts.decodePixelBudget;
  sharpConfigured = true;
}

const SHARP_DEFAULT_THREADS = sharp.concurrency();

/** libvips threads per image when `slots` tasks share `cores`: at least 1, at most sharp's default. */
export function sharpThreads(cores: number, slots: number): number {
  const share = Math.floor(Math.max(1, cores) / Math.max(1, slots));
  return Math.max(1, Math.min(SHARP_DEFAULT_THREADS, share));
}

/** The decode budget's state, for tests and metrics. */
export function imageDecodeStats(): {
  budgetPixels: number;
  inFlightPixels: number;
  peakPixels: number;
  resetPeak(): void;
} {
  return {
    budgetPixels: decodeBudget,
    inFlightPixels,
    peakPixels,
    resetPeak: () => {
      peakPixels = inFlightPixels;
    },
  };
}

/** Runs `work` once `pixels` fit in the decode budget (an image over the budget runs alone). */
async function withDecodeBudget<T>(pixels: number, work: () => Promise<T>): Promise<T> {
  const weight = Math.max(1, Math.min(pixels, decodeBudget));
  while (inFlightPixels > 0 && inFlightPixels + weight > decodeBudget) {
    await new Promise<void>((resolve) => budgetWaiters.push(resolve));
  }
  inFlightPixels += weight;
  peakPixels = Math.max(peakPixels, inFlightPixels);
  try {
    return await work();
  } finally {
    inFlightPixels -= weight;
    // every waiter checks again; those that still do not fit wait again
    for (const wake of budgetWaiters.splice(0)) wake();
  }
}

/** The pixels a decode of this image holds at most: every page, as stored. */
function decodePixels(meta: Pick<ImageMeta, 'storedWidth' | 'storedHeight' | 'pages'>): number {
  return meta.storedWidth * meta.storedHeight * Math.max(meta.pages, 1);
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
    throw new MediaError('media_corrupt', 'The image could not be read.', { cause: err });
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
      'media_too_large',
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
    throw new MediaError('media_corrupt', 'The HEIC image could not be decoded.', { cause: err });
  }
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 4 },
  });
}

/** A sharp pipeline for the file, EXIF orientation applied; HEIC goes through the wasm decoder. */
async function openImage(
  path: string,
  meta: ImageMeta,
  opts: { animated?: boolean; maxPixels?: number } = {},
): Promise<Sharp> {
  ensureSharp();
  if (meta.heic) return heicToSharp(path);
  return sharp(path, {
    // the header was checked against the configured limit (MEDIARY_MAX_PIXELS) already; libvips
    // enforces it again on what it actually decodes. Shrink-on-load (JPEG, WebP) is sharp's default
    // when a resize follows; PNG has none, which is why large decodes share the budget above.
    limitInputPixels: Math.max(opts.maxPixels ?? decodePixels(meta), 1),
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
    await withDecodeBudget(decodePixels(meta), async () => {
      const img = await openImage(path, meta);
      await img.resize(64, 64, { fit: 'inside' }).raw().toBuffer();
    });
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError('media_corrupt', 'The image data is damaged or incomplete.', { cause: err });
  }
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'avif', 'gif'];
const ALPHA_FORMATS = new Set<ImageFormat>(['png', 'webp', 'avif', 'gif']);
const ANIMATED_FORMATS = new Set<ImageFormat>(['webp', 'gif']);

export const IMAGE_MIME: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};
export const IMAGE_EXT: Record<ImageFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

export interface ImageOptions {
  width?: SizeValue;
  height?: SizeValue;
  fit?: string;
  position?: string;
  background?: string;
  format?: string;
  quality?: number | string;
}

export interface ImageOutput {
  width: number;
  height: number;
  format: ImageFormat;
  mime: string;
  ext: string;
  size: number;
  transparency: boolean;
  animated: boolean;
  frames: number;
}

const IMAGE_QUALITY: Record<QualityLevel, number> = {
  very_low: 30,
  low: 50,
  medium: 70,
  high: 85,
  very_high: 95,
};

export function imageQuality(value: number | string | undefined): number {
  const q = parseQuality(value);
  if (q === undefined) return 80;
  return typeof q === 'string' ? IMAGE_QUALITY[q] : q;
}

/**
 * The output format: the option (jpg accepted), else the input's own when it can be written, else
 * JPEG for HEIC (not writable here) and PNG for the rest (TIFF…).
 */
export function outputImageFormat(
  option: string | undefined,
  meta: Pick<ImageMeta, 'format' | 'heic'>,
): ImageFormat {
  const named = parseChoice('format', option, IMAGE_FORMATS, { jpg: 'jpeg' });
  if (named) return named;
  if (meta.heic) return 'jpeg';
  if (meta.format === 'heif') return 'avif';
  return IMAGE_FORMATS.includes(meta.format as ImageFormat) ? (meta.format as ImageFormat) : 'png';
}

const GRAVITY: Record<string, string> = {
  center: 'centre',
  top: 'north',
  bottom: 'south',
  left: 'west',
  right: 'east',
  'top-left': 'northwest',
  'top-right': 'northeast',
  'bottom-left': 'southwest',
  'bottom-right': 'southeast',
};

/**
 * Resizes/converts one image (spec §6.4 image). EXIF orientation is applied and metadata dropped;
 * animated GIF/WebP stay animated when the output format can animate. Limits are checked on the
 * header before any decoding.
 */
export async function transformImage(
  inPath: string,
  outPath: string,
  opts: ImageOptions = {},
  limits: ImageLimits = {},
  /** the input's header, when the caller has read it already */
  known?: ImageMeta,
): Promise<ImageOutput> {
  const meta = known ?? (await imageMetadata(inPath));
  checkPixels(meta.storedWidth, meta.storedHeight * meta.pages, limits);

  const format = outputImageFormat(opts.format, meta);
  const quality = imageQuality(opts.quality);
  let width = parseSize('width', opts.width, meta.width);
  let height = parseSize('height', opts.height, meta.height);
  // one side given: the other follows the displayed aspect ratio, whatever the fit
  if (width !== undefined && height === undefined)
    height = Math.max(1, Math.round((width * meta.height) / meta.width));
  if (height !== undefined && width === undefined)
    width = Math.max(1, Math.round((height * meta.width) / meta.height));
  const fit = parseFit(opts.fit, 'fill');
  const anchor = parsePosition(opts.position);
  const alphaOut = ALPHA_FORMATS.has(format);
  const given = opts.background ? parseColor('background', opts.background) : undefined;
  const background = given ?? (alphaOut ? { r: 0, g: 0, b: 0, alpha: 0 } : { r: 0, g: 0, b: 0, alpha: 1 });
  const animated = meta.pages > 1 && ANIMATED_FORMATS.has(format) && !meta.heic;

  // from the open to the last byte written: the decode holds its memory until the encoder is done
  return withDecodeBudget(decodePixels(meta), async () => {
    let img: Sharp;
    try {
      img = await openImage(inPath, meta, { animated, maxPixels: limits.maxPixels });
    } catch (err) {
      if (err instanceof MediaError) throw err;
      throw new MediaError('media_corrupt', 'The image could not be decoded.', { cause: err });
    }

    if (width !== undefined || height !== undefined) {
      img = img.resize({
        width,
        height,
        fit,
        position: GRAVITY[anchor.name],
        background,
      });
    }
    if (!alphaOut) {
      // JPEG has no alpha: transparent parts take the background colour (white unless one was given)
      img = img.flatten({ background: given ?? { r: 255, g: 255, b: 255 } });
    }

    switch (format) {
      case 'jpeg':
        img = img.jpeg({ quality, mozjpeg: true });
        break;
      case 'png':
        img = img.png({ compressionLevel: 9, effort: 4 });
        break;
      case 'webp':
        img = img.webp({ quality, effort: 4 });
        break;
      case 'avif':
        img = img.avif({ quality, effort: 2 });
        break;
      case 'gif':
        img = img.gif();
        break;
    }

    try {
      const info = await img.toFile(outPath);
      const frames = animated ? meta.pages : 1;
      return {
        width: info.width,
        height: animated ? Math.round(info.height / frames) : info.height,
        format,
        mime: IMAGE_MIME[format],
        ext: IMAGE_EXT[format],
        size: info.size,
        transparency: alphaOut && info.channels === 4,
        animated,
        frames,
      };
    } catch (err) {
      throw new MediaError('media_corrupt', 'The image could not be processed: it may be damaged.', {
        cause: err,
      });
    }
  });
}

/**
 * An image from a video frame (spec §6.4 image `start`): grabs the frame losslessly, then runs the
 * usual image transform on it. The default output format is JPEG.
 */
export async function imageFromVideo(
  inPath: string,
  outPath: string,
  atSeconds: number,
  opts: ImageOptions = {},
  limits: ImageLimits = {},
  run: FrameGrabOptions = {},
): Promise<ImageOutput> {
  const dir = await mkdtemp(join(dirname(outPath), '.frame-'));
  try {
    const frame = join(dir, 'frame.png');
    await extractFrame(inPath, frame, atSeconds, run);
    return await transformImage(frame, outPath, { ...opts, format: opts.format || 'jpeg' }, limits);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
