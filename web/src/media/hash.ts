// Page state kept in the hash's query (#/media?kind=video&q=cat), so a reload or a shared link keeps it.
import { useEffect, useRef } from 'preact/hooks';

/** Replaces the current hash with `#{path}?{query}` (no new history entry); the router hears hashchange. */
export function replaceHashQuery(path: string, query: URLSearchParams): void {
  const s = query.toString();
  const hash = `#${path}${s ? `?${s}` : ''}`;
  if (location.hash === hash) return;
  location.replace(`${location.pathname}${location.search}${hash}`);
}

/** A copy of `query` with `key` set to `value` (removed when empty). */
export function withParam(query: URLSearchParams, key: string, value: string): URLSearchParams {
  const q = new URLSearchParams(query);
  if (value) q.set(key, value);
  else q.delete(key);
  return q;
}

/** Calls fn(value) once value has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number, fn: (v: T) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const t = setTimeout(() => ref.current(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
}
