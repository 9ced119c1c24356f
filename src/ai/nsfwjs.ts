// The local nsfw classifier: nsfwjs's bundled MobileNetV2 (shipped inside the npm package) on tfjs's wasm
// backend (the .wasm files ship inside @tensorflow/tfjs-backend-wasm): nothing is downloaded, nothing
// native is built. Inference runs in one worker thread per process, so the event loop (heartbeats, the API)
// never waits on it; the model loads once, on first use, and stays loaded.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../lib/errors.js';
import { imagePixels } from '../media/analysis.js';
import type { NsfwCallContext, NsfwCategoryScores, NsfwClassifier, NsfwScores } from './types.js';

// CommonJS inside the worker: tfjs, its wasm backend and nsfwjs must share one tfjs instance, which
// require() from one base guarantees.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const req = createRequire(workerData.base);
const model = (async () => {
  const tf = req('@tensorflow/tfjs');
  const wasm = req('@tensorflow/tfjs-backend-wasm');
  const nsfwjs = req('nsfwjs');
  wasm.setWasmPaths(workerData.wasmDir + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const origWarn = console.warn, origLog = console.log, origInfo = console.info;
  console.warn = console.log = console.info = () => {};
  try {
    const m = await nsfwjs.load('MobileNetV2');
    parentPort.postMessage({ type: 'loaded' });
    return { tf, m };
  } finally {
    console.warn = origWarn; console.log = origLog; console.info = origInfo;
  }
})();
model.catch(() => {});
parentPort.on('message', async (msg) => {
  try {
    const { tf, m } = await model;
    const img = tf.tensor3d(new Uint8Array(msg.data), [msg.height, msg.width, 3], 'int32');
    try {
      const preds = await m.classify(img, 5);
      parentPort.postMessage({ type: 'result', id: msg.id, preds });
    } finally {
      img.dispose();
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve(scores: NsfwScores): void;
  reject(err: Error): void;
}

/** The process's one nsfw worker thread, shared by every context (tests build several). */
class NsfwWorker {
  static loads = 0;
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  private start(): Worker {
    const require = createRequire(import.meta.url);
    const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { base: import.meta.url, wasmDir } });
    // an idle worker must not keep the process alive; a pending request refs it again
    w.unref();
    w.on(
      'message',
      (m: {
        type: string;
        id?: number;
        preds?: { className: string; probability: number }[];
        error?: string;
      }) => {
        if (m.type === 'loaded') {
          NsfwWorker.loads++;
          return;
        }
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (!p || m.id === undefined) return;
        this.pending.delete(m.id);
        if (!this.pending.size) w.unref();
        if (m.type === 'result' && m.preds) p.resolve(toScores(m.preds));
        else p.reject(new AppError('internal_error', `The nsfw model failed: ${m.error ?? 'no result'}`));
      },
    );
    const failAll = (err: Error) => {
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', (err) =>
      failAll(new AppError('internal_error', `The nsfw worker failed: ${err.message}`, { cause: err })),
    );
    w.on('exit', () => failAll(new AppError('internal_error', 'The nsfw worker stopped.')));
    return w;
  }

  classify(data: Buffer, width: number, height: number, signal: AbortSignal): Promise<NsfwScores> {
    this.worker ??= this.start();
    const w = this.worker;
    const id = this.next++;
    // a copy the worker owns: the caller's buffer may be a slice of sharp's pool
    const copy = new Uint8Array(data).buffer;
    return new Promise<NsfwScores>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        reject(new AppError('cancelled', 'The nsfw check was cancelled.'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (s) => {
          signal.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      w.ref();
      w.postMessage({ id, data: copy, width, height }, [copy]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

function toScores(preds: { className: string; probability: number }[]): NsfwScores {
  const s: NsfwScores = { drawing: 0, hentai: 0, neutral: 0, porn: 0, sexy: 0 };
  for (const p of preds) {
    const k = p.className.toLowerCase() as keyof NsfwScores;
    if (k in s) s[k] = Math.min(1, Math.max(0, p.probability));
  }
  return s;
}

const shared = new NsfwWorker();

const round = (n: number) => Math.round(n * 1000) / 1000;

/** nsfwjs's classes → the API's categories: nudity (porn, sexy), sexual (porn, hentai); no violence or gore model. */
export function nsfwjsCategories(s: NsfwScores): NsfwCategoryScores {
  return {
    nudity: round(Math.min(1, s.porn + s.sexy)),
    sexual: round(Math.min(1, s.porn + s.hentai)),
    violence: null,
    gore: null,
    classes: {
      drawing: round(s.drawing),
      hentai: round(s.hentai),
      neutral: round(s.neutral),
      porn: round(s.porn),
      sexy: round(s.sexy),
    },
  };
}

export class NsfwjsClassifier implements NsfwClassifier {
  readonly name = 'nsfwjs (MobileNetV2, wasm)';
  readonly remote = false;
  /** the pixel size the model wants (square RGB) */
  readonly inputSize = 224;

  /** How many times this process has loaded the model (tests check it stays 1). */
  static get loads(): number {
    return NsfwWorker.loads;
  }

  classify(rgb: { data: Buffer; width: number; height: number }, signal: AbortSignal): Promise<NsfwScores> {
    return shared.classify(rgb.data, rgb.width, rgb.height, signal);
  }

  async score(path: string, ctx: NsfwCallContext): Promise<NsfwCategoryScores> {
    const pixels = await imagePixels(path, this.inputSize, ctx.maxPixels);
    return nsfwjsCategories(await this.classify(pixels, ctx.signal));
  }

  /** Stops the process's worker (the next classify starts and loads it again). */
  static close(): Promise<void> {
    return shared.close();
  }
}
