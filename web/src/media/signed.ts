// The delivery URLs the dashboard shows, plays and links: the plain URL of a public file; for a private one (a
// private project, or a folder under one of its private prefixes: GET /project/settings) a signed GET URL
// from POST /signatures, which a session may ask for (it signs with the project's dashboard signing secret).
// Signatures are kept per file URL for their lifetime (one hour, asked for again in its last ten minutes);
// a signed HLS master plays its whole package (docs/delivery.md, Private packages).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

const LIFETIME_SECONDS = 3600;
/** sign again when less than this is left, so a page opened from the cache still plays a while */
const RENEW_SECONDS = 600;
/** how long the project's access settings are taken as they were read */
const SETTINGS_TTL_MS = 30_000;

export interface AccessSettings {
  project_id: string;
  access: 'public' | 'private' | string;
  private_prefixes: string[];
}

/** Where a delivery URL points: its project and the folder/filename a signature covers. */
export interface DeliveryTarget {
  project: string;
  folder: string;
  filename: string;
}

interface SettingsEntry {
  at: number;
  promise: Promise<AccessSettings | null>;
  /** set once read (null when it could not be: then every file is signed, which works for public ones too) */
  value?: AccessSettings | null;
}

interface SignatureEntry {
  expiry: number;
  promise: Promise<string>;
  value?: string;
}

let settings: SettingsEntry | undefined;
const signatures = new Map<string, SignatureEntry>();

/** Drops what is known (a project switch, or access settings changed here). */
export function forgetSignatures(): void {
  settings = undefined;
  signatures.clear();
}

function accessSettings(): SettingsEntry {
  if (!settings || Date.now() - settings.at > SETTINGS_TTL_MS) {
    const entry: SettingsEntry = {
      at: Date.now(),
      promise: api<AccessSettings>('GET', '/project/settings').then(
        (s) => {
          entry.value = s;
          return s;
        },
        () => {
          entry.value = null;
          return null;
        },
      ),
    };
    settings = entry;
  }
  return settings;
}

/** The project and path of a delivery URL (`{delivery origin}/{project id}/{folder…}/{filename}`). */
export function deliveryTarget(url: string): DeliveryTarget | null {
  let u: URL;
  try {
    u = new URL(url, location.href);
  } catch {
    return null;
  }
  // already signed (a package part, a link made elsewhere): left as it is
  if (u.searchParams.has('signature')) return null;
  let parts: string[];
  try {
    parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
  const i = parts.findIndex((p) => /^prj_[A-Za-z0-9]+$/.test(p));
  if (i < 0 || i === parts.length - 1) return null;
  const path = parts.slice(i + 1);
  return { project: parts[i], folder: path.slice(0, -1).join('/'), filename: path[path.length - 1] };
}

/** Does reading this file need a signature? Unknown settings: yes (a signature works on public files too). */
export function needsSignature(s: AccessSettings | null | undefined, t: DeliveryTarget): boolean {
  if (!s || s.project_id !== t.project) return true;
  if (s.access === 'private') return true;
  // the API's file URLs are by path (an output named by its id sits at the root), so the folder is known
  return (s.private_prefixes ?? []).some((p) => t.folder === p || t.folder.startsWith(`${p}/`));
}

function signedGet(url: string, t: DeliveryTarget): SignatureEntry {
  const now = Date.now() / 1000;
  const hit = signatures.get(url);
  if (hit && hit.expiry - now > RENEW_SECONDS) return hit;
  const expiry = Math.floor(now) + LIFETIME_SECONDS;
  const entry: SignatureEntry = {
    expiry,
    promise: api<{ url: string }>('POST', '/signatures', {
      filename: t.filename,
      ...(t.folder ? { folder: t.folder } : {}),
      method: 'get',
      expiry,
    }).then(
      (s) => {
        entry.value = s.url;
        return s.url;
      },
      () => {
        // not signable (the session ended, the file's path changed): the plain URL, asked for again next time
        signatures.delete(url);
        return url;
      },
    ),
  };
  signatures.set(url, entry);
  return entry;
}

/** The URL to read a file by: plain when public, else signed (the same signature while it lasts). */
export async function viewUrl(url: string): Promise<string> {
  const t = deliveryTarget(url);
  if (!t) return url;
  const s = await accessSettings().promise;
  if (!needsSignature(s, t)) return url;
  return signedGet(url, t).promise;
}

/** viewUrl when the answer is already known (no request needed), else undefined. */
export function knownViewUrl(url: string): string | undefined {
  const t = deliveryTarget(url);
  if (!t) return url;
  const s = accessSettings();
  if (s.value === undefined) return undefined;
  if (!needsSignature(s.value, t)) return url;
  const hit = signatures.get(url);
  return hit?.value && hit.expiry - Date.now() / 1000 > RENEW_SECONDS ? hit.value : undefined;
}

/**
 * A file URL ready to read: undefined while its access is being looked up or it is being signed (so a
 * private file is never asked for unsigned and shown broken).
 */
export function useViewUrl(url: string | undefined): string | undefined {
  const [state, setState] = useState<{ for?: string; value?: string }>(() => ({
    for: url,
    value: url ? knownViewUrl(url) : undefined,
  }));
  useEffect(() => {
    if (!url) return;
    const known = knownViewUrl(url);
    if (known) {
      setState({ for: url, value: known });
      return;
    }
    let live = true;
    void viewUrl(url).then((value) => live && setState({ for: url, value }));
    return () => {
      live = false;
    };
  }, [url]);
  if (!url) return undefined;
  return state.for === url ? (state.value ?? knownViewUrl(url)) : knownViewUrl(url);
}
