// A worker process for `npm run chaos`: the `count` kind writes a small note after a few ms, so tasks are
// short and a kill often lands in the middle of one.
import { setTimeout as delay } from 'node:timers/promises';
import { createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { countKind } from './chaos-kind.js';

const ctx = await createContext(loadConfig(process.env), {
  kinds: [countKind(() => delay(20 + Math.random() * 80))],
});
await ctx.startWorker({ workerId: `chaos-${process.pid}` });
process.stdout.write('ready\n');
