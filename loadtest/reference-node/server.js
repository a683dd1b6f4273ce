// The reference on Node's own HTTP server: Socket.IO 4.8 attached to node:http.
// Env: PORT (3100), HOST (127.0.0.1), DATABASE_URL (PostgreSQL), JWT_SECRET, REDIS_URL (optional).
import http from 'node:http';
import { Server } from 'socket.io';
import { createReference, redisAdapter } from './app.js';

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '127.0.0.1';
const ref = await createReference({
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/reference',
  secret: process.env.JWT_SECRET,
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const path = (req.url ?? '/').split('?')[0];
    const out = await ref.rest(req.method, path, req.headers, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out.json));
  });
});

// Node's defaults (ping 25 s / 20 s, 1 MB payloads), websocket and polling, like confab.
const io = new Server(server, { serveClient: false });
const adapter = await redisAdapter(process.env.REDIS_URL);
if (adapter) io.adapter(adapter);
ref.attach(io);

server.listen(port, host, () => console.log(`reference-node listening on ${host}:${port}`));
const stop = () => {
  io.close();
  ref.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
