// The one retry schedule: exponential from a base, capped, with ±jitter so that work that failed together
// (a receiver that was down, a busy store) does not come back all at the same instant. Task retries and
// webhook retries both use it.

export interface BackoffOptions {
  /** the wait after the first failure */
  baseMs: number;
  /** no wait is longer than this (before jitter) */
  capMs: number;
  /** spread as a fraction of the wait: 0.2 = ±20 % (default) */
  jitter?: number;
  /** [0, 1) */
  random?: () => number;
}

/** How long to wait after failed attempt number `attempt` (1-based): base · 2^(attempt−1), capped, jittered. */
export function backoff(attempt: number, opts: BackoffOptions): number {
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  const base = Math.min(opts.baseMs * 2 ** Math.max(0, attempt - 1), opts.capMs);
  return base * (1 - jitter + 2 * jitter * random());
}
