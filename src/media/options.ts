import { OptionError } from './errors.js';

/** Option parsing shared by the video, audio, image and thumbnail builders (spec §6.4). */

export type Fit = 'fill' | 'cover' | 'contain';
export const FITS: readonly Fit[] = ['fill', 'cover', 'contain'];

export type QualityLevel = 'very_low' | 'low' | 'medium' | 'high' | 'very_high';
export const QUALITY_LEVELS: readonly QualityLevel[] = ['very_low', 'low', 'medium', 'high', 'very_high'];

/** A size option: pixels, or "NN%" of the input. */
export type SizeValue = number | string;

/** The ranges a size option may take; the task schemas have the same (spec §6.4). */
export interface SizeLimits {
  /** whole pixels, 1 to this */
  maxPixels: number;
  /** whole percentages of the input, 1 to this */
  maxPercent: number;
}

/** Video and image outputs: up to 8192 pixels (the spec's longest edge) or 1–999% of the input. */
export const SIZE_LIMITS: SizeLimits = { maxPixels: 8192, maxPercent: 999 };

/** What the encoders write at most: a percentage of a large input still has to fit. */
export const MAX_OUTPUT_SIDE = 16384;

/** A parsed size option: pixels, or a percentage of the input side. */
export type Size = { px: number; percent?: undefined } | { percent: number; px?: undefined };

/**
 * Reads a width/height option: a whole number of pixels (also as text, "640" or "640px") or a whole
 * percentage ("50%"), each within `limits`. Returns undefined when the option is absent.
 */
export function parseSizeOption(
  name: string,
  value: SizeValue | undefined | null,
  limits: SizeLimits = SIZE_LIMITS,
): Size | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text?.endsWith('%')) {
    const percent = Number(text.slice(0, -1));
    if (!Number.isInteger(percent) || percent < 1 || percent > limits.maxPercent) {
      throw new OptionError(
        name,
        `${name} as a percentage must be a whole number from 1 to ${limits.maxPercent}%; got "${value}".`,
      );
    }
    return { percent };
  }
  const px =
    text === undefined
      ? Number(value)
      : /^\d+(\.\d+)?\s*(px)?$/.test(text)
        ? Number.parseFloat(text)
        : Number.NaN;
  if (!Number.isFinite(px)) {
    throw new OptionError(
      name,
      `${name} must be a number of pixels or a percentage like "50%"; got "${value}".`,
    );
  }
  if (!Number.isInteger(px) || px < 1 || px > limits.maxPixels) {
    throw new OptionError(
      name,
      `${name} must be a whole number of pixels from 1 to ${limits.maxPixels}; got "${value}".`,
    );
  }
  return { px };
}

/**
 * Resolves a width/height option against the input side to pixels. Returns undefined when the option
 * is absent. Percentages need the input side; pixels do not.
 */
export function parseSize(
  name: string,
  value: SizeValue | undefined | null,
  inputSide?: number,
  limits: SizeLimits = SIZE_LIMITS,
): number | undefined {
  const size = parseSizeOption(name, value, limits);
  if (size?.percent === undefined) return size?.px;
  if (!inputSide) throw new OptionError(name, `${name} as a percentage needs an input with a known size.`);
  const px = Math.round((inputSide * size.percent) / 100);
  if (px < 1 || px > MAX_OUTPUT_SIDE) {
    throw new OptionError(
      name,
      `${name} "${value}" of ${inputSide} pixels would be ${px} pixels; it must be between 1 and ${MAX_OUTPUT_SIDE}.`,
    );
  }
  return px;
}

/**
 * One of a list of names, in any case, or an alias of one ("jpg" → "jpeg"). Returns undefined when the
 * option is absent.
 */
export function parseChoice<T extends string>(
  name: string,
  value: string | undefined | null,
  allowed: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const v = String(value).toLowerCase();
  const named = (Object.hasOwn(aliases, v) ? aliases[v] : v) as T;
  if (!allowed.includes(named)) {
    throw new OptionError(name, `${name} must be one of ${allowed.join(', ')}; got "${value}".`, allowed);
  }
  return named;
}

export function parseFit(value: string | undefined | null, fallback: Fit): Fit {
  return parseChoice('fit', value, FITS) ?? fallback;
}

export interface Anchor {
  /** 0 = left, 0.5 = centre, 1 = right */
  x: 0 | 0.5 | 1;
  y: 0 | 0.5 | 1;
  name: string;
}

