// Hash routes (#/media/med_…): the server serves one page, and tokens in a fragment never reach a log.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** the first segment: media, tasks, keys, … */
  name: string;
  /** the segments after it */
  params: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] ?? '', params: parts.slice(1), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Goes to a route; with replace, the current entry is overwritten (e.g. a spent sign-in link). */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  const hash = path.startsWith('#') ? path : `#${path}`;
  if (!opts.replace) {
    location.hash = hash;
    return;
  }
  // replaceState fires no hashchange of its own; the router listens for one
  history.replaceState(null, '', hash);
  dispatchEvent(new HashChangeEvent('hashchange'));
}

export function href(path: string): string {
  return `#${path}`;
}
