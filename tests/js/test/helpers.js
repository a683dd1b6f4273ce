// Shared helpers for the confab JavaScript client suite: a confab server per suite (SQLite or
// a fresh PostgreSQL database) from tests/support/confab-server.js, REST setup calls and
// Socket.IO client helpers. Only Node's standard library and socket.io-client.

import { randomUUID } from "node:crypto";
import { describe, it, before, after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { BACKENDS, api, apiOk, dumpLogs, freePort, mintToken, startServer } from "../../support/confab-server.js";

export { BACKENDS, api, apiOk, dumpLogs, freePort, mintToken, startServer };

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

// ---------------------------------------------------------------------------------------
// REST

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
