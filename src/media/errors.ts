export type MediaErrorCode =
  | 'corrupt_media'
  | 'unsupported_media'
  | 'too_large'
  | 'stalled'
  | 'cancelled'
  | 'timeout'
  | 'ffmpeg_failed'
  | 'tool_missing';

/**
 * A failure caused by the media itself or by the tool working on it. `message` is safe to show to the
 * API user (no absolute paths); `detail` may hold tool output for logs.
 */
export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;
  readonly detail?: string;

  constructor(code: MediaErrorCode, message: string, opts: { cause?: unknown; detail?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.detail = opts.detail;
  }
}

/** A task option that cannot be honoured; `option` names it so the API can point at the field. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
  readonly code = 'invalid_option';
  readonly option: string;
  readonly allowed?: readonly (string | number)[];

  constructor(option: string, message: string, allowed?: readonly (string | number)[]) {
    super(message);
    this.option = option;
    this.allowed = allowed;
  }
}

export const isMediaError = (err: unknown): err is MediaError => err instanceof MediaError;
