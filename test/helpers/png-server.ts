// A loopback HTTP server with one small generated PNG at /in.png: the input a test ingests through
// POST /files, so it gets a file the public way (no service calls) and nothing is left on disk.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';

export interface PngServer {
  /** http://127.0.0.1:PORT/in.png */
  url: string;
  close(): Promise<void>;
}

export async function startPngServer(): Promise<PngServer> {
  const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.url !== '/in.png') {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
    res.end(png);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/in.png`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
