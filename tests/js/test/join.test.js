// Scenario 2: `join` lets participants and admins into a conversation's room.

import assert from "node:assert/strict";
import { backendSuites, connect, emitAck, newUser, restSend, setupPair, randomUUID } from "./helpers.js";

backendSuites("join", ({ test }) => {
  test("a participant joins and gets the conversation with its lastSeq", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const socket = await connect(server.url, b, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "join", { conversationId: conversation.id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.conversation.id, conversation.id);
    assert.equal(ack.conversation.projectId, conversation.projectId);
    assert.equal(ack.lastSeq, 0);

    await restSend(server, a, conversation.id, "one");
    await restSend(server, a, conversation.id, "two");
    const again = await emitAck(socket, "join", { conversationId: conversation.id });
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.equal(again.lastSeq, 2);
  });

  test("an outsider is refused as forbidden", async (t, server) => {
    const { conversation } = await setupPair(server);
    const outsider = newUser(server);
    const socket = await connect(server.url, outsider, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "join", { conversationId: conversation.id });
    assert.equal(ack.ok, undefined);
    assert.equal(ack.error?.code, "forbidden", JSON.stringify(ack));
    assert.equal(typeof ack.error.message, "string");
  });

  test("an unknown conversation is not_found", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, user, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "join", { conversationId: randomUUID() });
    assert.equal(ack.error?.code, "not_found", JSON.stringify(ack));
  });

  test("a conversation id that is not a UUID fails validation", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, user, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "join", { conversationId: "not-a-uuid" });
    assert.equal(ack.error?.code, "validation_failed", JSON.stringify(ack));
    assert.equal(socket.connected, true);
  });

  test("an admin who is not a participant may join", async (t, server) => {
    const { conversation } = await setupPair(server);
    const otherAdmin = newUser(server, { admin: true });
    const socket = await connect(server.url, otherAdmin, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "join", { conversationId: conversation.id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(ack.conversation.id, conversation.id);
  });
});
