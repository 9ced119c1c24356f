// Hooks a plugin puts on some routes only (from an onRoute hook), ahead of the route's own: a request to
// any other route pays nothing for them.

/** A route's hooks of one kind with `first` ahead of the route's own (which may be one, several or none). */
export function hooksBefore<T>(first: T, own: T | T[] | undefined): T[] {
  return [first, ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
}
