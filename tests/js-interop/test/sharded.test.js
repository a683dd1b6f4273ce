// confab on a Redis Cluster (`redis+cluster://`, sharded Pub/Sub) next to a Node.js Socket.IO
// 4.8 server on the official `createShardedAdapter` (node-redis `createCluster`): they share
// conversation rooms as they do on one Redis. Each test starts its own three-master Cluster.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createCluster } from "redis";
import { io as ioClient } from "socket.io-client";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { connect, emitAck, newPrefix, once, serveNode, silence, startRustNode } from "../lib/helpers.js";
import { startConfab } from "../lib/confab.js";
import { startRedisCluster } from "../lib/redis-cluster.js";

/** A Node.js server on createShardedAdapter (default subscriptionMode "dynamic"). */
async function startShardedNodeServer(rootNodes, prefix) {
  const pub = createCluster({ rootNodes });
  pub.on("error", (e) => console.error("redis cluster:", e.message));
  const sub = pub.duplicate();
  sub.on("error", (e) => console.error("redis cluster:", e.message));
  await Promise.all([pub.connect(), sub.connect()]);
  return serveNode(createShardedAdapter(pub, sub, { channelPrefix: prefix }), [pub, sub]);
}

async function setup(t) {
  const cluster = await startRedisCluster();
  const prefix = newPrefix();
  let confab, node;
  const sockets = [];
  t.after(async () => {
    for (const s of sockets) s.close();
    await node?.close();
    await confab?.stop();
    if (process.env.INTEROP_LOGS && confab) console.error(confab.logs.join(""));
    await cluster.stop();
  });
  confab = await startConfab(prefix, { redisUrl: cluster.url });
  node = await startShardedNodeServer(cluster.rootNodes, prefix);
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
  return { confab, node, confabClient, nodeClient };
}

test("on a Redis Cluster, Node.js sharded broadcasts reach confab's conversation and user rooms", async (t) => {
  const { confab, node, confabClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const socket = await confabClient(alice);
  assert.equal((await emitAck(socket, "join", { conversationId: id })).ok, true);

  // One room: published on the room's own channel, which confab subscribed when it joined.
  node.io.to(`conversation:${id}`).emit("announcement", { from: "node" });
  assert.deepEqual(await once(socket, "announcement"), [{ from: "node" }]);
  node.io.to(`user:${alice}`).emit("direct", 1);
  assert.deepEqual(await once(socket, "direct"), [1]);
  // Several rooms and binaries: the main channel, MessagePack.
  node.io.to([`conversation:${id}`, "elsewhere"]).emit("binary", Buffer.from([1, 2, 3]));
  const [bin] = await once(socket, "binary");
  assert.deepEqual([...bin], [1, 2, 3]);
  node.io.to("elsewhere").emit("not-for-you", 1);
  await silence(socket, "not-for-you");
});

test("on a Redis Cluster, confab's message:new reaches Node.js sockets in the conversation room", async (t) => {
  const { confab, confabClient, nodeClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const listener = await nodeClient();
  await emitAck(listener, "join", [`conversation:${id}`]);
  const sender = await confabClient(alice);
  assert.equal((await emitAck(sender, "join", { conversationId: id })).ok, true);
  const received = once(listener, "message:new");
  const own = once(sender, "message:new");
  const ack = await emitAck(sender, "message:send", { conversationId: id, content: "hello Node", clientMsgId: "c-1" });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  const [message] = await received;
  assert.equal(message.content, "hello Node");
  assert.equal(message.seq, 1);
  assert.equal(message.id, ack.message.id);
  assert.equal((await own)[0].id, ack.message.id);
});

test("on a Redis Cluster, Node.js counts confab's server and fetches its sockets", async (t) => {
  const { confab, node, confabClient } = await setup(t);
  const alice = randomUUID();
  const id = await confab.conversation(alice);
  const socket = await confabClient(alice);
  await emitAck(socket, "join", { conversationId: id });
  assert.equal(await node.io.of("/").adapter.serverCount(), 2);
  const sockets = await node.io.in(`conversation:${id}`).fetchSockets();
  assert.equal(sockets.length, 1);
  assert.ok(sockets[0].rooms.has(`user:${alice}`), JSON.stringify([...sockets[0].rooms]));
  // A RemoteSocket emit: Node publishes to the socket's id on the main channel.
  sockets[0].emit("direct", "to confab");
  assert.deepEqual(await once(socket, "direct"), ["to confab"]);
});

test("on a Redis Cluster, requests and acks cross between the Rust adapter and createShardedAdapter", async (t) => {
  const cluster = await startRedisCluster();
  const prefix = newPrefix();
  let rust, node;
  const sockets = [];
  t.after(async () => {
    for (const s of sockets) s.close();
    await node?.close();
    await rust?.stop();
    if (process.env.INTEROP_LOGS && rust) console.error(rust.logs.join("\n"));
    await cluster.stop();
  });
  rust = await startRustNode(prefix, cluster.url);
  node = await startShardedNodeServer(cluster.rootNodes, prefix);
  const client = async (port) => {
    const s = await connect(port);
    sockets.push(s);
    return s;
  };
  const rustSocket = await client(rust.port);
  const nodeSocket = await client(node.port);
  assert.equal(await emitAck(rustSocket, "join", ["room"]), true);
  await emitAck(nodeSocket, "join", ["room"]);
  assert.equal(await node.io.of("/").adapter.serverCount(), 2);
  assert.equal(await emitAck(rustSocket, "server-count"), 2);

  // Broadcasts with acks, both ways: the answers go to the requester's own channel.
  rustSocket.on("ask", (n, ack) => ack({ from: "rust-client", n }));
  nodeSocket.on("ask", (n, ack) => ack({ from: "node-client", n }));
  const fromNode = await node.io.timeout(3000).to("room").emitWithAck("ask", 1);
  assert.deepEqual(fromNode.map((r) => r.from).sort(), ["node-client", "rust-client"]);
  const fromRust = await emitAck(rustSocket, "broadcast-ack", { rooms: ["room"], event: "ask", data: 2, timeoutMs: 3000 });
  assert.deepEqual(fromRust.map((r) => r.from).sort(), ["node-client", "rust-client"]);

  // Server-side emits with acks, both ways.
  const told = once(rustSocket, "server-side");
  const answer = new Promise((resolve, reject) =>
    node.io.serverSideEmit("hello", { n: 1 }, (err, responses) => (err ? reject(err) : resolve(responses))),
  );
  assert.deepEqual(await answer, [{ from: "rust" }]);
  assert.deepEqual(await told, [{ event: "hello", args: [{ n: 1 }] }]);
  node.io.on("ping-node", (data, callback) => callback({ from: "node", got: data }));
  assert.deepEqual(await emitAck(rustSocket, "server-side-emit-ack", { event: "ping-node", data: 5 }), [{ from: "node", got: 5 }]);

  // fetchSockets from Node, and a Rust broadcast into the Node.js socket's room.
  const fetched = await node.io.in("room").fetchSockets();
  assert.deepEqual(fetched.map((s) => s.id).sort(), [rustSocket.id, nodeSocket.id].sort());
  const delivered = once(nodeSocket, "from-rust");
  assert.equal(await emitAck(rustSocket, "broadcast", { rooms: ["room"], event: "from-rust", data: { x: 1 } }), true);
  assert.deepEqual(await delivered, [{ x: 1 }]);
});
