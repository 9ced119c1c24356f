// The HLS ladder as a plain function of the source's facts (PeerTube's transcoding-resolutions.ts does the
// same, but reads a global CONFIG; here the ladder config is passed in), and the one ffmpeg command that
// encodes the whole ladder from one decode: split + scale per rendition, a fixed GOP with a keyframe forced
// at every segment boundary so all renditions switch at the same instants.

/** A rung of the automatic ladder: the short side in pixels and the video bitrate at ≤30 fps. */
export interface LadderRung {
  height: number;
  bitrate: number;
}

export interface LadderConfig {
  /** candidate rungs, any order; a rung above the source's short side is never used (no upscaling) */
  rungs: readonly LadderRung[];
  /** highest output frame rate; a faster source is slowed to this */
  maxFps: number;
  /** bitrate multiplier at maxFps (linear from 1 at 30 fps) */
  highFpsFactor: number;
  /** lowest bitrate any rendition gets */
  minBitrate: number;
  audioBitrate: number;
}

/** 1080/720/480/360/240 (and 1440/2160 for bigger sources); bitrates for H.264 at 30 fps. */
export const DEFAULT_LADDER: LadderConfig = {
  rungs: [
    { height: 2160, bitrate: 12_000_000 },
    { height: 1440, bitrate: 8_000_000 },
    { height: 1080, bitrate: 4_500_000 },
    { height: 720, bitrate: 2_500_000 },
    { height: 480, bitrate: 1_200_000 },
    { height: 360, bitrate: 700_000 },
    { height: 240, bitrate: 400_000 },
  ],
  maxFps: 60,
  highFpsFactor: 1.5,
  minBitrate: 150_000,
  audioBitrate: 128_000,
};

/** What the ladder needs to know about the source (a ProbeResult fits). Sizes as displayed. */
export interface LadderSource {
  width?: number;
  height?: number;
  fps?: number;
  /** the source's overall bit rate; no rendition is given more */
  bitrate?: number;
  hasAudio?: boolean;
}

/** An explicit rendition: its short side and optionally its bitrate. */
export interface RenditionRequest {
  height: number;
  bitrate?: number;
}

export interface Rendition {
  /** the directory and playlist name of the rendition, e.g. "720p" */
  name: string;
  width: number;
  height: number;
  /** video bitrate cap (x264 -maxrate) in bits per second */
  bitrate: number;
}

