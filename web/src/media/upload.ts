// Browser uploads: each file gets a signed PUT URL (POST /signatures) and goes up with tus (resumable,
// chunked) against that URL under /tus/ on the delivery host (docs/delivery.md "tus 1.0"): no API key in
// the browser. Should the tus creation be refused, the same signed URL takes one PUT (XHR, with progress).
import { useRef, useState } from 'preact/hooks';
import { DetailedError, Upload } from 'tus-js-client';
import { ApiError, api } from '../api';
import type { Media, MediaFile } from './types';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  /** 0–100 */
  progress: number;
  status: 'queued' | 'uploading' | 'processing' | 'done' | 'error';
  error?: string;
  via?: 'tus' | 'put';
}

interface Signature {
  url: string;
  expiry: number;
}

interface Job {
  item: UploadItem;
  file: File;
  folder: string;
  cancel?: () => void;
  cancelled?: boolean;
}

/** At most this many files go up at once; the others wait their turn. */
const PARALLEL = 3;
const CHUNK = 5 * 1024 * 1024;

/** The tus endpoint for a signed PUT URL: the same URL with /tus before its path. */
export function tusEndpoint(signedUrl: string): string {
  const u = new URL(signedUrl);
  u.pathname = `/tus${u.pathname}`;
  return u.toString();
}

function errorText(err: unknown): string {
  if (err instanceof DetailedError) {
    const res = err.originalResponse;
    const body = res?.getBody()?.trim();
    if (res) return `${res.getStatus()}${body ? `: ${body.slice(0, 300)}` : ''}`;
    return 'the upload could not reach the server';
  }
  return err instanceof Error ? err.message : String(err);
}

function viaTus(
  job: Job,
  endpoint: string,
  fingerprint: string,
  onProgress: (p: number) => void,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let fileId: string | null = null;
    const up = new Upload(job.file, {
      endpoint,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 6000],
      metadata: { filename: job.file.name, filetype: job.file.type || 'application/octet-stream' },
      // the signed endpoint changes with every signature: resume by the file itself
      fingerprint: async () => fingerprint,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(total ? (sent / total) * 100 : 0),
      onAfterResponse: (_req, res) => {
        const id = res.getHeader('Mediary-File-Id');
        if (id) fileId = id;
      },
      onSuccess: () => resolve(fileId),
      onError: (err) => reject(err),
      onShouldRetry: (err) => {
        const s = err.originalResponse?.getStatus() ?? 0;
        return s === 0 || s === 409 || s === 423 || s >= 500;
      },
    });
    job.cancel = () => {
      up.abort(true).catch(() => {});
      reject(new Error('cancelled'));
    };
    up.findPreviousUploads().then(
      (previous) => {
        if (previous[0]) up.resumeFromPreviousUpload(previous[0]);
        if (!job.cancelled) up.start();
      },
      () => {
        if (!job.cancelled) up.start();
      },
    );
  });
}

function viaPut(job: Job, url: string, onProgress: (p: number) => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', job.file.type || 'application/octet-stream');
    xhr.setRequestHeader('accept-version', '2025-07-01');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress((e.loaded / e.total) * 100);
    xhr.onload = () => {
      let json: { id?: string; data?: { id?: string }; error?: { message?: string } } | null = null;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(json?.data?.id ?? json?.id ?? null);
      else
        reject(new Error(`${xhr.status}: ${json?.error?.message ?? (xhr.statusText || 'upload refused')}`));
    };
    xhr.onerror = () => reject(new Error('the upload could not reach the server'));
    xhr.onabort = () => reject(new Error('cancelled'));
    job.cancel = () => xhr.abort();
    xhr.send(job.file);
  });
}

/** The uploads of a page: start files, follow their progress, cancel them; onMedia gets each new media. */
export function useUploads(projectId: string, onMedia: (m: Media) => void) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const jobs = useRef(new Map<string, Job>());
  const queue = useRef<Job[]>([]);
  const active = useRef(0);
  const onMediaRef = useRef(onMedia);
  onMediaRef.current = onMedia;

  const patch = (key: string, change: Partial<UploadItem>) =>
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const run = async (job: Job) => {
    const { key } = job.item;
    patch(key, { status: 'uploading' });
    let lastPaint = 0;
    const onProgress = (p: number) => {
      const t = performance.now();
      if (p < 100 && t - lastPaint < 100) return;
      lastPaint = t;
      patch(key, { progress: p });
    };
    try {
      const sig = await api<Signature>('POST', '/signatures', {
        filename: job.file.name,
        ...(job.folder ? { folder: job.folder } : {}),
        method: 'put',
        expiry: Math.floor(Date.now() / 1000) + 24 * 3600,
      });
      if (job.cancelled) return;
      let fileId: string | null;
      const fingerprint = [
        'mediary',
        projectId,
        job.folder,
        job.file.name,
        job.file.type,
        job.file.size,
        job.file.lastModified,
      ].join('|');
      try {
        patch(key, { via: 'tus' });
        fileId = await viaTus(job, tusEndpoint(sig.url), fingerprint, onProgress);
      } catch (err) {
        if (job.cancelled) return;
        // refused at creation (nothing sent yet): the same signature takes a plain PUT
        const res = err instanceof DetailedError ? err.originalResponse : null;
        const atCreation = err instanceof DetailedError && err.originalRequest?.getMethod() === 'POST';
        if (!atCreation || res?.getStatus() === 413) throw err;
        patch(key, { via: 'put', progress: 0 });
        fileId = await viaPut(job, sig.url, onProgress);
      }
      if (job.cancelled) return;
      patch(key, { progress: 100, status: 'processing' });
      if (fileId) {
        const file = await api<MediaFile>('GET', `/files/${fileId}`);
        if (file.media_id) onMediaRef.current(await api<Media>('GET', `/media/${file.media_id}`));
      }
      patch(key, { status: 'done' });
      // a finished row leaves the list after a moment
      setTimeout(() => remove(key), 4000);
    } catch (err) {
      if (job.cancelled) return;
      patch(key, { status: 'error', error: err instanceof ApiError ? err.message : errorText(err) });
    } finally {
      active.current--;
      pump();
    }
  };

  const pump = () => {
    while (active.current < PARALLEL && queue.current.length) {
      const job = queue.current.shift() as Job;
      if (job.cancelled) continue;
      active.current++;
      void run(job);
    }
  };

  const remove = (key: string) => {
    jobs.current.delete(key);
    setItems((list) => list.filter((i) => i.key !== key));
  };

  const add = (files: FileList | File[], folder = '') => {
    const fresh: UploadItem[] = [];
    for (const file of Array.from(files)) {
      const key = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const item: UploadItem = { key, name: file.name, size: file.size, progress: 0, status: 'queued' };
      const job: Job = { item, file, folder };
      jobs.current.set(key, job);
      queue.current.push(job);
      fresh.push(item);
    }
    setItems((list) => [...list, ...fresh]);
    pump();
  };

  /** Stops an upload (terminating it on the server) and removes its row. */
  const cancel = (key: string) => {
    const job = jobs.current.get(key);
    if (job) {
      job.cancelled = true;
      job.cancel?.();
    }
    remove(key);
  };

  return { items, add, cancel };
}
