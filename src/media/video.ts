import { ffmpegEncoders, type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';
import {
  planVideo,
  type VideoEnv,
  type VideoInput,
  type VideoOptions,
  type VideoPlan,
} from './video-args.js';

/** Transcodes inPath to outPath per the task options; resolves with what was produced. */
export async function transcodeVideo(
  input: VideoInput,
  opts: VideoOptions,
  inPath: string,
  outPath: string,
  run: Omit<RunFfmpegOptions, 'durationSeconds'> & { speed?: VideoEnv['speed'] } = {},
): Promise<VideoPlan> {
  const { speed, ...runOpts } = run;
  const encoders = await ffmpegEncoders(run.tools);
  const plan = planVideo(input, opts, inPath, outPath, { encoders, speed });
  await runFfmpeg(plan.args, { ...runOpts, durationSeconds: plan.duration });
  return plan;
}