export interface Ladder {
  renditions: Rendition[];
  fps: number;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The frame rate of the package: the source's, at most maxFps; 30 when the source does not say. */
export function ladderFps(source: LadderSource, config: LadderConfig): number {
  const fps = source.fps && Number.isFinite(source.fps) && source.fps > 0 ? source.fps : 30;
  return Math.round(Math.min(fps, config.maxFps) * 1000) / 1000;
}

function fpsFactor(fps: number, config: LadderConfig): number {
  if (fps <= 30) return 1;
  const t = (Math.min(fps, config.maxFps) - 30) / Math.max(1, config.maxFps - 30);
  return 1 + (config.highFpsFactor - 1) * t;
}

/**
 * The renditions for a source, highest first. "Height" is the short side, so a portrait 1080×1920 source
 * gets a 1080p rung of 1080×1920. Rungs above the source are dropped; a source below every rung gets one
 * rendition of its own size. Bitrates never exceed the source's.
 */
export function computeLadder(
  source: LadderSource,
  config: LadderConfig = DEFAULT_LADDER,
  requested?: readonly RenditionRequest[],
): Ladder {
  const sw = source.width && source.width > 0 ? source.width : 1280;
  const sh = source.height && source.height > 0 ? source.height : 720;
  const portrait = sh > sw;
  const short = Math.min(sw, sh);
  const long = Math.max(sw, sh);
  const fps = ladderFps(source, config);
  const factor = fpsFactor(fps, config);
  const cap = source.bitrate && source.bitrate > 0 ? source.bitrate : Number.POSITIVE_INFINITY;

  const table = [...config.rungs].sort((a, b) => b.height - a.height);
  /** the automatic bitrate for a short side: the rung's, interpolated by pixels for sizes between rungs */
  const autoBitrate = (h: number): number => {
    const exact = table.find((r) => r.height === h);
    if (exact) return exact.bitrate;
    const below = table.find((r) => r.height < h) ?? table[table.length - 1];
    return Math.round(below.bitrate * (h / below.height) ** 2);
  };

  const wanted: { height: number; bitrate?: number }[] = requested?.length
    ? requested.filter((r) => r.height <= short)
    : table.filter((r) => r.height <= short).map((r) => ({ height: r.height }));
  if (wanted.length === 0) wanted.push({ height: short });

  const seen = new Set<number>();
  const renditions: Rendition[] = [];
  for (const r of wanted.sort((a, b) => b.height - a.height)) {
    const h = Math.min(even(r.height), short % 2 === 0 ? short : short - 1 || 2);
    if (seen.has(h)) continue;
    seen.add(h);
    const other = even((long * h) / short);
    const bitrate =
      r.bitrate ?? Math.max(config.minBitrate, Math.min(cap, Math.round(autoBitrate(r.height) * factor)));
    renditions.push({
      name: `${h}p`,
      width: portrait ? h : other,
      height: portrait ? other : h,
      bitrate,
    });
  }
  return { renditions, fps };
}

export type SegmentFormat = 'fmp4' | 'ts';

export interface HlsPlanOptions {
  ladder: Ladder;
  /** seconds per segment (keyframe interval) */
  segmentSeconds: number;
  segmentFormat: SegmentFormat;
  withAudio: boolean;
  audioBitrate: number;
  /** x264 preset and CRF (from the video speed policy) */
  preset: string;
  crf: number;
  /** encoder threads (x264 -threads); absent: x264 decides */
  threads?: number;
  /** expected output duration, for progress */
  duration?: number;
}

export interface HlsPlan {
  args: string[];
  /** playlist path of each rendition relative to the output dir, in ladder order */
  variants: { rendition: Rendition; playlist: string }[];
  /** the shared audio rendition's playlist, when there is audio */
  audioPlaylist: string | null;
  segmentSeconds: number;
  segmentFormat: SegmentFormat;
  fps: number;
}

export const AUDIO_NAME = 'audio';

/**
 * One ffmpeg argument list for the whole ladder. Audio is one shared rendition (an audio group), encoded
 * once rather than muxed into every variant. Output goes to `outDir/{name}/index.m3u8`.
 */
export function planHls(inPath: string, outDir: string, opts: HlsPlanOptions): HlsPlan {
  const { ladder, segmentSeconds } = opts;
  const n = ladder.renditions.length;
  const gop = Math.max(1, Math.round(ladder.fps * segmentSeconds));
  // one decode; a constant frame rate first, so variable-rate sources get evenly spaced keyframes
  const head = `[0:v:0]fps=${ladder.fps}${n > 1 ? `,split=${n}${ladder.renditions.map((_, i) => `[s${i}]`).join('')}` : '[s0]'}`;
  const scales = ladder.renditions.map(
    (r, i) => `[s${i}]scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p[v${i}]`,
  );
  const args = ['-y', '-nostdin', '-i', inPath, '-filter_complex', [head, ...scales].join(';')];
  for (let i = 0; i < n; i++) args.push('-map', `[v${i}]`);
  if (opts.withAudio) args.push('-map', '0:a:0');
  args.push('-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn');
  args.push('-c:v', 'libx264', '-preset', opts.preset, '-profile:v', 'high', '-pix_fmt', 'yuv420p');
  if (opts.threads) args.push('-threads', String(opts.threads));
  ladder.renditions.forEach((r, i) => {
    args.push(
      `-crf:v:${i}`,
      String(opts.crf),
      `-maxrate:v:${i}`,
      String(r.bitrate),
      `-bufsize:v:${i}`,
      String(r.bitrate * 2),
    );
  });
  args.push(
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${segmentSeconds})`,
  );
  if (opts.withAudio) args.push('-c:a', 'aac', '-b:a', String(opts.audioBitrate), '-ac', '2');
  const streamMap = ladder.renditions.map((r, i) =>
    opts.withAudio ? `v:${i},agroup:aud,name:${r.name}` : `v:${i},name:${r.name}`,
  );
  if (opts.withAudio) streamMap.push(`a:0,agroup:aud,name:${AUDIO_NAME}`);
  const ext = opts.segmentFormat === 'fmp4' ? 'm4s' : 'ts';
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    opts.segmentFormat === 'fmp4' ? 'fmp4' : 'mpegts',
  );
  if (opts.segmentFormat === 'fmp4') args.push('-hls_fmp4_init_filename', 'init.mp4');
  args.push(
    '-hls_segment_filename',
    `${outDir}/%v/seg_%05d.${ext}`,
    '-var_stream_map',
    streamMap.join(' '),
    `${outDir}/%v/index.m3u8`,
  );
  return {
    args,
    variants: ladder.renditions.map((r) => ({ rendition: r, playlist: `${r.name}/index.m3u8` })),
    audioPlaylist: opts.withAudio ? `${AUDIO_NAME}/index.m3u8` : null,
    segmentSeconds,
    segmentFormat: opts.segmentFormat,
    fps: ladder.fps,
  };
}
