// Shared helpers for the confab JavaScript client suite: a confab server per suite (SQLite or
// a fresh PostgreSQL database), HS256 tokens minted here, REST setup calls and Socket.IO
// client helpers. Only Node's standard library and socket.io-client.

import { spawn, execFile } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, before, after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";

/** Every scenario runs once per backend. */
export const BACKENDS = ["sqlite", "postgres"];

/** Where PostgreSQL is expected (the databases are created and dropped by the suite). */
const PG_HOST = process.env.CONFAB_TEST_PG_HOST ?? "127.0.0.1";
const PG_PORT = process.env.CONFAB_TEST_PG_PORT ?? "5432";
const PG_USER = process.env.CONFAB_TEST_PG_USER ?? "postgres";

/** Keep at most this much server output per server (the tail is what matters). */
const LOG_LIMIT = 512 * 1024;

/** Servers still running: killed if this process exits without stopping them. */
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

// ---------------------------------------------------------------------------------------
// Server

function confabBin() {
  const bin = process.env.CONFAB_BIN;
  if (!bin) {
    throw new Error(
      "CONFAB_BIN is not set: point it at a confab release binary, e.g.\n" +
        "  CARGO_TARGET_DIR=$HOME/.cache/confab-target cargo build --release --bin confab\n" +
        "  CONFAB_BIN=$HOME/.cache/confab-target/release/confab npm test",
    );
  }
  return bin;
}

/** A TCP port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function psql(sql) {
  return new Promise((resolve, reject) => {
    execFile(
      "psql",
      ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: "5" }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `PostgreSQL at ${PG_USER}@${PG_HOST}:${PG_PORT} is required for the postgres backend ` +
                `and could not run ${JSON.stringify(sql)}: ${error.message}\n${stderr}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function base64url(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** An HS256 JWT with the claims confab reads (Supabase's layout). */
