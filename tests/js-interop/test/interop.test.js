// confab's cluster adapter (confab-redis-adapter, a Rust socketioxide node) and the official Node.js
// @socket.io/redis-adapter + @socket.io/redis-emitter share rooms on one Redis.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cluster, emitAck, once, silence, sleep } from "../lib/helpers.js";

test("a Node.js broadcast reaches the room's sockets on the Rust node", async (t) => {
  const { node, rust, client } = await cluster(t);
  const inRoom = await client(rust.port);
  const outside = await client(rust.port);
  await emitAck(inRoom, "join", ["room"]);

  node.io.to("room").emit("from-node", { a: 1 }, "two");
  assert.deepEqual(await once(inRoom, "from-node"), [{ a: 1 }, "two"]);

  node.io.to("room").emit("binary", Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) });
  const [bin, obj] = await once(inRoom, "binary");
  assert.deepEqual([...bin], [1, 2, 3]);
  assert.deepEqual([...obj.nested], [4]);

  node.io.except("room").emit("not-for-room", 1);
  await once(outside, "not-for-room");
  await silence(inRoom, "not-for-room");
});

test("a Rust broadcast reaches the room's sockets on the Node.js server, with except", async (t) => {
  const { node, rust, client } = await cluster(t);
  const inRoom = await client(node.port);
  const excluded = await client(node.port);
  const driver = await client(rust.port);
  await emitAck(inRoom, "join", ["conversation:1"]);
  await emitAck(excluded, "join", ["conversation:1", "user:1"]);

  const delivered = once(inRoom, "message:new"); // before the ack: either can arrive first
  const sent = await emitAck(driver, "broadcast", {
    rooms: ["conversation:1"],
    except: ["user:1"],
    event: "message:new",
    data: { seq: 1 },
  });
  assert.equal(sent, true);
  assert.deepEqual(await delivered, [{ seq: 1 }]);
  await silence(excluded, "message:new");
});

test("the emitter reaches rooms on the Rust node", async (t) => {
  const { emitter, rust, client } = await cluster(t);
  const a = await client(rust.port);
  const b = await client(rust.port);
  await emitAck(a, "join", ["room"]);
  await emitAck(b, "join", ["room", "muted"]);

  emitter.to("room").except("muted").emit("from-emitter", { x: 1.5 });
  assert.deepEqual(await once(a, "from-emitter"), [{ x: 1.5 }]);
  await silence(b, "from-emitter");

  emitter.emit("everyone", 42);
  assert.deepEqual(await once(b, "everyone"), [42]);
});

test("the emitter's socketsLeave removes Rust sockets from a room", async (t) => {
  const { emitter, node, rust, client } = await cluster(t);
  const removed = await client(rust.port);
  const stays = await client(rust.port);
  await emitAck(removed, "join", ["user:1", "conversation:1"]);
  await emitAck(stays, "join", ["user:2", "conversation:1"]);

  emitter.in("user:1").socketsLeave("conversation:1");
  await sleep(200);
  node.io.to("conversation:1").emit("after", 1);
  await once(stays, "after");
  await silence(removed, "after");
});

test("Node.js fetchSockets sees the Rust node's sockets, and can message and move them", async (t) => {
  const { node, rust, client } = await cluster(t);
  const rustSocket = await client(rust.port);
  const nodeSocket = await client(node.port);
  await emitAck(rustSocket, "join", ["room"]);
  await emitAck(nodeSocket, "join", ["room"]);

  const sockets = await node.io.in("room").fetchSockets();
  const ids = sockets.map((s) => s.id).sort();
  assert.deepEqual(ids, [rustSocket.id, nodeSocket.id].sort());
  const remote = sockets.find((s) => s.id === rustSocket.id);
  assert.ok(remote.rooms.has("room"));

  remote.emit("direct", "hi");
  assert.deepEqual(await once(rustSocket, "direct"), ["hi"]);

  remote.join("moved");
  await sleep(200);
  const moved = await node.io.in("moved").fetchSockets();
  assert.deepEqual(moved.map((s) => s.id), [rustSocket.id]);

  const rooms = await node.io.of("/").adapter.allRooms();
  assert.ok(rooms.has("moved"));
});