export const POSITIONS = [
  'center',
  'top',
  'bottom',
  'left',
  'right',
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
] as const;

/** Accepts "top-left", "top_left", "left top", "centre" … and returns where to anchor a crop or pad. */
export function parsePosition(value: string | undefined | null): Anchor {
  if (value === undefined || value === null || value === '') return { x: 0.5, y: 0.5, name: 'center' };
  const bad = () =>
    new OptionError(
      'position',
      `position must be one of ${POSITIONS.join(', ')}; got "${value}".`,
      POSITIONS,
    );
  const words = String(value)
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean);
  if (words.length > 2) throw bad();
  let x: Anchor['x'] = 0.5;
  let y: Anchor['y'] = 0.5;
  let xSet = false;
  let ySet = false;
  for (const w of words) {
    if (w === 'left' || w === 'right') {
      if (xSet) throw bad();
      xSet = true;
      x = w === 'left' ? 0 : 1;
    } else if (w === 'top' || w === 'bottom') {
      if (ySet) throw bad();
      ySet = true;
      y = w === 'top' ? 0 : 1;
    } else if (w !== 'center' && w !== 'centre' && w !== 'middle') {
      throw bad();
    }
  }
  const name = [y === 0 ? 'top' : y === 1 ? 'bottom' : '', x === 0 ? 'left' : x === 1 ? 'right' : '']
    .filter(Boolean)
    .join('-');
  return { x, y, name: name || 'center' };
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  /** 0–1 */
  alpha: number;
}

/** "#20B075", "20B075", "#fff", "#20B07580" → colour; anything else is an OptionError. */
export function parseColor(name: string, value: string): Rgba {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(String(value).trim());
  if (!m) throw new OptionError(name, `${name} must be a hex colour like #20B075; got "${value}".`);
  let hex = m[1];
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  const n = (i: number) => Number.parseInt(hex.slice(i, i + 2), 16);
  return { r: n(0), g: n(2), b: n(4), alpha: hex.length === 8 ? Math.round((n(6) / 255) * 1000) / 1000 : 1 };
}

export function parseQuality(value: number | string | undefined | null): number | QualityLevel | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && QUALITY_LEVELS.includes(value.toLowerCase() as QualityLevel)) {
    return value.toLowerCase() as QualityLevel;
  }
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new OptionError(
      'quality',
      `quality must be a whole number from 1 to 100 or one of ${QUALITY_LEVELS.join(', ')}; got "${value}".`,
      QUALITY_LEVELS,
    );
  }
  return n;
}

/** A bitrate option in bits per second: a whole number within [min, max], as the task schemas have it. */
export function parseBitrate(
  value: number | string | undefined | null,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new OptionError(
      'bitrate',
      `bitrate must be a whole number of bits per second from ${min} to ${max}; got "${value}".`,
    );
  }
  return n;
}

/** Linear map of quality 1–100 onto [at1, at100] (either direction), rounded. */
export function scaleQuality(q: number, at1: number, at100: number): number {
  return Math.round(at1 + ((q - 1) / 99) * (at100 - at1));
}

export interface Trim {
  start: number;
  /** undefined = to the end */
  end?: number;
  /** output duration when the input duration is known */
  duration?: number;
}

export function parseTrim(
  start: number | string | undefined | null,
  end: number | string | undefined | null,
  inputDuration?: number,
): Trim {
  const num = (name: string, v: number | string | undefined | null) => {
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < 0)
      throw new OptionError(name, `${name} must be a number of seconds ≥ 0; got "${v}".`);
    return n;
  };
  const s = num('start', start) ?? 0;
  let e = num('end', end);
  if (e !== undefined && e <= s) throw new OptionError('end', `end (${e}) must be after start (${s}).`);
  if (inputDuration !== undefined && inputDuration > 0) {
    if (s >= inputDuration) {
      throw new OptionError(
        'start',
        `start (${s}) must be before the end of the input (${inputDuration} s).`,
      );
    }
    if (e !== undefined && e >= inputDuration) e = undefined;
  }
  const stop = e ?? inputDuration;
  return { start: s, end: e, duration: stop !== undefined ? round3(stop - s) : undefined };
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Seconds as ffmpeg wants them: plain decimal, no exponent. */
export function secs(n: number): string {
  return String(round3(n));
}
