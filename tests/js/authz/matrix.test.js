// The authorization matrix: every REST operation in the running binary's /api/openapi.json and
// every client event in crates/gateway/src/events/request.rs, called as each kind of caller, must
// answer exactly what tests/authz/matrix.json says. A route or event without a row fails the
// suite, so a new one cannot escape it.
//
// Each cell gets a world of its own (fresh users, projects, conversation, message, file and
// report), so a cell that succeeds (say a delete) cannot change what the next one sees.
//
// To review the table after a change, run with CONFAB_AUTHZ_PRINT=1: the observed table is
// printed as JSON (on mismatch too), ready to compare with the committed one.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendSuites, api, connect, emitAck, newUser, randomUUID } from "../test/helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const matrix = JSON.parse(readFileSync(join(root, "tests", "authz", "matrix.json"), "utf8"));
const ROLES = matrix.roles;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The client events the gateway dispatches (its `client_events!` list), read from the source. */
function gatewayEvents() {
  const file = join(root, "crates", "gateway", "src", "events", "request.rs");
  const source = readFileSync(file, "utf8");
  // The one list of names: `client_events! { Variant = "name", ... }`.
  const list = source.match(/^client_events! \{([\s\S]*?)^\}/m);
  if (!list) throw new Error(`no \`client_events! { ... }\` list in ${file}`);
  const names = [...list[1].matchAll(/^\s*\w+ = "([^"]+)",/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error("the gateway's client_events! list is empty");
  return names;
}

/** "METHOD /path" for every operation of the OpenAPI document. */
function operations(doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) if (item[method]) ops.push(`${method.toUpperCase()} ${path}`);
  }
  return ops;
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