test("the Rust node fetches Node.js-visible rooms and counts both servers", async (t) => {
  const { node, rust, client } = await cluster(t);
  const nodeSocket = await client(node.port);
  const driver = await client(rust.port);
  await emitAck(nodeSocket, "join", ["node-room"]);

  assert.equal(await node.io.of("/").adapter.serverCount(), 2);
  assert.equal(await emitAck(driver, "server-count"), 2);
  const rooms = await emitAck(driver, "all-rooms");
  assert.ok(rooms.includes("node-room"), JSON.stringify(rooms));
  // Node.js socket ids (20 characters) do not fit socketioxide's ids, so the Rust side
  // lists only its own kind; the request still completes with the Node.js answer.
  const ids = await emitAck(driver, "fetch-sockets", { rooms: [] });
  assert.ok(Array.isArray(ids), JSON.stringify(ids));
  assert.ok(ids.includes(driver.id));
});

test("a Rust remote leave removes the Node.js server's sockets from the room", async (t) => {
  const { node, rust, client } = await cluster(t);
  const removed = await client(node.port);
  const driver = await client(rust.port);
  await emitAck(removed, "join", ["user:7", "conversation:7"]);

  assert.equal(await emitAck(driver, "leave-everywhere", { rooms: ["user:7"], room: "conversation:7" }), true);
  await sleep(200);
  assert.deepEqual(await node.io.in("conversation:7").fetchSockets(), []);

  assert.equal(await emitAck(driver, "join-everywhere", { rooms: ["user:7"], room: "conversation:8" }), true);
  await sleep(200);
  assert.deepEqual((await node.io.in("conversation:8").fetchSockets()).map((s) => s.id), [removed.id]);
});

test("server-side emits flow both ways, with acks", async (t) => {
  const { node, rust, client } = await cluster(t);
  const watcher = await client(rust.port);

  // Listen first: the Rust node acks, then tells its sockets, so the event can reach the
  // watcher before the ack has travelled back through Redis to the Node.js server.
  const told = once(watcher, "server-side");
  const answer = new Promise((resolve, reject) =>
    node.io.serverSideEmit("hello", { n: 1 }, (err, responses) => (err ? reject(err) : resolve(responses))),
  );
  assert.deepEqual(await answer, [{ from: "rust" }]);
  assert.deepEqual(await told, [{ event: "hello", args: [{ n: 1 }] }]);

  const heard = new Promise((resolve) => node.io.on("from-rust", (...args) => resolve(args)));
  assert.equal(await emitAck(watcher, "server-side-emit", { event: "from-rust", data: [1, 2] }), true);
  assert.deepEqual(await heard, [[1, 2]]);

  node.io.on("ping-node", (data, callback) => callback({ from: "node", got: data }));
  const responses = await emitAck(watcher, "server-side-emit-ack", { event: "ping-node", data: 5 });
  assert.deepEqual(responses, [{ from: "node", got: 5 }]);
});

test("broadcasts with acks collect the acks of both servers", async (t) => {
  const { node, rust, client } = await cluster(t);
  const rustSocket = await client(rust.port);
  const nodeSocket = await client(node.port);
  await emitAck(rustSocket, "join", ["room"]);
  await emitAck(nodeSocket, "join", ["room"]);
  rustSocket.on("ask", (n, ack) => ack({ from: "rust-client", n }));
  nodeSocket.on("ask", (n, ack) => ack({ from: "node-client", n }));

  const fromNode = await node.io.timeout(3000).to("room").emitWithAck("ask", 1);
  assert.deepEqual(
    fromNode.map((r) => r.from).sort(),
    ["node-client", "rust-client"],
  );

  const fromRust = await emitAck(rustSocket, "broadcast-ack", { rooms: ["room"], event: "ask", data: 2, timeoutMs: 3000 });
  assert.deepEqual(fromRust.map((r) => r.from).sort(), ["node-client", "rust-client"]);
});
