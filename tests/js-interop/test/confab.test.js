// The confab binary itself (not just its adapter) on the same Redis as a Node.js Socket.IO
// server with the official adapter and the official emitter: conversation rooms are shared.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { io as ioClient } from "socket.io-client";
import { emitAck, newPrefix, once, requireRedis, sleep, startEmitter, startNodeServer, connect } from "../lib/helpers.js";
import { startConfab } from "../lib/confab.js";

async function setup(t) {
  await requireRedis();
  const prefix = newPrefix();
  const confab = await startConfab(prefix);
  const node = await startNodeServer(prefix);
  const { emitter, close: closeEmitter } = await startEmitter(prefix);
  const sockets = [];
  t.after(async () => {
    for (const s of sockets) s.close();
    await closeEmitter();
    await node.close();
    await confab.stop();
    if (process.env.INTEROP_LOGS) console.error(confab.logs.join(""));
  });
  const confabClient = async (userId) => {
    const socket = ioClient(confab.url, { auth: { token: confab.token(userId) }, transports: ["websocket"], forceNew: true, reconnection: false });
    sockets.push(socket);
    await new Promise((resolve, reject) => {
      socket.on("connect", resolve);
      socket.on("connect_error", reject);
    });
    return socket;
  };
  const nodeClient = async () => {
    const socket = await connect(node.port);
    sockets.push(socket);
    return socket;
  };
  return { confab, node, emitter, confabClient, nodeClient };
}

test("Node.js and the emitter broadcast into confab's conversation rooms", async (t) => {
  const { confab, node, emitter, confabClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const socket = await confabClient(alice);
  assert.equal((await emitAck(socket, "join", { conversationId: id })).ok, true);
  await sleep(100);

  node.io.to(`conversation:${id}`).emit("announcement", { from: "node" });
  assert.deepEqual(await once(socket, "announcement"), [{ from: "node" }]);
  emitter.to(`conversation:${id}`).emit("announcement", { from: "emitter" });
  assert.deepEqual(await once(socket, "announcement"), [{ from: "emitter" }]);
  emitter.to(`user:${alice}`).emit("direct", 1);
  assert.deepEqual(await once(socket, "direct"), [1]);
});

test("confab's message:new reaches Node.js sockets in the same conversation room", async (t) => {
  const { confab, confabClient, nodeClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const listener = await nodeClient();
  await emitAck(listener, "join", [`conversation:${id}`]);
  const sender = await confabClient(alice);
  const received = once(listener, "message:new");
  const ack = await emitAck(sender, "message:send", { conversationId: id, content: "hello Node", clientMsgId: "i-1" });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  const [message] = await received;
  assert.equal(message.content, "hello Node");
  assert.equal(message.seq, 1);
  assert.equal(message.id, ack.message.id);
});

test("Node.js sees confab's sockets and counts its server", async (t) => {
  const { confab, node, confabClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const socket = await confabClient(alice);
  await emitAck(socket, "join", { conversationId: id });
  await sleep(100);
  const sockets = await node.io.in(`conversation:${id}`).fetchSockets();
  assert.equal(sockets.length, 1);
  assert.ok(sockets[0].rooms.has(`user:${alice}`), JSON.stringify([...sockets[0].rooms]));
  assert.equal(await node.io.of("/").adapter.serverCount(), 2);
});
