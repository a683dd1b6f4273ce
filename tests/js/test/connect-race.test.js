// Scenario 11: clients that emit in their `connect` callback lose nothing (regression test for
// a race where the first event after CONNECT was dropped).

import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { apiOk, backendSuites, createConversation, createProject, newUser } from "./helpers.js";

/** Opens `count` sockets spread over `users`, each emitting `join` in its connect callback. */
async function joinStorm(server, users, conversationId, count, transports) {
  const sockets = [];
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const user = users[i % users.length];
      const socket = server.track(
        io(server.url, { transports, forceNew: true, reconnection: false, auth: { token: user.token } }),
      );
      sockets.push(socket);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ i, error: "no connect and join ack within 20 s" }), 20_000);
        socket.on("connect_error", (error) => {
          clearTimeout(timer);
          resolve({ i, error: `connect_error: ${error.message}` });
        });
        socket.on("connect", () => {
          socket.timeout(10_000).emit("join", { conversationId }, (error, ack) => {
            clearTimeout(timer);
            resolve(error ? { i, error: `ack: ${error.message}` } : { i, ack });
          });
        });
      });
    }),
  );
  for (const socket of sockets) socket.close();
  return results;
}

async function setup(server, userCount) {
  const admin = newUser(server, { admin: true });
  const users = Array.from({ length: userCount }, () => newUser(server));
  const project = await createProject(server, admin, undefined, users);
  const conversation = await createConversation(server, users[0], project.id, users.slice(1));
  // Warm the user rows so the storm measures the socket path, not first-use upserts.
  await Promise.all(users.map((u) => apiOk(server, "GET", `/api/projects/${project.id}/conversations`, { token: u.token })));
  return { users, conversation };
}

function assertAllJoined(results, conversationId) {
  const failed = results.filter((r) => !r.ack?.ok);
  assert.deepEqual(
    failed.slice(0, 5),
    [],
    `${failed.length} of ${results.length} sockets did not get an ok join ack`,
  );
  for (const { ack } of results) assert.equal(ack.conversation.id, conversationId);
}

backendSuites("connect-then-emit clients", ({ test }) => {
  test("200 websocket clients emitting join in their connect callback all get ok acks", async (t, server) => {
    const { users, conversation } = await setup(server, 20);
    const started = Date.now();
    const results = await joinStorm(server, users, conversation.id, 200, ["websocket"]);
    assertAllJoined(results, conversation.id);
    t.diagnostic(`200 websocket connect+join in ${Date.now() - started} ms`);
  });

  test("50 long-polling clients emitting join in their connect callback all get ok acks", async (t, server) => {
    const { users, conversation } = await setup(server, 10);
    const results = await joinStorm(server, users, conversation.id, 50, ["polling"]);
    assertAllJoined(results, conversation.id);
  });
});
