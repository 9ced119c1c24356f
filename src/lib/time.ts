/** Timestamps are stored and sent as ISO-8601 UTC strings; the store compares them as text. */
export function now(): string {
  return new Date().toISOString();
}

export function isoPlus(ms: number, from = Date.now()): string {
  return new Date(from + ms).toISOString();
}

let lastStrict = 0;

/**
 * Like now(), but each call in this process is later than the one before (by a millisecond when the clock
 * has not moved): events written in one millisecond keep the order they happened in, since readers order
 * them by (created, id) and ids are random.
 */
export function strictlyIncreasingNow(): string {
  const t = Math.max(Date.now(), lastStrict + 1);
  lastStrict = t;
  return new Date(t).toISOString();
}
