// The baseline for bench/api.ts: a Fastify hello-world over TLS with the same certificate.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [certPath, keyPath, port] = process.argv.slice(2);
const app = Fastify({ https: { cert: readFileSync(certPath), key: readFileSync(keyPath) } });
app.get('/files/:id', async (req) => ({ id: (req.params as { id: string }).id, hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('ready\n');
