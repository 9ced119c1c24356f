// The `mediary` executable. Parses flags, loads config once, and dispatches to a command.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { AppError } from '../lib/errors.js';
import { keysCommand, projectsCommand, usersCommand } from './admin.js';
import { startCommand } from './start.js';

const HELP = `mediary — self-hosted media processing API (ittybit-compatible)

Usage:
  mediary start [--role all|api|worker] [--port N] [--delivery-port N] [--data-dir DIR] [--host H]
  mediary migrate
  mediary doctor [--json]          which speech, chat and nsfw engines are configured and ready
  mediary projects list [--json]
  mediary projects create NAME [--json]
  mediary keys create --project NAME [--name LABEL] [--json]
  mediary keys list [--project NAME] [--json]
  mediary keys revoke ID
  mediary users list [--json]      dashboard users (docs/webapp.md)
  mediary users create EMAIL [--role owner|member] [--json]   prints a one-time sign-in link (24 h)
  mediary users reset-password EMAIL [--json]   clears the password, ends sessions, prints a new link
  mediary upload FILE [--folder F] [--filename N] [--project P] [--key KEY]
                 (the key may come from MEDIARY_API_KEY; progress on stderr, the File JSON on stdout)

Every flag has an environment variable: --data-dir = MEDIARY_DATA_DIR, --port = MEDIARY_PORT, ...
(docs/configuration.md lists them all).
`;

const CONFIG_FLAGS = [
  'data-dir',
  'host',
  'port',
  'delivery-port',
  'database-url',
  'tls-cert',
  'tls-key',
  'public-url',
  'delivery-url',
  'default-version',
  'role',
  'log-level',
  'storage-url',
  'worker-concurrency',
] as const;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      project: { type: 'string' },
      name: { type: 'string' },
      ...Object.fromEntries(CONFIG_FLAGS.map((f) => [f, { type: 'string' as const }])),
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 1;
  }
  const flags: Record<string, string | undefined> = {};
  for (const f of CONFIG_FLAGS) flags[f] = values[f] as string | undefined;
  // `users create --role owner|member` is the user's role, not the server's (--role all|api|worker)
  const userRole = command === 'users' ? flags.role : undefined;
  if (command === 'users') flags.role = undefined;
  const config = loadConfig(process.env, flags);
  const opts = {
    json: Boolean(values.json),
    project: values.project as string | undefined,
    name: values.name as string | undefined,
    role: userRole,
  };
  switch (command) {
    case 'start':
      return startCommand(config);
    case 'migrate': {
      const { createContext } = await import('../app-context.js');
      const ctx = await createContext(config);
      await ctx.close();
      process.stdout.write('migrations applied\n');
      return 0;
    }
    case 'projects':
      return projectsCommand(config, rest, opts);
    case 'keys':
      return keysCommand(config, rest, opts);
    case 'users':
      return usersCommand(config, rest, opts);
    case 'doctor': {
      const { doctorCommand } = await import('./doctor.js');
      return doctorCommand(config, opts);
    }
    case 'upload': {
      const { uploadCommand } = await import('./upload.js');
      return uploadCommand(config, argv, process.env);
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code;
  },
  (err) => {
    if (err instanceof ConfigError || err instanceof AppError) {
      process.stderr.write(`mediary: ${err.message}\n`);
    } else {
      process.stderr.write(`mediary: ${(err as Error)?.stack ?? err}\n`);
    }
    process.exitCode = 1;
  },
);
