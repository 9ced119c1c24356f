/** Windows of at most `size` seconds covering [0, duration): long inputs go to an engine piece by piece. */
export function chunkWindows(duration: number, size: number): { start: number; duration: number }[] {
  if (!(duration > size)) return [{ start: 0, duration: Math.max(0, duration) }];
  const out: { start: number; duration: number }[] = [];
  for (let start = 0; start < duration; start += size) {
    out.push({ start, duration: Math.min(size, duration - start) });
  }
  return out;
}
