// The `mediary` executable as an operator runs it, for the CLI tests: one-shot commands, and `mediary start`
// (API on a free port, no worker) until it has said where it listens, then SIGTERM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/mediary.js');

export interface Started {
  child: ChildProcess;
  output: string;
  apiPort: number;
}

/** Commands and a server run with `env()` (read at each call, so a test may set its data dir later). */
export function cli(env: () => NodeJS.ProcessEnv) {
  return {
    async mediary(...args: string[]): Promise<string> {
      const { stdout } = await exec(process.execPath, [BIN, ...args], { env: env() });
      return stdout;
    },

    start(): Promise<Started> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--delivery-port', '0'], {
          env: { ...env(), MEDIARY_WORKER_CONCURRENCY: '0' },
        });
        let output = '';
        const onData = (d: Buffer) => {
          output += d.toString();
          const m = /API\s+\S+\s+\(listening on https:\/\/127\.0\.0\.1:(\d+)\)/.exec(output);
          if (m && /data\s+/.test(output)) resolve({ child, output, apiPort: Number(m[1]) });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`mediary start exited ${code}: ${output}`)));
      });
    },

    stop(s: Started): Promise<void> {
      return new Promise((resolve) => {
        s.child.removeAllListeners('exit');
        s.child.once('exit', () => resolve());
        s.child.kill('SIGTERM');
      });
    },
  };
}
