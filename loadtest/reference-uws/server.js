// The same reference served by uWebSockets.js: Socket.IO's official uWS integration,
// `io.attachApp(app)`, with the REST routes on the same uWS app. The application logic is
// ../reference-node/app.js (install that package first: it brings pg and the Redis adapter).
// Env: PORT (3200), HOST (127.0.0.1), DATABASE_URL, JWT_SECRET, REDIS_URL (optional).
import { createRequire } from 'node:module';
import { Server } from 'socket.io';
import { createReference, redisAdapter } from '../reference-node/app.js';

const require = createRequire(import.meta.url);
let uWS;
try {
  uWS = require('uWebSockets.js');
} catch (e) {
  console.error(
    'uWebSockets.js is not installed (it is not published on the npm registry; see ' +
      'loadtest/README.md, "The references"):',
    e.message,
  );
  process.exit(2);
}

const port = Number(process.env.PORT ?? 3200);
const host = process.env.HOST ?? '127.0.0.1';
const ref = await createReference({
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/reference',
  secret: process.env.JWT_SECRET,
});

const app = uWS.App();

function route(method) {
  return (res, req) => {
    const path = req.getUrl();
    const headers = { authorization: req.getHeader('authorization') || undefined };
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const chunks = [];
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk)); // uWS reuses the ArrayBuffer: copy it
      if (!last) return;
      ref.rest(method, path, headers, Buffer.concat(chunks).toString('utf8')).then((out) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus(String(out.status)).writeHeader('content-type', 'application/json');
          res.end(JSON.stringify(out.json));
        });
      });
    });
  };
}
app.post('/api/*', route('POST'));
app.get('/healthz', (res) => res.writeHeader('content-type', 'application/json').end('{"status":"ok"}'));

const io = new Server({ serveClient: false });
io.attachApp(app);
const adapter = await redisAdapter(process.env.REDIS_URL);
if (adapter) io.adapter(adapter);
ref.attach(io);

app.listen(host, port, (token) => {
  if (!token) {
    console.error(`reference-uws could not listen on ${host}:${port}`);
    process.exit(1);
  }
  console.log(`reference-uws listening on ${host}:${port}`);
});
const stop = () => {
  io.close();
  ref.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
