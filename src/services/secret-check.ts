// Every node on one database must hold the same server secret: API keys and webhook secrets are sealed with
// it. A node with another one used to start and answer reads, then fail every signature (500) and never sign
// a webhook. The first node records a check value of its secret; any node whose secret does not match
// refuses to start, naming MEDIARY_SECRET. A secret is generated only for a database that has none recorded.
import {
  discardGeneratedSecret,
  type SecretBox,
  type ServerSecret,
  safeEqual,
  saveGeneratedSecret,
  secretCheckValue,
} from '../lib/secrets.js';
import { now } from '../lib/time.js';
import type { InstallationRepository } from '../store/installation.repository.js';

const CHECK = 'secret_check';

export class SecretMismatchError extends Error {}

function mismatch(s: ServerSecret, why: string): SecretMismatchError {
  const have =
    s.source === 'configured'
      ? 'the MEDIARY_SECRET given to this node'
      : s.source === 'file'
        ? `the secret in ${s.file} (MEDIARY_SECRET is not set)`
        : 'no secret (MEDIARY_SECRET is not set and the data dir has no secret.key)';
  return new SecretMismatchError(
    `${why} This node has ${have}. Set MEDIARY_SECRET on every node sharing this database to the same value ` +
      `(a node that generated one keeps it in {its data dir}/secret.key).`,
  );
}

/**
 * Checks this node's secret against the one the database records, recording it on a database that has
 * none; saves a generated secret only once the database has taken it. Returns what to log, if anything.
 */
export async function checkServerSecret(
  repo: InstallationRepository,
  s: ServerSecret,
  box: SecretBox,
  opts: { shared: boolean },
): Promise<string | undefined> {
  const check = secretCheckValue(s.secret);
  const recorded = await repo.get(CHECK);
  if (recorded) {
    if (!safeEqual(recorded, check)) {
      throw mismatch(s, 'This database was set up with another server secret than this node has.');
    }
  } else {
    // a database from before the check, or a new one: what it holds already must open with this secret
    const sealed = await repo.anySealed();
    if (sealed) {
      try {
        box.open(sealed);
      } catch {
        throw mismatch(s, 'The API keys in this database were sealed with another server secret.');
      }
    }
    // saved before it is recorded: a crash in between must not leave a database whose secret nobody has
    saveGeneratedSecret(s);
    const stored = await repo.setOnce(CHECK, check, now());
    if (!safeEqual(stored, check)) {
      discardGeneratedSecret(s);
      throw mismatch(s, 'Another node set this database up with its own server secret at the same time.');
    }
  }
  if (s.source === 'generated' && opts.shared) {
    return (
      `Generated the server secret into ${s.file} for this database. Every other node on it must get ` +
      'the same value as MEDIARY_SECRET (a node without it refuses to start).'
    );
  }
  return undefined;
}
