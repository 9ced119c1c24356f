import type { ProbeResult } from '../media/probe.js';
import type { FileRow } from '../store/media.repository.js';

export type FactColumns = Pick<
  FileRow,
  | 'codec'
  | 'container'
  | 'width'
  | 'height'
  | 'orientation'
  | 'rotation'
  | 'transparency'
  | 'animated'
  | 'frames'
  | 'duration'
  | 'fps'
  | 'bitrate'
>;

/** The files columns that hold what a probe found; facts it did not find are stored as null. */
export function factColumns(facts: Partial<ProbeResult>): FactColumns {
  return {
    codec: facts.codec ?? null,
    container: facts.container ?? null,
    width: facts.width ?? null,
    height: facts.height ?? null,
    orientation: facts.orientation ?? null,
    rotation: facts.rotation ?? null,
    // booleans are stored as 0/1: SQLite has no boolean type
    transparency: facts.transparency === undefined ? null : facts.transparency ? 1 : 0,
    animated: facts.animated === undefined ? null : facts.animated ? 1 : 0,
    frames: facts.frames ?? null,
    duration: facts.duration ?? null,
    fps: facts.fps ?? null,
    bitrate: facts.bitrate ?? null,
  };
}