async function must(server, method, path, options, label) {
  const res = await api(server, method, path, options);
  if (res.status >= 300) throw new Error(`fixture ${label}: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A world: project P with a sender (who created conversation C and sent message M with file F
 * in it, and reacted to it), a participant (who reported M as report R), a member not in C and
 * an owner of P not in C; project Q with its own member; an admin in neither.
 */
async function world(server) {
  const u = {
    admin: newUser(server, { admin: true, name: "admin" }),
    sender: newUser(server, { name: "sender" }),
    participant: newUser(server, { name: "participant" }),
    projectMember: newUser(server, { name: "member" }),
    projectOwner: newUser(server, { name: "owner" }),
    otherProjectMember: newUser(server, { name: "outsider" }),
  };
  const admin = { token: u.admin.token };
  const project = (
    await must(server, "POST", "/api/admin/projects", {
      ...admin,
      body: { name: `p-${randomUUID().slice(0, 8)}`, memberIds: [u.sender.id, u.participant.id, u.projectMember.id] },
    }, "project")
  ).project;
  await must(server, "POST", `/api/admin/projects/${project.id}/members`, {
    ...admin,
    body: { userIds: [u.projectOwner.id], role: "owner" },
  }, "owner");
  const other = (
    await must(server, "POST", "/api/admin/projects", {
      ...admin,
      body: { name: `q-${randomUUID().slice(0, 8)}`, memberIds: [u.otherProjectMember.id] },
    }, "other project")
  ).project;
  const conversation = (
    await must(server, "POST", `/api/projects/${project.id}/conversations`, {
      token: u.sender.token,
      body: { title: "matrix", type: "project", participantIds: [u.participant.id] },
    }, "conversation")
  ).conversation;
  const form = new FormData();
  form.append("file", new Blob(["matrix file\n"], { type: "text/plain" }), "notes.txt");
  const upload = await fetch(`${server.url}/api/conversations/${conversation.id}/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.sender.token}` },
    body: form,
  });
  const uploaded = await upload.json();
  if (upload.status !== 201) throw new Error(`fixture file: ${upload.status} ${JSON.stringify(uploaded)}`);
  const message = (
    await must(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: u.sender.token,
      body: { content: "matrix message", type: "file", fileIds: [uploaded.fileId] },
    }, "message")
  ).message;
  await must(server, "POST", `/api/messages/${message.id}/reactions`, { token: u.sender.token, body: { emoji: "👍" } }, "reaction");
  const report = (
    await must(server, "POST", `/api/messages/${message.id}/report`, {
      token: u.participant.token,
      body: { reason: "spam" },
    }, "report")
  ).report;
  const ids = {
    project: project.id,
    otherProject: other.id,
    conversation: conversation.id,
    message: message.id,
    file: uploaded.fileId,
    report: report.id,
    participant: u.participant.id,
    projectMember: u.projectMember.id,
    outsider: u.otherProjectMember.id,
    emoji: "👍",
  };
  const tokens = {
    none: null,
    expired: server.token(u.sender.id, { ttlSeconds: -3600 }),
    ...Object.fromEntries(Object.entries(u).map(([role, user]) => [role, user.token])),
  };
  return { ids, tokens };
}

/** Replaces every `$name` (a whole string) or `{name}` inside strings by the world's id. */
function fill(value, ids) {
  if (typeof value === "string") {
    if (value.startsWith("$") && value.slice(1) in ids) return ids[value.slice(1)];
    return value.replace(/\{(\w+)\}/g, (whole, key) => {
      if (!(key in ids)) throw new Error(`no fixture for {${key}}`);
      return encodeURIComponent(ids[key]);
    });
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, ids));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, ids)]));
  return value;
}

/**
 * "200" for a success, "403 not_a_project_member" for an error with its code. For a row with
 * `shows` (a fixture name), a success says whether the body names that fixture: "200 +project"
 * or "200 -project", so a list that leaks what the caller may not see fails the table.
 */
function outcome(status, body, row, ids) {
  const code = body && typeof body === "object" ? body.error?.code : undefined;
  if (code) return `${status} ${code}`;
  if (row.shows && status < 300) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return `${status} ${text.includes(ids[row.shows]) ? "+" : "-"}${row.shows}`;
  }
  return String(status);
}

async function callRoute(server, operation, row, role) {
  const { ids, tokens } = await world(server);
  const [method] = operation.split(" ");
  const path = `/api${fill(row.path ?? operation.split(" ")[1], { ...ids, ...fill(row.params ?? {}, ids) })}${row.query ? `?${fill(row.query, ids)}` : ""}`;
  const token = tokens[role];
  if (row.multipart) {
    const form = new FormData();
    form.append("file", new Blob(["matrix upload\n"], { type: "text/plain" }), "upload.txt");
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
      redirect: "manual",
    });
    const text = await res.text();
    return outcome(res.status, text.startsWith("{") ? JSON.parse(text) : null, row, ids);
  }
  const res = await api(server, method, path, { token, body: row.body === undefined ? undefined : fill(row.body, ids) });
  return outcome(res.status, res.body, row, ids);
}

async function callEvent(server, event, row, role) {
  const { ids, tokens } = await world(server);
  let socket;
  try {
    socket = await connect(server, tokens[role], { server });
  } catch (error) {
    const code = String(error.message).split(":")[0];
    return `connect_error ${code}`;
  }
  try {
    // What a client does first: try to join the conversation (refused for most roles).
    if (row.joinFirst) await emitAck(socket, "join", { conversationId: ids.conversation });
    const ack = await emitAck(socket, event, fill(row.payload, ids));
    if (ack?.ok === true) return "ok";
    return ack?.error?.code ?? `unexpected ack ${JSON.stringify(ack)}`;
  } finally {
    socket.close();
  }
}

/** Every cell of `table` (rows × roles) through `call`; the mismatches and the observed table. */
async function runTable(server, table, call) {
  const cells = Object.keys(table).flatMap((name) => ROLES.map((role) => ({ name, role })));
  const seen = await pool(cells, 6, async ({ name, role }) => {
    try {
      return await call(server, name, table[name], role);
    } catch (error) {
      return `error: ${error.message}${error.cause ? ` (${error.cause.code ?? error.cause.message})` : ""}`;
    }
  });
  const observed = {};
  const mismatches = [];
  cells.forEach(({ name, role }, i) => {
    (observed[name] ??= {})[role] = seen[i];
    const expected = table[name].expect?.[role];
    if (seen[i] !== expected) mismatches.push(`${name} as ${role}: expected ${expected ?? "(no entry)"}, got ${seen[i]}`);
  });
  if (process.env.CONFAB_AUTHZ_PRINT) process.stdout.write(`${JSON.stringify(observed, null, 2)}\n`);
  return { mismatches, cells: cells.length };
}

backendSuites("authorization matrix", { env: { CONFAB_LIMITS__UPLOADS_PER_HOUR: "0" } }, (ctx) => {
  ctx.test("every route of /api/openapi.json and every client event has a row, and every row is a route or event", async (t, server) => {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    const ops = operations(doc);
    assert.ok(ops.length >= 20, `only ${ops.length} operations in the OpenAPI document`);
    const missing = ops.filter((op) => !(op in matrix.routes));
    const stale = Object.keys(matrix.routes).filter((op) => !ops.includes(op));
    assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, "tests/authz/matrix.json routes differ from /api/openapi.json");
    const events = gatewayEvents();
    const missingEvents = events.filter((e) => !(e in matrix.events));
    const staleEvents = Object.keys(matrix.events).filter((e) => !events.includes(e));
    assert.deepEqual({ missingEvents, staleEvents }, { missingEvents: [], staleEvents: [] }, "tests/authz/matrix.json events differ from the gateway's EVENTS");
    for (const [name, row] of [...Object.entries(matrix.routes), ...Object.entries(matrix.events)]) {
      assert.deepEqual(Object.keys(row.expect ?? {}).sort(), [...ROLES].sort(), `${name}: an expectation for every role`);
    }
  });

  ctx.test("every route answers each kind of caller as the table says", async (t, server) => {
    const { mismatches, cells } = await runTable(server, matrix.routes, callRoute);
    assert.equal(cells, Object.keys(matrix.routes).length * ROLES.length);
    assert.deepEqual(mismatches, []);
  });

  ctx.test("every client event answers each kind of caller as the table says", async (t, server) => {
    const { mismatches, cells } = await runTable(server, matrix.events, callEvent);
    assert.equal(cells, Object.keys(matrix.events).length * ROLES.length);
    assert.deepEqual(mismatches, []);
  });
});
