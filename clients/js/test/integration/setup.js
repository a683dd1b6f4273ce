// The integration suites' setup: confab release binaries from tests/support (one per backend
// per suite), users, a project they are members of, and @confab/client instances built from
// dist/ (what the package ships).

import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { createClient } from "../../dist/index.js";
import { BACKENDS, api, apiOk, dumpLogs, startServer } from "../../../../tests/support/confab-server.js";

export { api, apiOk, sleep };

/**
 * Declares `title` once per backend (`backends` narrows them) with one server each;
 * `body({ test, backend })` declares tests as `test(name, [options,] async (t, server) => ...)`.
 */
export function suites(title, { backends = BACKENDS, env = {} } = {}, body) {
  for (const backend of backends) {
    describe(`${title} (${backend})`, () => {
      let server = null;
      before(async () => {
        server = await startServer(env, { backend });
      });
      after(async () => {
        await server?.stop();
      });
      const test = (name, options, fn) => {
        if (typeof options === "function") [fn, options] = [options, {}];
        it(name, options, async (t) => {
          try {
            await fn(t, server);
          } catch (error) {
            if (!options.todo) dumpLogs(server, `${title} (${backend}) › ${name}`);
            throw error;
          }
        });
      };
      body({ test, backend });
    });
  }
}

/** A user: a fresh id and a token for it. */
export function newUser(server, { admin = false, name } = {}) {
  const id = randomUUID();
  return { id, admin, name, token: server.token(id, { admin, name: name ?? `user-${id.slice(0, 8)}` }) };
}

/**
 * An admin makes a project with `members` in it. With project membership (issue 06) the
 * admin route takes `memberIds` and `POST /admin/projects/:id/members` exists; before it,
 * the extra field is ignored and the members route answers 404/405, and anyone may create
 * conversations anyway. Works in both worlds.
 */
export async function projectWith(server, members) {
  const admin = newUser(server, { admin: true, name: "admin" });
  const memberIds = members.map((m) => m.id);
  const { project } = await apiOk(server, "POST", "/api/admin/projects", {
    token: admin.token,
    body: { name: `project-${randomUUID().slice(0, 8)}`, memberIds },
  });
  const added = await api(server, "POST", `/api/admin/projects/${project.id}/members`, {
    token: admin.token,
    body: { userIds: memberIds },
  });
  if (added.status >= 300 && added.status !== 404 && added.status !== 405) {
    throw new Error(`POST /admin/projects/:id/members answered ${added.status}: ${JSON.stringify(added.body)}`);
  }
  return { admin, project };
}

/** Users A and B (and `extra` more) in a project and in one conversation created by A. */
export async function pair(server, { extra = 0 } = {}) {
  const a = newUser(server, { name: "alice" });
  const b = newUser(server, { name: "bob" });
  const others = Array.from({ length: extra }, (_, i) => newUser(server, { name: `user${i}` }));
  const { admin, project } = await projectWith(server, [a, b, ...others]);
  const { conversation } = await apiOk(server, "POST", `/api/projects/${project.id}/conversations`, {
    token: a.token,
    body: { title: "client tests", type: "project", participantIds: [b.id, ...others.map((o) => o.id)] },
  });
  return { admin, project, conversation, a, b, others };
}

/**
 * A @confab/client for `user`, closed when the test ends. Tokens are minted on each
 * (re)connect; `calls.tokens` counts them. Reconnects are quick (tests wait on them).
 */
export function clientFor(t, server, user, options = {}) {
  const calls = { tokens: 0 };
  const client = createClient({
    url: server.url,
    getToken: () => {
      calls.tokens += 1;
      return server.token(user.id, { name: user.name, admin: user.admin });
    },
    ...options,
    socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 500, ...options.socketOptions },
  });
  const errors = [];
  client.on("error", (e) => errors.push(e));
  t.after(() => client.close());
  return { client, calls, errors };
}

/** Collects the client's `message` events. */
export function collect(client) {
  const messages = [];
  client.on("message", (m) => messages.push(m));
  return messages;
}

/** Resolves once `predicate()` holds (checked every 20 ms), or fails after `timeoutMs`. */
export async function until(predicate, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves on the client's next `connect` (the socket's event). */
export function nextConnect(client, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reconnect within ${timeoutMs} ms`)), timeoutMs);
    client.socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Every message of the conversation over REST, oldest first. */
export async function allMessages(server, user, conversationId) {
  const pages = [];
  let before = null;
  for (;;) {
    const query = `limit=100${before ? `&before=${before}` : ""}`;
    const page = await apiOk(server, "GET", `/api/conversations/${conversationId}/messages?${query}`, { token: user.token });
    pages.push(...page.messages);
    if (!page.hasMore || page.messages.length === 0) break;
    before = page.messages.at(-1).id;
  }
  return pages.reverse();
}

/** Asserts `messages` are exactly seq `from..to`, once each, in order. */
export function assertExactlyOnceInOrder(assert, messages, from, to) {
  const seqs = messages.map((m) => m.seq);
  const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  assert.deepEqual(seqs, expected, `delivered seqs ${compact(seqs)}; expected ${from}..${to}`);
}

function compact(seqs) {
  return seqs.length > 40 ? `${seqs.slice(0, 20).join(",")},…,${seqs.slice(-20).join(",")} (${seqs.length})` : seqs.join(",");
}
