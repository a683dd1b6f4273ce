// Scenario 5: read markers, from the socket event and from REST, reach the room as
// `message:read:update`.

import assert from "node:assert/strict";
import { apiOk, backendSuites, connect, connectAndJoin, emitAck, newUser, once, restSend, setupPair, isUtcTime } from "./helpers.js";

function assertReceipt(receipt, { messageId, userId, conversationId }) {
  assert.equal(receipt.messageId, messageId);
  assert.equal(receipt.userId, userId);
  assert.equal(receipt.conversationId, conversationId);
  assert.ok(isUtcTime(receipt.readAt), `readAt: ${receipt.readAt}`);
}

backendSuites("read markers", ({ test }) => {
  test("message:read is acked and every socket in the room gets message:read:update", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const message = await restSend(server, a, conversation.id, "please read me");

    const toA = once(sa, "message:read:update", 5000, (r) => r.messageId === message.id);
    const toB = once(sb, "message:read:update", 5000, (r) => r.messageId === message.id);
    const ack = await emitAck(sb, "message:read", { messageId: message.id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const expected = { messageId: message.id, userId: b.id, conversationId: conversation.id };
    assertReceipt(await toB, expected);
    assertReceipt(await toA, expected);
  });

  test("POST /api/conversations/:id/read also emits message:read:update", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const message = await restSend(server, b, conversation.id, "from bob");

    const toB = once(sb, "message:read:update", 5000, (r) => r.messageId === message.id);
    const body = await apiOk(server, "POST", `/api/conversations/${conversation.id}/read`, {
      token: a.token,
      body: { messageId: message.id },
    });
    assert.equal(body.success, true);
    assertReceipt(await toB, { messageId: message.id, userId: a.id, conversationId: conversation.id });
  });

  test("message:read of an unknown message is not_found", async (t, server) => {
    const { b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const ack = await emitAck(sb, "message:read", { messageId: "00000000-0000-4000-8000-000000000000" });
    assert.equal(ack.error?.code, "not_found", JSON.stringify(ack));
  });

  test("an outsider may not mark a message read", async (t, server) => {
    const { a, conversation } = await setupPair(server);
    const message = await restSend(server, a, conversation.id, "private");
    const outsider = newUser(server);
    const socket = await connect(server.url, outsider, { server });
    t.after(() => socket.close());
    const ack = await emitAck(socket, "message:read", { messageId: message.id });
    assert.equal(ack.error?.code, "forbidden", JSON.stringify(ack));
  });
});
