// Shared setup for the interop suite: a Node.js Socket.IO server on the official Redis adapter,
// a Rust node (crates/redis-adapter/examples/cluster_node.rs) on confab's cluster adapter (confab-redis-adapter), and the
// official emitter, all on one Redis and one random channel prefix per test.

import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createClient } from "redis";
import { Server } from "socket.io";
import { io as ioClient } from "socket.io-client";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const newPrefix = () => `socket.io-interop-${randomBytes(6).toString("hex")}`;

let builtBin = null;
/** CONFAB_CLUSTER_NODE_BIN, or the example built with cargo (once per run). */
function nodeBin() {
  if (process.env.CONFAB_CLUSTER_NODE_BIN) return process.env.CONFAB_CLUSTER_NODE_BIN;
  if (builtBin) return builtBin;
  const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/confab-target");
  execFileSync("cargo", ["build", "-p", "confab-redis-adapter", "--example", "cluster_node"], {
    cwd: repo,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CARGO_TARGET_DIR: target },
  });
  builtBin = join(target, "debug/examples/cluster_node");
  return builtBin;
}

/** Fails loudly when Redis is not there: the suite never skips. */
export async function requireRedis() {
  const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 3000 } });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new Error(`Redis at ${REDIS_URL} is required by the interop suite: ${e.message}`);
  } finally {
    await client.disconnect().catch(() => {});
  }
}

async function redisClient() {
  const client = createClient({ url: REDIS_URL });
  client.on("error", (e) => console.error("redis:", e.message));
  await client.connect();
  return client;
}

/** The Rust node on `prefix` (Redis at `redisUrl`: a `redis+cluster://` URL for a Cluster). */
export async function startRustNode(prefix, redisUrl = REDIS_URL) {
  const bin = nodeBin();
  if (!existsSync(bin)) throw new Error(`cluster_node binary not found at ${bin}`);
  const child = spawn(bin, ["--port", "0", "--prefix", prefix, "--redis", redisUrl], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs = [];
  createInterface({ input: child.stderr }).on("line", (l) => logs.push(l));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster_node did not start:\n${logs.join("\n")}`)), 20_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`cluster_node exited with ${code}:\n${logs.join("\n")}`)));
  });
  return {
    port,
    logs,
    stop: async () => {
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
    },
  };
}

/** A Node.js Socket.IO server on the official adapter; sockets can `join`/`leave` rooms. */
export async function startNodeServer(prefix) {
  const pub = await redisClient();
  const sub = pub.duplicate();
  sub.on("error", (e) => console.error("redis:", e.message));
  await sub.connect();
  return serveNode(createAdapter(pub, sub, { key: prefix, requestsTimeout: 3000 }), [pub, sub]);
}

/**
 * A Node.js Socket.IO server on `adapter` (whose Redis `clients` it quits on close); sockets
 * can `join`/`leave` rooms.
 */
export async function serveNode(adapter, clients) {
  const http = createServer();
  const io = new Server(http, { adapter });
  io.on("connection", (socket) => {
    socket.on("join", (rooms, ack) => {
      socket.join(rooms);
      ack(true);
    });
    socket.on("leave", (rooms, ack) => {
      for (const room of rooms) socket.leave(room);
      ack(true);
    });
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  return {
    io,
    port: http.address().port,
    close: async () => {
      io.close();
      for (const client of clients) await client.quit().catch(() => {});
    },
  };
}

/** The official emitter on `prefix`. */
export async function startEmitter(prefix) {
  const client = await redisClient();
  return { emitter: new Emitter(client, { key: prefix }), close: () => client.quit().catch(() => {}) };
}

/** A socket.io-client socket, connected. */
export function connect(port) {
  const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ["websocket"], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });
}

export const emitAck = (socket, event, ...args) => socket.timeout(5000).emitWithAck(event, ...args);

/** The next `event` on `socket` (its arguments), within `ms`. */
export function once(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    socket.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Resolves if `event` does not arrive within `ms`. */
export function silence(socket, event, ms = 400) {
  return new Promise((resolve, reject) => {
    const listener = (...args) => reject(new Error(`unexpected "${event}": ${JSON.stringify(args)}`));
    socket.once(event, listener);
    setTimeout(() => {
      socket.off(event, listener);
      resolve();
    }, ms);
  });
}

/** A Node.js server, a Rust node and an emitter on one fresh prefix; `close()` stops them. */
export async function cluster(t) {
  await requireRedis();
  const prefix = newPrefix();
  const node = await startNodeServer(prefix);
  const rust = await startRustNode(prefix);
  const { emitter, close: closeEmitter } = await startEmitter(prefix);
  const sockets = [];
  const client = async (port) => {
    const s = await connect(port);
    sockets.push(s);
    return s;
  };
  t.after(async () => {
    for (const s of sockets) s.close();
    await closeEmitter();
    await node.close();
    await rust.stop();
    if (process.env.INTEROP_LOGS) console.error(rust.logs.join("\n"));
  });
  return { prefix, node, rust, emitter, client };
}
