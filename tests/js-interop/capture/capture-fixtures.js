// Records the raw bytes that the official @socket.io/redis-adapter (8.x, classic pub/sub) and
// @socket.io/redis-emitter publish for each cluster operation, and writes them as hex to
// crates/redis-adapter/tests/fixtures/node-redis-adapter.json. The adapter's unit tests decode these
// captures and check that its encoder produces the same bytes.
//
// Usage (Redis on 127.0.0.1:6379, or REDIS_URL): npm run capture
//
// Two Node.js Socket.IO servers (A and B) share a random channel prefix, so every request gets
// a response. A PSUBSCRIBE on `<prefix>*` sees every message on the broadcast, request and
// response channels. Each operation runs alone in a window; what was published in that window
// is stored under the operation's name.

import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { Server } from "socket.io";
import { io as connectClient } from "socket.io-client";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `socket.io-capture-${randomBytes(4).toString("hex")}`;
const out = join(dirname(fileURLToPath(import.meta.url)), "../../../crates/redis-adapter/tests/fixtures/node-redis-adapter.json");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function redis() {
  const client = createClient({ url: REDIS_URL });
  client.on("error", (e) => console.error("redis:", e.message));
  await client.connect();
  return client;
}

async function nodeServer() {
  const pub = await redis();
  const sub = pub.duplicate();
  sub.on("error", (e) => console.error("redis:", e.message));
  await sub.connect();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key: prefix }) });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  return { io, port: http.address().port, pub, sub, http };
}

function client(port) {
  const socket = connectClient(`http://127.0.0.1:${port}`, { transports: ["websocket"], forceNew: true });
  return new Promise((resolve) => socket.on("connect", () => resolve(socket)));
}

const captured = [];
let window = null;

const spy = await redis();
await spy.pSubscribe(
  `${prefix}*`,
  (message, channel) => {
    if (window) window.push({ channel: channel.toString(), hex: Buffer.from(message).toString("hex") });
  },
  true,
);

const A = await nodeServer();
const B = await nodeServer();
const emitterClient = await redis();
const emitter = new Emitter(emitterClient, { key: prefix });

// Sockets on B: one in room1 (acks with {ok:true}), one in room1+room2, one to disconnect.
B.io.on("connection", (socket) => {
  socket.on("join", (rooms, ack) => {
    socket.join(rooms);
    ack();
  });
});
const b1 = await client(B.port);
const b2 = await client(B.port);
const b3 = await client(B.port);
await new Promise((r) => b1.emit("join", ["room1"], r));
await new Promise((r) => b2.emit("join", ["room1", "room2"], r));
await new Promise((r) => b3.emit("join", ["doomed"], r));
b1.on("ask", (n, ack) => ack({ ok: true, n }));
b2.on("ask", (n, ack) => ack(Buffer.from([7, 8])));
B.io.on("ping", (...args) => {
  const last = args[args.length - 1];
  if (typeof last === "function") last({ pong: args[0] });
});

async function capture(name, op, wait = 300) {
  window = [];
  await op();
  await sleep(wait);
  captured.push({ name, messages: window });
  window = null;
}

