// A list the API pages through (newest first): the first page for `path`, reloaded when it changes, and
// "Load more" by the next link (or, for a first page without one, keyset `after` the last item). The items
// can be changed in place by live updates (setItems, setTotal).
import { useEffect, useState } from 'preact/hooks';
import { list } from './api';

export function usePagedList<T extends { id: string }>(
  path: string,
  opts: { keysetFallback?: boolean } = {},
) {
  const [items, setItems] = useState<T[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    list<T>(path).then(
      (r) => {
        if (!live) return;
        setItems(r.items);
        setTotal(r.total);
        setNext(r.next);
        setLoading(false);
      },
      (err) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path]);

  const loadMore = async () => {
    const last = items[items.length - 1];
    const url =
      next ??
      (opts.keysetFallback && last
        ? `${path}${path.includes('?') ? '&' : '?'}after=${encodeURIComponent(last.id)}`
        : null);
    if (!url) return;
    setMore(true);
    try {
      const r = await list<T>(url);
      setItems((have) => {
        const seen = new Set(have.map((x) => x.id));
        return [...have, ...r.items.filter((x) => !seen.has(x.id))];
      });
      setNext(r.next);
    } catch (err) {
      setError(err);
    } finally {
      setMore(false);
    }
  };

  return { items, setItems, total, setTotal, next, loading, more, error, loadMore };
}
