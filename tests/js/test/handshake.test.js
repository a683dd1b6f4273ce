// Scenario 1: the handshake authenticates every socket, over every transport, and applies
// the messaging rollout flag (admins always pass).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { backendSuites, connect, emitAck, mintToken, newUser, createProject, createConversation, randomUUID } from "./helpers.js";

/** Connecting must fail; returns the `connect_error` error. */
async function refused(server, token, opts = {}) {
  try {
    const socket = await connect(server.url, token, { server, ...opts });
    socket.close();
  } catch (error) {
    return error;
  }
  assert.fail("the socket connected but should have been refused");
}

/** A round trip over the socket proves the namespace serves it. */
async function assertServes(server, socket, user) {
  const admin = newUser(server, { admin: true });
  const project = await createProject(server, admin, undefined, [user]);
  const conversation = await createConversation(server, user, project.id, []);
  const ack = await emitAck(socket, "join", { conversationId: conversation.id });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  assert.equal(ack.conversation.id, conversation.id);
}

backendSuites("handshake", (ctx) => {
  const { test, backend } = ctx;

  test("a socket with no token is refused as unauthorized", async (t, server) => {
    const error = await refused(server, null);
    assert.match(error.message, /^unauthorized/);
  });

  test("a socket with a garbage token is refused as unauthorized", async (t, server) => {
    const error = await refused(server, "not-a-jwt");
    assert.match(error.message, /^unauthorized/);
  });

  test("a socket with an expired token is refused as unauthorized", async (t, server) => {
    const token = server.token(randomUUID(), { ttlSeconds: -3600 });
    const error = await refused(server, token);
    assert.match(error.message, /^unauthorized/);
  });

  test("a socket with a token signed with another secret is refused as unauthorized", async (t, server) => {
    const token = mintToken(randomBytes(32).toString("hex"), randomUUID());
    const error = await refused(server, token);
    assert.match(error.message, /^unauthorized/);
  });

  test(
    "a refused handshake carries the error code in connect_error data",
    { todo: "socketioxide 0.18.9 (the latest) encodes connect_error as { message } only: its parser is a closed enum and the packet API takes a string, so data.code cannot be sent without patching it; the code leads the message instead (unauthorized: ...)" },
    async (t, server) => {
      const error = await refused(server, "not-a-jwt");
      assert.equal(error.data?.code, "unauthorized");
    },
  );

  test("a valid token connects over websocket only", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, user.token, { server, transports: ["websocket"] });
    assert.equal(socket.connected, true);
    assert.equal(socket.io.engine.transport.name, "websocket");
    await assertServes(server, socket, user);
    socket.close();
  });

  test("a valid token connects over long-polling only", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, user.token, { server, transports: ["polling"] });
    assert.equal(socket.connected, true);
    assert.equal(socket.io.engine.transport.name, "polling");
    await assertServes(server, socket, user);
    socket.close();
  });

  test("a valid token connects over polling and upgrades to websocket by default", async (t, server) => {
    const user = newUser(server);
    let upgraded;
    const socket = await connect(server.url, user.token, {
      server,
      transports: ["polling", "websocket"],
      onSocket: (s) => {
        upgraded = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no upgrade within 5 s")), 5000);
          s.io.engine.once("upgrade", (transport) => {
            clearTimeout(timer);
            resolve(transport.name);
          });
        });
      },
    });
    assert.equal(socket.connected, true);
    assert.equal(await upgraded, "websocket");
    assert.equal(socket.io.engine.transport.name, "websocket");
    await assertServes(server, socket, user);
    socket.close();
  });

  test("a token in the Authorization header is accepted over polling", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, null, {
      server,
      transports: ["polling"],
      extraHeaders: { Authorization: `Bearer ${user.token}` },
    });
    assert.equal(socket.connected, true);
    await assertServes(server, socket, user);
    socket.close();
  });

  test("a token in the query string is accepted", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, null, { server, query: { token: user.token } });
    assert.equal(socket.connected, true);
    await assertServes(server, socket, user);
    socket.close();
  });

  test("a token with a tampered signature is refused as unauthorized", async (t, server) => {
    const user = newUser(server);
    const [header, claims, signature] = user.token.split(".");
    const forged = `${header}.${claims}.${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    const error = await refused(server, forged);
    assert.match(error.message, /^unauthorized/);
  });

  test(
    "a valid token whose name claim contains a NUL character connects",
    async (t, server) => {
      const token = server.token(randomUUID(), { name: "nul\u0000name" });
      const socket = await connect(server.url, token, { server });
      assert.equal(socket.connected, true);
      socket.close();
    },
  );
});

const ENABLED_ID = randomUUID();
const ENABLED_EMAIL = "early-bird@example.com";

backendSuites(
  "handshake with messaging rolled out to nobody",
  {
    env: {
      CONFAB_FEATURES__MESSAGING__ROLLOUT_PERCENTAGE: "0",
      CONFAB_FEATURES__MESSAGING__ENABLED_USERS: `${ENABLED_ID}, ${ENABLED_EMAIL}`,
    },
  },
  (ctx) => {
    const { test } = ctx;

    test("a user outside the rollout is refused as messaging_disabled", async (t, server) => {
      const user = newUser(server);
      const error = await refused(server, user.token);
      assert.match(error.message, /^messaging_disabled/);
    });

    test("an admin still connects", async (t, server) => {
      const admin = newUser(server, { admin: true });
      const socket = await connect(server.url, admin.token, { server });
      assert.equal(socket.connected, true);
      socket.close();
    });

    test("users listed in ENABLED_USERS by id or by email connect", async (t, server) => {
      const byId = await connect(server.url, server.token(ENABLED_ID), { server });
      assert.equal(byId.connected, true);
      byId.close();
      const byEmail = await connect(server.url, server.token(randomUUID(), { email: ENABLED_EMAIL }), { server });
      assert.equal(byEmail.connected, true);
      byEmail.close();
    });
  },
);
