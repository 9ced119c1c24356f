// Live updates over Server-Sent Events (GET /events/stream): one EventSource for the whole page, shared by
// every component that listens, reconnecting (with Last-Event-ID) by itself.
import { useEffect, useRef } from 'preact/hooks';

export interface LiveMessage {
  /** event kind: task.created, task.progress, task.completed, media.created, … */
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are API objects
  data: any;
}

type Listener = (m: LiveMessage) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
const KINDS = [
  'task.created',
  'task.processing',
  'task.progress',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'media.created',
  'media.updated',
  'media.deleted',
  'file.created',
  'file.updated',
  'file.deleted',
  'automation.triggered',
];

function open(): void {
  if (source) return;
  source = new EventSource('/events/stream', { withCredentials: true });
  for (const kind of KINDS) {
    source.addEventListener(kind, (e) => {
      let data: unknown = null;
      try {
        data = JSON.parse((e as MessageEvent).data);
      } catch {
        return;
      }
      for (const l of listeners) l({ type: kind, data });
    });
  }
}

/** Closes the stream (on sign-out or a project switch; the next listener opens a new one). */
export function closeLive(): void {
  source?.close();
  source = undefined;
}

/** Calls fn for every live message while the component is mounted. */
export function useLive(fn: Listener): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const l: Listener = (m) => ref.current(m);
    listeners.add(l);
    open();
    return () => {
      listeners.delete(l);
    };
  }, []);
}
