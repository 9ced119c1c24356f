import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { MediaError } from './errors.js';

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

export interface ToolPaths {
  ffmpegPath?: string;
  ffprobePath?: string;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function findOnPath(name: string): Promise<string | null> {
  // PATH is read at call time (not import time) because this is what spawn() would search anyway.
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

async function fromInstaller(pkg: string): Promise<string | null> {
  try {
    // The installers are optionalDependencies: absent on some platforms, and they throw on import when
    // their platform binary is missing.
    const mod = (await import(pkg)) as { default?: { path?: string }; path?: string };
    const path = mod.default?.path ?? mod.path;
    return path && (await isExecutable(path)) ? path : null;
  } catch {
    return null;
  }
}

async function resolveOne(
  name: 'ffmpeg' | 'ffprobe',
  given: string | undefined,
  pkg: string,
): Promise<string> {
  if (given) {
    // a bare name is looked up on PATH like a shell would; anything with a slash is taken as a path
    const path = given.includes('/') ? ((await isExecutable(given)) ? given : null) : await findOnPath(given);
    if (path) return path;
    throw new MediaError(
      'tool_missing',
      `The configured ${name} (MEDIARY_${name.toUpperCase()}_PATH=${given}) is not an executable file.`,
    );
  }
  const found = (await findOnPath(name)) ?? (await fromInstaller(pkg));
  if (!found) {
    throw new MediaError(
      'tool_missing',
      `${name} was not found: install it on PATH, set MEDIARY_${name.toUpperCase()}_PATH, or install ${pkg}.`,
    );
  }
  return found;
}

const cache = new Map<string, Promise<MediaTools>>();

/**
 * Finds ffmpeg and ffprobe: the given paths first, then PATH, then the optional npm installers.
 * A configured path that does not work is an error rather than a silent fallback, so a typo in the
 * configuration is noticed.
 */
export function resolveTools(opts: ToolPaths = {}): Promise<MediaTools> {
  const key = `${opts.ffmpegPath ?? ''}\0${opts.ffprobePath ?? ''}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = Promise.all([
      resolveOne('ffmpeg', opts.ffmpegPath, '@ffmpeg-installer/ffmpeg'),
      resolveOne('ffprobe', opts.ffprobePath, '@ffprobe-installer/ffprobe'),
    ]).then(([ffmpegPath, ffprobePath]) => ({ ffmpegPath, ffprobePath }));
    // a failed lookup is not cached: the operator may install the tool and retry
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}