const description = {
  broadcast_room: 'A: io.to("room1").emit("hello", { a: 1, b: "x" }, [1, 2, 3])',
  broadcast_rooms_except_flags:
    'A: io.to(["room1", "room2"]).except("room3").volatile.compress(false).emit("multi", 42, -7, 1.5, null, true, "ünï")',
  broadcast_all: 'A: io.emit("everyone", 300, 70000, 5000000000, -200, -40000, -3000000000)',
  broadcast_binary: 'A: io.to("room1").emit("bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) })',
  emitter_room: 'emitter.to("room1").emit("from-emitter", { x: 1.5 })',
  emitter_all_except: 'emitter.except("room2").emit("from-emitter-all", "s")',
  emitter_admin_nsp: 'emitter.of("/admin").to("room1").emit("nsp-event")',
  broadcast_with_ack: 'A: io.timeout(1000).to("room1").emit("ask", 5, cb) (B has two sockets in room1)',
  fetch_sockets: 'A: io.in("room1").except("room2").fetchSockets()',
  fetch_all_sockets: "A: io.fetchSockets()",
  all_rooms: "A: io.of('/').adapter.allRooms()",
  sockets_join: 'A: io.in("room1").socketsJoin("room9")',
  sockets_leave: 'A: io.in("room1").except("room2").socketsLeave(["room9"])',
  disconnect_sockets: 'A: io.in("doomed").disconnectSockets()',
  server_side_emit: 'A: io.serverSideEmit("ping", 1, { a: 2 })',
  server_side_emit_ack: 'A: io.serverSideEmit("ping", 3, cb) (B answers { pong: 3 })',
  emitter_server_side_emit: 'emitter.serverSideEmit("hello", 1, "two")',
  emitter_sockets_join: 'emitter.in("room1").socketsJoin("room7")',
  emitter_sockets_leave: 'emitter.in("room1").except("room2").socketsLeave("room7")',
  emitter_disconnect: 'emitter.in("nobody").disconnectSockets(true)',
};

await capture("broadcast_room", () => A.io.to("room1").emit("hello", { a: 1, b: "x" }, [1, 2, 3]));
await capture("broadcast_rooms_except_flags", () =>
  A.io.to(["room1", "room2"]).except("room3").volatile.compress(false).emit("multi", 42, -7, 1.5, null, true, "ünï"),
);
await capture("broadcast_all", () => A.io.emit("everyone", 300, 70000, 5000000000, -200, -40000, -3000000000));
await capture("broadcast_binary", () =>
  A.io.to("room1").emit("bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) }),
);
await capture("emitter_room", () => emitter.to("room1").emit("from-emitter", { x: 1.5 }));
await capture("emitter_all_except", () => emitter.except("room2").emit("from-emitter-all", "s"));
await capture("emitter_admin_nsp", () => emitter.of("/admin").to("room1").emit("nsp-event"));
await capture("broadcast_with_ack", () => new Promise((resolve) => A.io.timeout(1000).to("room1").emit("ask", 5, resolve)));
await capture("fetch_sockets", () => A.io.in("room1").except("room2").fetchSockets());
await capture("fetch_all_sockets", () => A.io.fetchSockets());
await capture("all_rooms", () => A.io.of("/").adapter.allRooms());
await capture("sockets_join", () => A.io.in("room1").socketsJoin("room9"));
await capture("sockets_leave", () => A.io.in("room1").except("room2").socketsLeave(["room9"]));
await capture("disconnect_sockets", () => A.io.in("doomed").disconnectSockets());
await capture("server_side_emit", () => A.io.serverSideEmit("ping", 1, { a: 2 }));
await capture("server_side_emit_ack", () => new Promise((resolve) => A.io.serverSideEmit("ping", 3, resolve)));
await capture("emitter_server_side_emit", () => emitter.serverSideEmit("hello", 1, "two"));
await capture("emitter_sockets_join", () => emitter.in("room1").socketsJoin("room7"));
await capture("emitter_sockets_leave", () => emitter.in("room1").except("room2").socketsLeave("room7"));
await capture("emitter_disconnect", () => emitter.in("nobody").disconnectSockets(true));

const fixture = {
  note: "Captured from @socket.io/redis-adapter 8.3.0, @socket.io/redis-emitter 5.1.0, socket.io 4.8.1 by tests/js-interop/capture/capture-fixtures.js",
  prefix,
  operations: captured.map((c) => ({ ...c, description: description[c.name] })),
};
writeFileSync(out, JSON.stringify(fixture, null, 2) + "\n");
console.log(`wrote ${captured.reduce((n, c) => n + c.messages.length, 0)} messages to ${out}`);

for (const s of [b1, b2, b3]) s.close();
A.io.close();
B.io.close();
for (const c of [spy, emitterClient, A.pub, A.sub, B.pub, B.sub]) await c.disconnect().catch(() => {});
process.exit(0);
