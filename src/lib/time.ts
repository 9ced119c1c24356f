/** Timestamps are stored and sent as ISO-8601 UTC strings; the store compares them as text. */
export function now(): string {
  return new Date().toISOString();
}

export function isoPlus(ms: number, from = Date.now()): string {
  return new Date(from + ms).toISOString();
}
