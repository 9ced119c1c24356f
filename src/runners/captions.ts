// Timed text for players: transcript segments cut into readable cues (at most two lines of 42 characters
// and seven seconds each, the usual broadcast limits) and written as WebVTT or SRT.
import type { TranscriptSegment } from '../ai/types.js';

export interface Cue {
  start: number;
  end: number;
  /** one or two lines joined by \n */
  text: string;
}

export const CUE_LIMITS = { lineChars: 42, lines: 2, seconds: 7 };

/** Greedy line wrap; null when the words do not fit in `lines` lines of `width`. */
export function wrap(words: string[], width: number, lines: number): string | null {
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line) out.push(line);
  // a single word longer than a line still makes a (long) cue: nothing shorter can be done with it
  if (out.length > lines) return null;
  return out.join('\n');
}

/** Cues from segments: words get times in proportion to their length inside their segment. */
export function buildCues(segments: TranscriptSegment[], limits = CUE_LIMITS): Cue[] {
  const cues: Cue[] = [];
  for (const seg of [...segments].sort((a, b) => a.start - b.start)) {
    const words = seg.text.split(/\s+/).filter(Boolean);
    if (!words.length) continue;
    const total = words.reduce((n, w) => n + w.length + 1, 0);
    const span = Math.max(0, seg.end - seg.start);
    let at = seg.start;
    const timed = words.map((w) => {
      const start = at;
      at += (span * (w.length + 1)) / total;
      return { w, start, end: at };
    });
    let current: typeof timed = [];
    const flush = () => {
      if (!current.length) return;
      cues.push({
        start: current[0].start,
        end: current[current.length - 1].end,
        text:
          wrap(
            current.map((t) => t.w),
            limits.lineChars,
            limits.lines,
          ) ?? current.map((t) => t.w).join(' '),
      });
      current = [];
    };
    for (const t of timed) {
      const next = [...current, t];
      const fits =
        wrap(
          next.map((x) => x.w),
          limits.lineChars,
          limits.lines,
        ) !== null && next[next.length - 1].end - next[0].start <= limits.seconds;
      if (!fits && current.length) flush();
      current.push(t);
    }
    flush();
  }
  // cues never overlap and always last a moment
  for (let i = 0; i < cues.length; i++) {
    const next = cues[i + 1];
    if (next && cues[i].end > next.start) cues[i].end = next.start;
    if (cues[i].end <= cues[i].start) cues[i].end = cues[i].start + 0.5;
    if (next && cues[i].end > next.start) next.start = cues[i].end;
  }
  return cues;
}

export function timestamp(seconds: number, sep: '.' | ','): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

/** Cue text must not end a cue early (a blank line) or start a timing line ("-->"). */
const cueText = (text: string) => text.replace(/\n{2,}/g, '\n').replace(/-->/g, '->');

export function renderVtt(cues: Cue[], opts: { language?: string | null } = {}): string {
  const head = opts.language ? `WEBVTT\nLanguage: ${opts.language}\n` : 'WEBVTT\n';
  const body = cues.map(
    (c, i) => `${i + 1}\n${timestamp(c.start, '.')} --> ${timestamp(c.end, '.')}\n${cueText(c.text)}\n`,
  );
  return [head, ...body].join('\n');
}

export function renderSrt(cues: Cue[]): string {
  return cues
    .map((c, i) => `${i + 1}\n${timestamp(c.start, ',')} --> ${timestamp(c.end, ',')}\n${cueText(c.text)}\n`)
    .join('\n');
}
