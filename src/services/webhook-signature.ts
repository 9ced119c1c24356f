// Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
// "{webhook-id}.{webhook-timestamp}.{raw body}", HMAC-SHA256 with the base64-decoded part of the `whsec_`
// secret, sent as "v1,<base64>". Receivers can verify with the official `standardwebhooks` libraries.
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';
/** Standard Webhooks' recommended tolerance against replays. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

// a type alias, not an interface, so it is assignable to Record<string, string> (http headers)
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function webhookKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new Error('the webhook secret is empty');
  return key;
}

/** "v1,<base64 HMAC-SHA256>" */
export function signWebhook(
  secret: string,
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  const mac = createHmac('sha256', webhookKey(secret));
  mac.update(`${msgId}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export function webhookHeaders(
  secret: string,
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): WebhookHeaders {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, msgId, timestampSeconds, body),
  };
}

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/**
 * Verifies a received webhook; throws WebhookVerificationError. Several secrets may be given (a receiver
 * that keeps the previous secret for a while after a rotation), and the header may carry several
 * space-separated signatures, as the spec allows.
 */
export function verifyWebhook(
  secrets: string | string[],
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): void {
  const h = (name: string): string | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const v = key === undefined ? undefined : headers[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = h('webhook-id');
  const ts = h('webhook-timestamp');
  const sig = h('webhook-signature');
  if (!id || !ts || !sig) throw new WebhookVerificationError('missing webhook-id, -timestamp or -signature');
  if (!/^\d+$/.test(ts)) throw new WebhookVerificationError('invalid webhook-timestamp');
  const timestamp = Number(ts);
  const nowSeconds = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new WebhookVerificationError('webhook-timestamp is outside the tolerance');
  }
  const passed = sig
    .split(' ')
    .map((s) => s.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value!));
  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    const expected = Buffer.from(signWebhook(secret, id, timestamp, body).slice(3));
    if (passed.some((p) => p.length === expected.length && timingSafeEqual(p, expected))) return;
  }
  throw new WebhookVerificationError('no matching signature');
}
