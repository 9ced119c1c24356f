// `mediary doctor`: what this configuration gives the node — the readiness checks (database, storage, ffmpeg),
// ffmpeg's encoders, the TLS certificate's expiry, disk free — and which engines the intelligence kinds have
// (model files present, binaries where they are said to be). Exits 1 when a check fails.
import { createAiProviders } from '../ai/providers.js';
import { createContext } from '../app-context.js';
import type { Config } from '../config.js';
import type { Check } from '../services/health.service.js';

async function nodeChecks(config: Config): Promise<Check[]> {
  try {
    const ctx = await createContext(config);
    try {
      return await ctx.health.doctor();
    } finally {
      await ctx.close();
    }
  } catch (err) {
    return [{ name: 'database', ok: false, detail: (err as Error).message }];
  }
}

export async function doctorCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const checks = await nodeChecks(config);
  const ai = createAiProviders(config.ai);
  try {
    const status = await ai.status();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ checks, providers: status }, null, 2)}\n`);
    } else {
      for (const c of checks) {
        process.stdout.write(`${c.ok ? 'ok     ' : 'FAILED '}  ${c.name.padEnd(8)}  ${c.detail}\n`);
      }
      for (const s of status) {
        const mark = s.ready ? 'ready  ' : 'missing';
        process.stdout.write(
          `${mark}  ${s.capability.padEnd(6)}  ${s.provider ?? '-'}${s.detail ? `\n         ${s.detail}` : ''}\n`,
        );
      }
    }
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await ai.close();
  }
}
