// Token buckets per API key, in this process. Each key's bucket holds up to `burst` requests and refills at
// `perMinute`; a request takes one token or is refused with the wait until the next one. Per node on
// purpose: no database round trip per request; a cluster of N API nodes allows up to N × the limit
// (docs/operations.md).

export interface RateLimitSettings {
  /** tokens added per minute; 0 turns rate limiting off */
  perMinute: number;
  /** the bucket's size: requests allowed at once after a quiet spell */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** whole tokens left after this request */
  remaining: number;
  /** seconds until the bucket is full again */
  resetSeconds: number;
  /** when refused: seconds until one token is there */
  retryAfterSeconds: number;
  /** RateLimit-Policy: burst and the window (seconds) in which the burst refills */
  policy: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

const SWEEP_EVERY_MS = 60_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastSweep = 0;

  constructor(
    readonly settings: RateLimitSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.perMs = settings.perMinute / 60_000;
  }

  get enabled(): boolean {
    return this.settings.perMinute > 0;
  }

  take(id: string): RateDecision {
    const { burst, perMinute } = this.settings;
    const t = this.clock();
    this.sweep(t);
    const b = this.buckets.get(id) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    this.buckets.set(id, b);
    const window = Math.ceil((burst / perMinute) * 60);
    return {
      allowed,
      limit: burst,
      remaining: Math.max(0, Math.floor(b.tokens)),
      resetSeconds: Math.ceil((burst - b.tokens) / this.perMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)),
      policy: `${burst};w=${window}`,
    };
  }

  /** Forgets buckets that have refilled: an idle key costs nothing. */
  private sweep(t: number): void {
    if (t - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = t;
    for (const [id, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.perMs >= this.settings.burst) this.buckets.delete(id);
    }
  }
}