export function mintToken(secret, userId, { admin = false, name, email, ttlSeconds = 3600, claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: userId, iat: now, exp: now + ttlSeconds, ...claims };
  if (name !== undefined) payload.user_metadata = { name };
  if (email !== undefined) payload.email = email;
  if (admin) payload.app_metadata = { role: "admin" };
  const unsigned = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(payload)}`;
  const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}

/**
 * Starts a confab node on a free port with a fresh data dir (and, for `postgres`, a fresh
 * database), waits for `/healthz`, and returns `{ url, backend, stop(), token(), logs() }`.
 * `env` adds to or overrides the suite defaults.
 */
export async function startServer(env = {}, { backend = "sqlite" } = {}) {
  const bin = confabBin();
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "confab-js-"));
  const secret = randomBytes(32).toString("hex");
  let database = null;
  const cleanups = [() => rm(dataDir, { recursive: true, force: true })];

  const base = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The node under test gets only the configuration this suite chooses.
    if (!key.startsWith("CONFAB_") && key !== "OTEL_EXPORTER_OTLP_ENDPOINT") base[key] = value;
  }
  const childEnv = {
    ...base,
    CONFAB_DATA_DIR: dataDir,
    CONFAB_BIND: `127.0.0.1:${port}`,
    CONFAB_JWT_SECRET: secret,
    CONFAB_LIMITS__MESSAGES_PER_MINUTE: "0",
    CONFAB_REALTIME__OFFLINE_GRACE: "1s",
    CONFAB_REALTIME__TYPING_TTL: "2s",
  };

  try {
    if (backend === "postgres") {
      database = `confab_js_${randomBytes(6).toString("hex")}`;
      await psql(`CREATE DATABASE ${database}`);
      cleanups.push(() => psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      childEnv.CONFAB_DATABASE_URL = `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${database}`;
    } else if (backend !== "sqlite") {
      throw new Error(`unknown backend ${backend}`);
    }
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
  Object.assign(childEnv, env);

  let log = "";
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
  };
  const child = spawn(bin, ["serve"], { cwd: dataDir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => {
      append(`\n[spawn error] ${error.message}\n`);
      resolve({ code: null, signal: null, error });
    });
  });
  let running = true;
  exited.then(() => {
    running = false;
    live.delete(child);
  });

  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of sockets) s.close();
    sockets.clear();
    const problems = [];
    if (running) {
      let killed = false;
      child.kill("SIGTERM");
      const killer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, 10_000);
      const status = await exited;
      clearTimeout(killer);
      if (killed) problems.push("confab did not exit within 10 s of SIGTERM and was killed");
      else if (status.code !== 0 && status.signal !== "SIGTERM") problems.push(`confab exited with ${status.code ?? status.signal} after SIGTERM`);
    } else if (healthy) {
      const status = await exited;
      problems.push(`confab exited on its own while the suite ran (${status.code ?? status.signal ?? status.error?.message})`);
    }
    try {
      await runCleanups(cleanups.reverse());
    } catch (error) {
      problems.push(error.message);
    }
    if (problems.length) throw new Error(`${problems.join("; ")}\n--- confab output (${backend}) ---\n${log.slice(-20_000)}`);
  };

  let healthy = false;
  try {
    await waitHealthy(url, () => running);
    healthy = true;
  } catch (error) {
    await stop().catch(() => {});
    throw new Error(`${error.message}\n--- confab output (${backend}) ---\n${log}`);
  }

  return {
    url,
    backend,
    database,
    secret,
    /** A token for `userId` signed with this node's secret. */
    token: (userId, opts = {}) => mintToken(secret, userId, opts),
    /** The server's captured stdout and stderr (the last 512 KiB). */
    logs: () => log,
    /** Sockets registered here are closed by `stop()`. */
    track: (socket) => {
      sockets.add(socket);
      return socket;
    },
    running: () => running,
    stop,
  };
}

async function runCleanups(cleanups) {
  const errors = [];
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, `cleanup failed: ${errors.map((e) => e.message).join("; ")}`);
}

async function waitHealthy(url, alive, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("confab exited before answering /healthz");
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(50);
  }
  throw new Error(`confab did not answer ${url}/healthz within ${timeoutMs} ms (last: ${last})`);
}

// ---------------------------------------------------------------------------------------
// Suites: one server per backend per describe, server output printed when a test fails

/**
 * Declares `title` once per backend. `body(ctx)` declares the tests with `ctx.test(name, fn)`
 * (or `ctx.test(name, options, fn)`); `ctx.server` is the suite's running server inside
 * tests. `options.env` configures the server.
 */
export function backendSuites(title, options, body) {
  if (typeof options === "function") {
    body = options;
    options = {};
  }
  for (const backend of BACKENDS) {
    describe(`${title} (${backend})`, () => {
      const ctx = { backend, server: null };
      before(async () => {
        ctx.server = await startServer(options.env ?? {}, { backend });
      });
      after(async () => {
        await ctx.server?.stop();
      });
      ctx.test = (name, opts, fn) => {
        if (typeof opts === "function") {
          fn = opts;
          opts = {};
        }
        it(name, opts, async (t) => {
          try {
            await fn(t, ctx.server);
          } catch (error) {
            // An expected failure (a known bug marked todo) needs no server output.
            if (!opts.todo) dumpLogs(ctx.server, `${title} (${backend}) › ${name}`);
            throw error;
          }
        });
      };
      body(ctx);
    });
  }
}

/** Prints the tail of the server's output (used when a test fails). */
export function dumpLogs(server, label) {
  if (!server) return;
  const text = server.logs();
  const tail = text.length > 20_000 ? `…${text.slice(-20_000)}` : text;
  process.stderr.write(`\n----- confab output for failed test: ${label} -----\n${tail}\n----- end of confab output -----\n`);
}

// ---------------------------------------------------------------------------------------
// REST

/** Calls the REST API; returns `{ status, body, headers }` (body parsed when JSON). */
export async function api(server, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Like `api` but throws unless the status is the expected one. */
export async function apiOk(server, method, path, options = {}, expected = [200, 201]) {
  const res = await api(server, method, path, options);
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(res.status)) {
    throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** A user: a fresh id and a token for it. */
export function newUser(server, { admin = false, name } = {}) {
  const id = randomUUID();
  return { id, admin, token: server.token(id, { admin, name: name ?? `user-${id.slice(0, 8)}` }) };
}

/** An admin creates a project with `members` (users or ids) as its members; returns it. */
export async function createProject(server, admin, name = `project-${randomUUID().slice(0, 8)}`, members = []) {
  const memberIds = members.map((m) => (typeof m === "string" ? m : m.id));
  const body = await apiOk(server, "POST", "/api/admin/projects", { token: admin.token, body: { name, memberIds } });
  return body.project;
}

/** `owner` creates a conversation in `projectId` with `participants` (users or ids); unless
 * `owner` is an admin, all of them must be members of the project. */
export async function createConversation(server, owner, projectId, participants = [], extra = {}) {
  const participantIds = participants.map((p) => (typeof p === "string" ? p : p.id));
  const body = await apiOk(server, "POST", `/api/projects/${projectId}/conversations`, {
    token: owner.token,
    body: { title: "test conversation", type: "project", participantIds, ...extra },
  });
  return body.conversation;
}

/** The usual setup: an admin, a project, users A and B and a conversation of both. */
export async function setupPair(server, { extraUsers = 0 } = {}) {
  const admin = newUser(server, { admin: true, name: "admin" });
  const a = newUser(server, { name: "alice" });
  const b = newUser(server, { name: "bob" });
  const others = Array.from({ length: extraUsers }, (_, i) => newUser(server, { name: `user${i}` }));
  const project = await createProject(server, admin, undefined, [a, b, ...others]);
  const conversation = await createConversation(server, a, project.id, [b, ...others]);
  return { admin, project, a, b, others, conversation };
}

/** `user` sends a message over REST; returns the message. */
export async function restSend(server, user, conversationId, content, extra = {}) {
  const body = await apiOk(server, "POST", `/api/conversations/${conversationId}/messages`, {
    token: user.token,
    body: { content, type: "text", ...extra },
  });
  return body.message;
}

// ---------------------------------------------------------------------------------------
// Socket.IO

/**
 * Opens a socket (websocket transport unless `opts.transports` says otherwise; no automatic
 * reconnection) and resolves once connected; rejects with the `connect_error` error. `token`
 * may be a user object, a token string, or null (no auth). With `opts.server`, the socket is
 * closed by that server's `stop()`. `opts.onSocket(socket)` runs right after the socket is
 * created (before any I/O), e.g. to listen for the transport upgrade.
 */
export function connect(url, token, opts = {}) {
  const { server, timeoutMs = 10_000, onSocket, ...ioOpts } = opts;
  const target = typeof url === "string" ? url : url.url;
  const tokenText = token && typeof token === "object" ? token.token : token;
  const socket = io(target, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...(tokenText ? { auth: { token: tokenText } } : {}),
    ...ioOpts,
  });
  (server ?? (typeof url === "object" ? url : null))?.track?.(socket);
  onSocket?.(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new Error(`socket did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (error) => {
      cleanup();
      socket.close();
      reject(error);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/** The next `event` on `socket` (its first argument), or a rejection after `timeoutMs`. */
export function once(socket, event, timeoutMs = 5000, filter = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload) => {
      if (!filter(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** Records every `event` on `socket` from now on: `{ events, stop() }`. */
export function record(socket, event) {
  const events = [];
  const handler = (payload) => events.push(payload);
  socket.on(event, handler);
  return { events, stop: () => socket.off(event, handler) };
}

/** Emits with an ack and waits for it (5 s). Extra arguments are sent as given. */
export function emitAck(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Connects `user` and joins `conversationId`; asserts the join ack is ok. */
export async function connectAndJoin(server, user, conversationId, opts = {}) {
  const socket = await connect(server.url, user.token, { server, ...opts });
  const ack = await emitAck(socket, "join", { conversationId });
  if (!ack?.ok) {
    socket.close();
    throw new Error(`join refused: ${JSON.stringify(ack)}`);
  }
  return socket;
}

/** Asserts that no `event` arrives on `socket` for `ms` (matching `filter`). */
export async function expectSilence(socket, event, ms, filter = () => true) {
  const seen = [];
  const handler = (payload) => {
    if (filter(payload)) seen.push(payload);
  };
  socket.on(event, handler);
  await sleep(ms);
  socket.off(event, handler);
  if (seen.length) {
    throw new Error(`expected no ${event} within ${ms} ms, got ${JSON.stringify(seen)}`);
  }
}

/** `value` is an RFC 3339 time in UTC (what the contract promises for every time). */
export function isUtcTime(value) {
  return (
    typeof value === "string" &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}

export { sleep, randomUUID };
