// `mediary doctor`: which engines this configuration gives the intelligence kinds, and whether they are
// ready (model files present, binaries where they are said to be). It needs no database.
import { createAiProviders } from '../ai/providers.js';
import type { Config } from '../config.js';

export async function doctorCommand(config: Config, opts: { json: boolean }): Promise<number> {
  const ai = createAiProviders(config.ai);
  try {
    const status = await ai.status();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ providers: status }, null, 2)}\n`);
    } else {
      for (const s of status) {
        const mark = s.ready ? 'ready  ' : 'missing';
        process.stdout.write(
          `${mark}  ${s.capability.padEnd(6)}  ${s.provider ?? '-'}${s.detail ? `\n         ${s.detail}` : ''}\n`,
        );
      }
    }
    return 0;
  } finally {
    await ai.close();
  }
}
