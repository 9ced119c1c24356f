// Housekeeping that repeats (sweepers, pruners): one run at a time, errors reported, never keeping the
// process alive.

/**
 * Runs `work` every `everyMs` (and once at once with `now`), skipping a tick while the last run is still
 * going; the returned function stops it.
 */
export function every(
  everyMs: number,
  work: () => Promise<unknown>,
  onError: (err: Error) => void,
  opts: { now?: boolean } = {},
): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    work()
      .catch((err) => onError(err as Error))
      .finally(() => {
        running = false;
      });
  };
  if (opts.now) tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
