import { AppError } from '../lib/errors.js';

/** The catalogue codes (lib/errors.ts) a media tool or the media itself can fail with. */
export type MediaErrorCode =
  | 'media_corrupt'
  | 'media_unsupported'
  | 'media_too_large'
  | 'stalled'
  | 'cancelled'
  | 'timeout'
  | 'ffmpeg_failed'
  | 'tool_missing';

/**
 * A failure caused by the media itself or by the tool working on it. `message` is safe to show to the
 * API user (no absolute paths); `detail` may hold tool output for logs. Whether it is worth another attempt
 * comes from the error catalogue: a broken input is not, a tool crash or stall is.
 */
export class MediaError extends AppError {
  override readonly name = 'MediaError';
  declare readonly code: MediaErrorCode;
  readonly detail?: string;

  constructor(code: MediaErrorCode, message: string, opts: { cause?: unknown; detail?: string } = {}) {
    super(code, message, { cause: opts.cause });
    this.detail = opts.detail;
  }
}

/** A task option that cannot be honoured; `option` names it so the API can point at the field. */
export class OptionError extends AppError {
  override readonly name = 'OptionError';
  readonly option: string;
  readonly allowed?: readonly (string | number)[];

  constructor(option: string, message: string, allowed?: readonly (string | number)[]) {
    super('option_invalid', message);
    this.option = option;
    this.allowed = allowed;
  }
}

export const isMediaError = (err: unknown): err is MediaError => err instanceof MediaError;
