import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MediaError } from './errors.js';
import { type MediaTools, resolveTools, type ToolPaths } from './tools.js';

export interface FfprobeStream {
  index: number;
  codec_name?: string;
  codec_long_name?: string;
  codec_type?: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | string;
  codec_tag_string?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number; displaymatrix?: string }>;
}

export interface FfprobeFormat {
  filename?: string;
  nb_streams?: number;
  format_name?: string;
  format_long_name?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
}

export interface FfprobeOutput {
  streams: FfprobeStream[];
  format: FfprobeFormat;
}

export interface ProgressInfo {
  /** 0–100; stays below 100 until ffmpeg reports the end */
  percent: number;
  /** seconds left, estimated from wall time so far; null until there is something to extrapolate */
  etaSeconds: number | null;
  outTimeSeconds: number;
}

export interface RunFfmpegOptions {
  /** expected output duration; without it percent stays 0 until the end */
  durationSeconds?: number;
  onProgress?: (p: ProgressInfo) => void;
  signal?: AbortSignal;
  /** no progress line for this long → SIGKILL and MediaError 'stalled' (default 60 s) */
  stallTimeoutMs?: number;
  /** whole run limit → SIGKILL and MediaError 'timeout' (default none) */
  timeoutMs?: number;
  tools?: MediaTools;
}

export interface ProbeCallOptions {
  signal?: AbortSignal;
  /** default 30 s: ffprobe only reads headers, so a long wait means a hostile or broken file */
  timeoutMs?: number;
  tools?: MediaTools;
}

const DEFAULT_STALL_MS = 60_000;
const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 8 * 1024;
const STDOUT_CAP = 16 * 1024 * 1024;

let configuredTools: Promise<MediaTools> | null = null;

/** Sets the tool paths used when a call does not pass `tools` (createContext calls this with the config). */
export function configureMediaTools(paths: ToolPaths): Promise<MediaTools> {
  configuredTools = resolveTools(paths);
  return configuredTools;
}

export function getMediaTools(): Promise<MediaTools> {
  return configuredTools ?? resolveTools();
}

/**
 * Tool messages name the input and output by their absolute temp paths; the user only needs to know
 * which one, so those paths are cut down to their base names.
 */
export function scrubPaths(text: string, args: readonly string[] = []): string {
  let out = text;
  for (const arg of args) {
    if (arg.startsWith('/') && arg.length > 1) out = out.split(arg).join(basename(arg));
  }
  return out.replace(/(?<![\w.:])\/(?:[\w.@+-]+\/)+([\w.@+%-]+)/g, '$1');
}

/**
 * Tool output fit for a message the API user sees: paths cut (scrubPaths), the name of each input
 * dropped where the caller names them (the probe's and the tail check's input is a temporary name such
 * as `ingest-…` or `put-…`, meaningless to the user: "x: Invalid data" becomes "Invalid data"), and
 * log-context pointers removed ("[mp4 @ 0x55…]" → "[mp4]").
 */
export function toolMessage(
  text: string,
  args: readonly string[] = [],
  inputs: readonly string[] = [],
): string {
  let out = scrubPaths(text, args);
  for (const input of inputs) {
    const name = basename(input);
    if (!name || name === '-' || name.startsWith('pipe:')) continue;
    out = out.split(`${name}: `).join('').split(name).join('the input');
  }
  return out.replace(/ @ 0x[0-9a-f]+\]/g, ']');
}

function lastLines(text: string, n: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join('\n');
}

interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killedFor: 'timeout' | 'cancelled' | 'stalled' | null;
}

interface SpawnOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  stallTimeoutMs?: number;
  onStdout?: (chunk: string) => void;
  keepStdout: boolean;
  /** the child's stdin, for a caller that feeds it (default: none) */
  onStdin?: (stdin: Writable) => void;
}

/**
 * Runs a tool with an argument array (never a shell) and resolves when it has exited, also when it
 * was killed: callers clean up temp files after the process no longer holds them.
 */
