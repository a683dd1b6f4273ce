// Scenario 7: REST writes reach the sockets in the conversation's room, and removing a
// participant takes their sockets out of the room at once.

import assert from "node:assert/strict";
import { api, apiOk, backendSuites, connectAndJoin, emitAck, expectSilence, once, record, restSend, setupPair, sleep, isUtcTime } from "./helpers.js";

backendSuites("REST writes reach sockets", ({ test }) => {
  test("a message sent over REST arrives as message:new", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const toA = once(sa, "message:new");
    const toB = once(sb, "message:new");
    const message = await restSend(server, a, conversation.id, "over rest", { clientMsgId: "rest-1" });
    assert.deepEqual(await toB, message);
    assert.deepEqual(await toA, message);
    assert.equal(message.seq, 1);
    assert.equal(message.clientMsgId, "rest-1");
  });

  test("an edit arrives as message:updated with the new content and editedAt", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const message = await restSend(server, a, conversation.id, "tpyo");
    const updated = once(sb, "message:updated", 5000, (m) => m.id === message.id);
    const body = await apiOk(server, "PATCH", `/api/messages/${message.id}`, { token: a.token, body: { content: "typo" } });
    assert.equal(body.message.content, "typo");
    const pushed = await updated;
    assert.equal(pushed.content, "typo");
    assert.equal(pushed.seq, message.seq);
    assert.ok(isUtcTime(pushed.editedAt), `editedAt: ${pushed.editedAt}`);
  });

  test("a delete arrives as message:deleted with the message and conversation ids", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const message = await restSend(server, a, conversation.id, "regret");
    const seen = record(sb, "message:deleted");
    const deleted = once(sb, "message:deleted");
    const body = await apiOk(server, "DELETE", `/api/messages/${message.id}`, { token: a.token });
    assert.equal(body.success, true);
    assert.deepEqual(await deleted, { messageId: message.id, conversationId: conversation.id });

    // Deleting again changes nothing, so nothing more is broadcast.
    await api(server, "DELETE", `/api/messages/${message.id}`, { token: a.token });
    await sleep(300);
    assert.equal(seen.events.length, 1, `message:deleted once per change, got ${JSON.stringify(seen.events)}`);
  });

  test("a reaction arrives as message:updated with metadata.reactions", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    t.after(() => sa.close());
    const message = await restSend(server, a, conversation.id, "react to me");
    const updated = once(sa, "message:updated", 5000, (m) => m.id === message.id);
    await apiOk(server, "POST", `/api/messages/${message.id}/reactions`, { token: b.token, body: { emoji: "👍" } });
    const pushed = await updated;
    assert.deepEqual(pushed.metadata?.reactions, { "👍": [b.id] });
    assert.equal(pushed.content, "react to me");
  });

  test("a removed participant's socket leaves the room at once and may not join again", async (t, server) => {
    const { admin, a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const before = once(sb, "message:new");
    await restSend(server, a, conversation.id, "still here?");
    await before;

    const body = await apiOk(server, "DELETE", `/api/admin/conversations/${conversation.id}/participants/${b.id}`, { token: admin.token });
    assert.equal(body.success, true);

    const silence = expectSilence(sb, "message:new", 700);
    const toA = once(sa, "message:new");
    const after = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "bob is gone" });
    assert.equal(after.ok, true, JSON.stringify(after));
    await toA;
    await silence;

    const rejoin = await emitAck(sb, "join", { conversationId: conversation.id });
    assert.equal(rejoin.error?.code, "forbidden", JSON.stringify(rejoin));
    assert.equal(sb.connected, true);
  });

  test("an edit to the same content and a repeated reaction broadcast nothing", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const message = await restSend(server, a, conversation.id, "steady");
    const reacted = once(sb, "message:updated");
    await apiOk(server, "POST", `/api/messages/${message.id}/reactions`, { token: a.token, body: { emoji: "🎉" } });
    await reacted;

    const silence = expectSilence(sb, "message:updated", 500);
    await apiOk(server, "PATCH", `/api/messages/${message.id}`, { token: a.token, body: { content: "steady" } });
    await apiOk(server, "POST", `/api/messages/${message.id}/reactions`, { token: a.token, body: { emoji: "🎉" } });
    await silence;

    const removed = once(sb, "message:updated");
    await apiOk(server, "DELETE", `/api/messages/${message.id}/reactions/${encodeURIComponent("🎉")}`, { token: a.token });
    const pushed = await removed;
    assert.deepEqual(pushed.metadata?.reactions ?? {}, {}, JSON.stringify(pushed.metadata));
  });

  test("an admin deleting a message broadcasts message:deleted", async (t, server) => {
    const { admin, a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const message = await restSend(server, a, conversation.id, "moderate me");
    const deleted = once(sb, "message:deleted");
    const body = await apiOk(server, "DELETE", `/api/admin/messages/${message.id}`, { token: admin.token });
    assert.equal(body.success, true);
    assert.deepEqual(await deleted, { messageId: message.id, conversationId: conversation.id });
  });

  test("a participant added back by an admin may join and receive again", async (t, server) => {
    const { admin, a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    await apiOk(server, "DELETE", `/api/admin/conversations/${conversation.id}/participants/${b.id}`, { token: admin.token });
    const refused = await emitAck(sb, "join", { conversationId: conversation.id });
    assert.equal(refused.error?.code, "forbidden", JSON.stringify(refused));

    await apiOk(server, "POST", `/api/admin/conversations/${conversation.id}/participants`, {
      token: admin.token,
      body: { userId: b.id, role: "member" },
    });
    const joined = await emitAck(sb, "join", { conversationId: conversation.id });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    const toB = once(sb, "message:new");
    const message = await restSend(server, a, conversation.id, "welcome back");
    assert.equal((await toB).id, message.id);
  });
});
