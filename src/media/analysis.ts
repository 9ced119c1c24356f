// What the intelligence kinds (runners/speech…nsfw, ai/) need from media: speech recognised by ffmpeg's
// `asr` filter (pocketsphinx), scene changes from `scdet`, speech audio and sampled frames cut to files,
// and pixels shrunk for a model. Argument builders are pure; analysis filters print their metadata to a
// file in the work dir, so runFfmpeg keeps its progress pipe and stall watchdog.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { MediaError } from './errors.js';
import { type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';

/** Escapes a value for an option inside a filtergraph (both of ffmpeg's quoting levels). */
export function filterValue(v: string): string {
  const level1 = v.replace(/[\\':]/g, (c) => `\\${c}`);
  return level1.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export interface TimedText {
  start: number;
  end: number;
  text: string;
}

/** One frame's block from the `ametadata`/`metadata` print filter: its time and its keys. */
export interface MetadataFrame {
  time: number;
  values: Record<string, string>;
}

/** Parses the print filter's output: `frame:N pts:P pts_time:T` followed by `key=value` lines. */
export function parseMetadataPrint(text: string): MetadataFrame[] {
  const frames: MetadataFrame[] = [];
  for (const line of text.split(/\r?\n/)) {
    const head = /^frame:\s*\d+\s+pts:\s*\S+\s+pts_time:\s*(\S+)/.exec(line);
    if (head) {
      frames.push({ time: Number(head[1]) || 0, values: {} });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && frames.length) frames[frames.length - 1].values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return frames;
}

export interface AsrOptions {
  /** pocketsphinx model dir holding `en-us/` (acoustic model), `cmudict-en-us.dict`, `en-us.lm.bin` */
  modelDir: string;
  /** where the recognised text is written */
  metaPath: string;
}

/**
 * ffmpeg streams the first audio stream through silencedetect (utterance starts) and asr (utterance text,
 * emitted when pocketsphinx's voice detector sees the utterance end). Trailing silence is padded so the
 * last utterance is emitted before the end of the stream.
 */
export function asrArgs(inPath: string, opts: AsrOptions): string[] {
  const m = opts.modelDir;
  const asr = [
    `hmm=${filterValue(join(m, 'en-us'))}`,
    `dict=${filterValue(join(m, 'cmudict-en-us.dict'))}`,
    `lm=${filterValue(join(m, 'en-us.lm.bin'))}`,
    'logfn=/dev/null',
  ].join(':');
  const chain = [
    'aresample=16000',
    'aformat=channel_layouts=mono',
    'apad=pad_dur=2',
    'silencedetect=n=-40dB:d=0.35',
    `asr=${asr}`,
    `ametadata=mode=print:file=${filterValue(opts.metaPath)}`,
  ].join(',');
  return ['-y', '-i', inPath, '-map', '0:a:0', '-vn', '-af', chain, '-f', 'null', '-'];
}

/**
 * Utterances with times: silencedetect marks runs of sound, asr emits an utterance's text a little after it
 * ends. An utterance spans the runs of sound closed since the previous one.
 */
export function utterancesFromAsr(frames: MetadataFrame[]): TimedText[] {
  const out: TimedText[] = [];
  const runs: { start: number; end: number }[] = [];
  let runStart: number | null = 0;
  for (const f of frames) {
    const v = f.values;
    if (v['lavfi.silence_start'] !== undefined) {
      const s = Number(v['lavfi.silence_start']);
      if (runStart !== null && s - runStart > 0.05) runs.push({ start: runStart, end: s });
      runStart = null;
    }
    if (v['lavfi.silence_end'] !== undefined) runStart = Number(v['lavfi.silence_end']);
    if (v['lavfi.asr.text'] === undefined) continue;
    const text = v['lavfi.asr.text'].trim();
    const mine = runs.splice(0, runs.length).filter((r) => r.start < f.time);
    const prevEnd = out.at(-1)?.end ?? 0;
    const start = mine[0]?.start ?? runStart ?? prevEnd;
    const end = mine.at(-1)?.end ?? f.time;
    if (text) out.push({ start: round(start), end: round(Math.max(start, end)), text });
  }
  return out;
}

/** Recognises English speech in the first audio stream with pocketsphinx (through ffmpeg). */
export async function recognizeSpeech(
  inPath: string,
  opts: AsrOptions & Omit<RunFfmpegOptions, 'tools'>,
): Promise<TimedText[]> {
  await runFfmpeg(asrArgs(inPath, opts), opts);
  const text = await readFile(opts.metaPath, 'utf8').catch(() => '');
  return utterancesFromAsr(parseMetadataPrint(text));
}

/** Scene detection on a small copy of the picture: `scdet` passes only the frames that start a scene. */
export function sceneArgs(inPath: string, metaPath: string, threshold: number): string[] {
  const chain = [
    'scale=w=320:h=-2',
    // in YUV scdet compares luma only, and a cut between colours of equal brightness (red to green) would
    // be missed; planar RGB makes every colour channel count
    'format=gbrp',
    `scdet=threshold=${threshold}:sc_pass=1`,
    `metadata=mode=print:file=${filterValue(metaPath)}`,
  ].join(',');
  return ['-y', '-i', inPath, '-map', '0:v:0', '-an', '-vf', chain, '-f', 'null', '-'];
}

/** Times (seconds) where a new scene starts, in order. */
export async function detectScenes(
  inPath: string,
  opts: { metaPath: string; threshold: number } & Omit<RunFfmpegOptions, 'tools'>,
): Promise<number[]> {
  await runFfmpeg(sceneArgs(inPath, opts.metaPath, opts.threshold), opts);
  const text = await readFile(opts.metaPath, 'utf8').catch(() => '');
  return parseMetadataPrint(text)
    .filter((f) => f.values['lavfi.scd.time'] !== undefined || f.values['lavfi.scd.score'] !== undefined)
    .map((f) => round(f.time))
    .sort((a, b) => a - b);
}

export interface SpeechAudioOptions {
  start?: number;
  duration?: number;
  /** wav: 16-bit PCM (whisper.cpp); mp3: small, for uploading to a provider */
  format: 'wav' | 'mp3';
}

/** 16 kHz mono speech audio from the first audio stream, optionally one window of it. */
export function speechAudioArgs(inPath: string, outPath: string, opts: SpeechAudioOptions): string[] {
  const window = [
    ...(opts.start ? ['-ss', opts.start.toFixed(3)] : []),
    ...(opts.duration ? ['-t', opts.duration.toFixed(3)] : []),
  ];
  const codec =
    opts.format === 'wav'
      ? ['-c:a', 'pcm_s16le', '-f', 'wav']
      : ['-c:a', 'libmp3lame', '-b:a', '48k', '-f', 'mp3'];
  return [
    '-y',
    ...window,
    '-i',
    inPath,
    '-map',
    '0:a:0',
    '-vn',
    '-map_metadata',
    '-1',
    '-ac',
    '1',
    '-ar',
    '16000',
    ...codec,
    outPath,
  ];
}

export async function extractSpeechAudio(
  inPath: string,
  outPath: string,
  opts: SpeechAudioOptions & Omit<RunFfmpegOptions, 'tools'>,
): Promise<void> {
  await runFfmpeg(speechAudioArgs(inPath, outPath, opts), opts);
}

export interface SampleOptions {
  /** one frame every this many seconds */
  every: number;
  maxFrames: number;
  /** longest side of the JPEGs */
  size: number;
}

export function sampleFramesArgs(inPath: string, pattern: string, opts: SampleOptions): string[] {
  const vf = `fps=1/${opts.every},scale=w=${opts.size}:h=${opts.size}:force_original_aspect_ratio=decrease`;
  return [
    '-y',
    '-i',
    inPath,
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    vf,
    '-frames:v',
    String(opts.maxFrames),
    '-q:v',
    '3',
    pattern,
  ];
}

/** JPEG frames sampled evenly through a video, with the time each stands for. */
export async function sampleFrames(
  inPath: string,
  dir: string,
  opts: SampleOptions & Omit<RunFfmpegOptions, 'tools'>,
): Promise<{ path: string; time: number }[]> {
  await runFfmpeg(sampleFramesArgs(inPath, join(dir, 'frame-%05d.jpg'), opts), opts);
  const names = (await readdir(dir)).filter((n) => /^frame-\d+\.jpg$/.test(n)).sort();
  if (!names.length) throw new MediaError('media_corrupt', 'No video frame could be decoded.');
  return names.map((n, i) => ({ path: join(dir, n), time: round(i * opts.every) }));
}

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * An image as size × size RGB bytes for a classifier. A huge image is shrunk while it is decoded (sharp's
 * shrink-on-load), never held at full size; `maxPixels` refuses decompression bombs.
 */
export async function imagePixels(path: string, size: number, maxPixels: number): Promise<Pixels> {
  try {
    const { data, info } = await sharp(path, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new MediaError('media_corrupt', `The image could not be decoded: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** An image as a JPEG no larger than maxSide, for a vision model. */
export async function imageJpeg(path: string, maxSide: number, maxPixels: number): Promise<Buffer> {
  try {
    return await sharp(path, { limitInputPixels: maxPixels })
      .rotate()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 80 })
      .toBuffer();
  } catch (err) {
    throw new MediaError('media_corrupt', `The image could not be decoded: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