function spawnCollect(bin: string, args: string[], opts: SpawnOptions): Promise<Collected> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', killedFor: 'cancelled' });
      return;
    }
    const child = spawn(bin, args, {
      stdio: [opts.onStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    if (opts.onStdin && child.stdin) opts.onStdin(child.stdin);
    let stdout = '';
    let stderr = '';
    let killedFor: Collected['killedFor'] = null;
    let stallTimer: NodeJS.Timeout | undefined;
    let totalTimer: NodeJS.Timeout | undefined;

    const kill = (why: NonNullable<Collected['killedFor']>) => {
      if (killedFor) return;
      killedFor = why;
      // SIGKILL: a stuck ffmpeg may ignore SIGTERM while blocked in I/O
      child.kill('SIGKILL');
    };
    const armStall = () => {
      if (!opts.stallTimeoutMs) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => kill('stalled'), opts.stallTimeoutMs);
    };
    const onAbort = () => kill('cancelled');

    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs) totalTimer = setTimeout(() => kill('timeout'), opts.timeoutMs);
    armStall();

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      armStall();
      if (opts.keepStdout) {
        stdout += chunk;
        if (stdout.length > STDOUT_CAP) kill('timeout');
      }
      opts.onStdout?.(chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });

    const cleanup = () => {
      clearTimeout(stallTimer);
      clearTimeout(totalTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      cleanup();
      reject(
        new MediaError('tool_missing', `Could not start ${basename(bin)}: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code, signal) => {
      cleanup();
      resolve({ code, signal, stdout, stderr, killedFor });
    });
  });
}

function killedError(tool: string, why: NonNullable<Collected['killedFor']>, opts: SpawnOptions): MediaError {
  switch (why) {
    case 'cancelled':
      return new MediaError('cancelled', `${tool} was cancelled.`);
    case 'stalled':
      return new MediaError(
        'stalled',
        `${tool} made no progress for ${Math.round((opts.stallTimeoutMs ?? 0) / 1000)} s and was stopped.`,
      );
    case 'timeout':
      return new MediaError('timeout', `${tool} took too long and was stopped.`);
  }
}

const FFPROBE_ARGS = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i'];

/** ffprobe's JSON view of a file. A file ffprobe cannot read is 'media_corrupt'. */
export async function ffprobeJson(path: string, opts: ProbeCallOptions = {}): Promise<FfprobeOutput> {
  const tools = opts.tools ?? (await getMediaTools());
  const spawnOpts: SpawnOptions = {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    keepStdout: true,
  };
  const res = await spawnCollect(tools.ffprobePath, [...FFPROBE_ARGS, path], spawnOpts);
  if (res.killedFor) throw killedError('ffprobe', res.killedFor, spawnOpts);
  return parseFfprobe(res, path);
}

function parseFfprobe(res: Collected, path: string): FfprobeOutput {
  const detail = toolMessage(lastLines(res.stderr, 5), [path], [path]);
  if (res.code !== 0) {
    throw new MediaError(
      'media_corrupt',
      `The file could not be read as media${detail ? `: ${detail}` : '.'}`,
      {
        detail,
      },
    );
  }
  let parsed: Partial<FfprobeOutput>;
  try {
    parsed = JSON.parse(res.stdout) as Partial<FfprobeOutput>;
  } catch (err) {
    throw new MediaError('media_corrupt', 'The file could not be read as media.', { cause: err, detail });
  }
  return { streams: parsed.streams ?? [], format: parsed.format ?? {} };
}

export interface EarlyProbe {
  /** Streams the file to the waiting ffprobe and resolves with what ffprobeJson would say. Once only. */
  read(path: string): Promise<FfprobeOutput>;
  /** Stops the waiting ffprobe when there will be nothing to read; harmless after read(). */
  cancel(): void;
}

/**
 * An ffprobe started before the file it reads exists; read() feeds it the file on its stdin. Its start-up
 * (the dynamic loader mapping a distribution ffmpeg's ~200 shared libraries: ~50 ms) overlaps whatever
 * makes the file, e.g. the transcode. Only for files whose headers come first (MP4/MOV with fast start,
 * WebM, Matroska): for those the answer equals ffprobeJson's, file size and bit rate included.
 */
export async function startFfprobe(opts: ProbeCallOptions = {}): Promise<EarlyProbe> {
  const tools = opts.tools ?? (await getMediaTools());
  const stop = new AbortController();
  let why: 'cancelled' | 'timeout' | null = null;
  const halt = (reason: 'cancelled' | 'timeout') => {
    why ??= reason;
    stop.abort();
  };
  const onAbort = () => halt('cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) halt('cancelled');
  let stdin: Writable | undefined;
  const spawnOpts: SpawnOptions = {
    signal: stop.signal,
    keepStdout: true,
    onStdin: (s) => {
      stdin = s;
      // ffprobe stops reading once it has what it needs: the rest of the file meets a closed pipe
      s.on('error', () => {});
    },
  };
  const done = spawnCollect(tools.ffprobePath, [...FFPROBE_ARGS, 'pipe:0'], spawnOpts);
  const settled = done.finally(() => opts.signal?.removeEventListener('abort', onAbort));
  settled.catch(() => {});
  return {
    async read(path) {
      const timeout = setTimeout(() => halt('timeout'), opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
      try {
        const { size } = await stat(path);
        if (stdin) void pipeline(createReadStream(path), stdin).catch(() => {});
        const res = await settled;
        if (res.killedFor || why) {
          throw killedError('ffprobe', why ?? res.killedFor ?? 'cancelled', spawnOpts);
        }
        const info = parseFfprobe(res, path);
        // from a pipe ffprobe knows no file size; add it, and the bit rate avformat derives from it
        const durationUs = Math.round(Number(info.format.duration) * 1e6);
        info.format.size ??= String(size);
        if (info.format.bit_rate === undefined && durationUs > 0) {
          info.format.bit_rate = String(Math.floor((size * 8 * 1e6) / durationUs));
        }
        if (info.format.filename === 'pipe:0') info.format.filename = path;
        return info;
      } finally {
        clearTimeout(timeout);
      }
    },
    cancel() {
      halt('cancelled');
    },
  };
}

function parseClock(value: string): number | null {
  const m = /^(-?)(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return null;
  const secs = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return m[1] ? -secs : secs;
}

/**
 * Parses ffmpeg's `-progress` key=value stream. Kept separate from the process so it can be tested
 * with canned text.
 */
export function createProgressParser(
  durationSeconds: number | undefined,
  onProgress: (p: ProgressInfo) => void,
  now: () => number = Date.now,
): (chunk: string) => void {
  const started = now();
  let buffered = '';
  let outTime = 0;
  let lastPercent = 0;
  return (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const raw of lines) {
      const eq = raw.indexOf('=');
      if (eq < 0) continue;
      const key = raw.slice(0, eq).trim();
      const value = raw.slice(eq + 1).trim();
      if (key === 'out_time_us' || key === 'out_time_ms') {
        // both keys carry microseconds (out_time_ms is misnamed in ffmpeg)
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) outTime = us / 1e6;
      } else if (key === 'out_time') {
        const secs = parseClock(value);
        if (secs !== null && secs >= 0) outTime = secs;
      } else if (key === 'progress') {
        if (value === 'end') {
          lastPercent = 100;
          onProgress({ percent: 100, etaSeconds: 0, outTimeSeconds: outTime });
          continue;
        }
        let percent = 0;
        let eta: number | null = null;
        if (durationSeconds && durationSeconds > 0) {
          const fraction = Math.min(outTime / durationSeconds, 0.999);
          percent = Math.max(lastPercent, Math.round(fraction * 1000) / 10);
          const elapsed = (now() - started) / 1000;
          if (fraction > 0.01 && elapsed > 0)
            eta = Math.max(0, Math.round(elapsed * ((1 - fraction) / fraction)));
        }
        lastPercent = percent;
        onProgress({ percent, etaSeconds: eta, outTimeSeconds: outTime });
      }
    }
  };
}

/**
 * Runs ffmpeg with the given arguments (input/output included). Adds progress reporting on stdout and
 * keeps stderr to errors only, so a failure message is the tool's own last words.
 */
export async function runFfmpeg(args: string[], opts: RunFfmpegOptions = {}): Promise<void> {
  const tools = opts.tools ?? (await getMediaTools());
  const fullArgs = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-progress',
    'pipe:1',
    '-nostats',
    ...args,
  ];
  const spawnOpts: SpawnOptions = {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
    stallTimeoutMs: opts.stallTimeoutMs ?? DEFAULT_STALL_MS,
    keepStdout: false,
    onStdout: opts.onProgress ? createProgressParser(opts.durationSeconds, opts.onProgress) : undefined,
  };
  const res = await spawnCollect(tools.ffmpegPath, fullArgs, spawnOpts);
  if (res.killedFor) throw killedError('ffmpeg', res.killedFor, spawnOpts);
  if (res.code !== 0) {
    const detail = toolMessage(lastLines(res.stderr, 6), args);
    const how = res.signal ? `was killed by ${res.signal}` : `failed (exit code ${res.code})`;
    throw new MediaError('ffmpeg_failed', `ffmpeg ${how}${detail ? `: ${detail}` : '.'}`, { detail });
  }
}

const encodersCache = new Map<string, Promise<Set<string>>>();

/** Names of the encoders this ffmpeg build has (e.g. 'libsvtav1'), read once per binary. */
export async function ffmpegEncoders(tools?: MediaTools): Promise<Set<string>> {
  const t = tools ?? (await getMediaTools());
  let pending = encodersCache.get(t.ffmpegPath);
  if (!pending) {
    pending = spawnCollect(t.ffmpegPath, ['-hide_banner', '-encoders'], {
      keepStdout: true,
      timeoutMs: 15_000,
    }).then((res) => {
      const names = new Set<string>();
      for (const line of res.stdout.split('\n')) {
        const m = /^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
        if (m) names.add(m[1]);
      }
      return names;
    });
    pending.catch(() => encodersCache.delete(t.ffmpegPath));
    encodersCache.set(t.ffmpegPath, pending);
  }
  return pending;
}

export interface FrameGrabOptions extends Omit<RunFfmpegOptions, 'durationSeconds' | 'onProgress'> {
  /** the duration the input's header claims: no frame at a time more than 1 s before it is an error */
  claimedDuration?: number;
}

/** A frame asked for at most this long before the claimed end may legitimately be missing. */
const FRAME_END_SLACK_SECONDS = 1;

const roundTenth = (n: number) => String(Math.round(n * 10) / 10);

function noFrameMessage(at: number, claimed: number): string {
  return `The input has no frame at ${roundTenth(at)} s, though its header claims ${roundTenth(claimed)} s: its data ends early (a cut or damaged file). Upload the complete file.`;
}

/**
 * Whether the first video stream has a frame at `atSeconds` or later (one seek and at most a GOP of
 * decoding, nothing written). Throws media_corrupt when it has none although `claimedDuration` says it
 * should (more than 1 s before the claimed end).
 */
export async function checkFrameAt(
  path: string,
  atSeconds: number,
  claimedDuration: number,
  opts: ProbeCallOptions = {},
): Promise<void> {
  if (!(atSeconds < claimedDuration - FRAME_END_SLACK_SECONDS)) return;
  const tools = opts.tools ?? (await getMediaTools());
  const args = ['-v', 'error', '-nostdin', '-ss', atSeconds.toFixed(3), '-i', path];
  args.push('-map', '0:v:0', '-frames:v', '1', '-f', 'framecrc', '-');
  const spawnOpts: SpawnOptions = {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    keepStdout: true,
  };
  const res = await spawnCollect(tools.ffmpegPath, args, spawnOpts);
  if (res.killedFor) throw killedError('ffmpeg', res.killedFor, spawnOpts);
  if (res.code !== 0) return; // a decoding failure is the main pass's to report
  const frames = res.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  if (frames.length === 0) throw new MediaError('media_corrupt', noFrameMessage(atSeconds, claimedDuration));
}

/**
 * Grabs one frame at `atSeconds` (clamped by the caller to the duration) as a still image; the output
 * format follows the extension of outPath (.png keeps full quality for a later sharp transform).
 */
export async function extractFrame(
  inPath: string,
  outPath: string,
  atSeconds: number,
  opts: FrameGrabOptions = {},
): Promise<void> {
  const { claimedDuration, ...runOpts } = opts;
  const at = Math.max(0, atSeconds);
  const grab = (seek: string[]) =>
    runFfmpeg(
      [
        '-y',
        ...seek,
        '-i',
        inPath,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-map_metadata',
        '-1',
        '-update',
        '1',
        outPath,
      ],
      runOpts,
    );
  // -ss before -i seeks by keyframe index and then decodes to the exact time: fast and accurate
  await grab(['-ss', at.toFixed(3)]);
  if (await hasBytes(outPath)) return;
  // well before the end the header claims, no frame means the data ends early: say so, rather than
  // hand back the last (or first) frame as if it were the one asked for
  if (claimedDuration && at < claimedDuration - FRAME_END_SLACK_SECONDS) {
    throw new MediaError('media_corrupt', noFrameMessage(at, claimedDuration));
  }
  // a time at or past the end yields no frame at all; the last frame is what a user asking for it means
  await grab(['-sseof', '-1']);
  if (await hasBytes(outPath)) return;
  await grab([]);
  if (!(await hasBytes(outPath))) throw new MediaError('media_corrupt', 'No video frame could be decoded.');
}

async function hasBytes(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/**
 * Decodes the last seconds of a file and fails on the first error. An MP4 whose index sits at the front
 * probes fine even when its tail is cut off; this catches that truncation at ingest instead of mid-task.
 */
export async function verifyTail(
  path: string,
  opts: ProbeCallOptions & { seconds?: number } = {},
): Promise<void> {
  const tools = opts.tools ?? (await getMediaTools());
  const args = [
    '-v',
    'error',
    '-xerror',
    '-nostdin',
    '-sseof',
    `-${opts.seconds ?? 2}`,
    '-i',
    path,
    '-f',
    'null',
    '-',
  ];
  const spawnOpts: SpawnOptions = {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    keepStdout: false,
  };
  const res = await spawnCollect(tools.ffmpegPath, args, spawnOpts);
  if (res.killedFor) throw killedError('ffmpeg', res.killedFor, spawnOpts);
  if (res.code !== 0) {
    const detail = toolMessage(lastLines(res.stderr, 5), [path], [path]);
    const truncated = /partial file|end of file|Invalid data/i.test(res.stderr);
    throw new MediaError(
      'media_corrupt',
      truncated
        ? 'The file is truncated or corrupt: its last seconds cannot be decoded.'
        : `The file could not be decoded${detail ? `: ${detail}` : '.'}`,
      { detail },
    );
  }
}

export interface RunEngineOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** no output on stdout for this long → killed (whisper.cpp prints each segment as it goes) */
  stallTimeoutMs?: number;
  /** a name for messages ("whisper.cpp") */
  name: string;
}

/**
 * Runs another local engine (whisper.cpp) with the same care as ffmpeg: an argument array, never a shell;
 * cancel, time limit and stall watchdog; a failure message from the tool's last words with paths cut.
 * Returns its stdout and stderr.
 */
export async function runEngine(
  bin: string,
  args: string[],
  opts: RunEngineOptions,
): Promise<{ stdout: string; stderr: string }> {
  const spawnOpts: SpawnOptions = {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
    stallTimeoutMs: opts.stallTimeoutMs,
    keepStdout: true,
  };
  const res = await spawnCollect(bin, args, spawnOpts);
  if (res.killedFor) throw killedError(opts.name, res.killedFor, spawnOpts);
  if (res.code !== 0) {
    const detail = toolMessage(lastLines(res.stderr, 6), args);
    const how = res.signal ? `was killed by ${res.signal}` : `failed (exit code ${res.code})`;
    throw new MediaError('ffmpeg_failed', `${opts.name} ${how}${detail ? `: ${detail}` : '.'}`, { detail });
  }
  return { stdout: res.stdout, stderr: res.stderr };
}
