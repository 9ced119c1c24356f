// The baselines for bench/api.ts: a Fastify hello-world over TLS with the same certificate. GET /files/:id
// answers a small object; with a body file (mediary's own answer, fetched by the bench) GET /same/:id
// answers that object, serialized per request as any handler's return value is.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [certPath, keyPath, port, bodyPath] = process.argv.slice(2);
const same = bodyPath ? (JSON.parse(readFileSync(bodyPath, 'utf8')) as Record<string, unknown>) : {};
const app = Fastify({ https: { cert: readFileSync(certPath), key: readFileSync(keyPath) } });
app.get('/files/:id', async (req) => ({ id: (req.params as { id: string }).id, hello: 'world' }));
app.get('/same/:id', async () => same);
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('ready\n');
