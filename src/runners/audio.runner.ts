// audio: transcode an audio file or extract the sound of a video (spec §6.4 audio). Default: MP3 at the
// 'medium' bitrate.
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { AUDIO_FORMATS, planAudio } from '../media/audio-args.js';
import { runFfmpeg } from '../media/ffmpeg.js';
import {
  checkOptions,
  checkOutputDuration,
  ffmpegWatch,
  outputProps,
  probeInput,
  probeOutput,
  qualityOption,
  runMediaTask,
  StringEnum,
  singleSourceOutput,
  trimOptions,
} from './media-task.js';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';

export const AudioTaskOptions = Type.Object(
  {
    format: Type.Optional(
      StringEnum(AUDIO_FORMATS, {
        default: 'mp3',
        description:
          'mp3; aac (AAC in .m4a); ogg and opus (Opus in Ogg); wav (16-bit PCM); flac; alac (Apple Lossless in .m4a)',
      }),
    ),
    quality: qualityOption(
      'bitrate level for lossy formats when no bitrate is given: 1–100 or very_low … very_high',
      'medium',
    ),
    bitrate: Type.Optional(
      Type.Integer({
        minimum: 32_000,
        maximum: 320_000,
        description: 'bits per second for lossy formats; default: decided by quality (mp3 160 kbps)',
      }),
    ),
    ...trimOptions,
    ...outputProps,
  },
  { additionalProperties: false },
);

export type AudioTaskOptions = Static<typeof AudioTaskOptions>;

async function run(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = checkOptions<AudioTaskOptions>(AudioTaskOptions, ctx.task.options);
    const { path, probe } = await probeInput(ctx, 'audio', ['audio', 'video']);
    if (!probe.hasAudio) {
      throw new PermanentTaskError('The input video has no audio stream, so there is no audio to extract.');
    }
    const outPath = join(ctx.workDir, 'output');
    const plan = planAudio(options, path, outPath, probe);

    await runFfmpeg(plan.args, { ...ffmpegWatch(ctx), durationSeconds: plan.duration });

    const facts = await probeOutput(outPath, ctx.signal);
    checkOutputDuration(probe, plan.duration, facts.duration, options.start);
    return singleSourceOutput(options, {
      localPath: outPath,
      kind: 'audio',
      type: facts.type || plan.type,
      facts,
      ext: plan.ext,
    });
  });
}

export const audioKind: TaskKindDefinition = {
  kind: 'audio',
  accepts: ['audio', 'video'],
  options: AudioTaskOptions,
  formats: [...AUDIO_FORMATS],
  description:
    'Transcodes audio, or extracts the sound of a video: format (mp3, aac, wav, ogg, opus, flac, alac), bitrate or quality, trim.',
  run,
};
