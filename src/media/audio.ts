import { type AudioInput, type AudioOptions, type AudioPlan, planAudio } from './audio-args.js';
import { type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';

/** Extracts/transcodes the first audio stream of inPath per the task options. */
export async function transcodeAudio(
  input: AudioInput,
  opts: AudioOptions,
  inPath: string,
  outPath: string,
  run: Omit<RunFfmpegOptions, 'durationSeconds'> = {},
): Promise<AudioPlan> {
  const plan = planAudio(opts, inPath, outPath, input);
  await runFfmpeg(plan.args, { ...run, durationSeconds: plan.duration });
  return plan;
}
