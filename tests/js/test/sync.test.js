// Scenario 8: `message:sync` returns what a reconnecting client missed, in seq order, pages
// with `hasMore`, and shows edited and deleted messages in their current state.

import assert from "node:assert/strict";
import { apiOk, backendSuites, connect, connectAndJoin, emitAck, newUser, once, setupPair, isUtcTime } from "./helpers.js";

/** A and B in the room; A sends one message B sees; B goes away; A sends three more. */
async function missedThree(t, server) {
  const pair = await setupPair(server);
  const { a, b, conversation } = pair;
  const sa = await connectAndJoin(server, a, conversation.id);
  t.after(() => sa.close());
  const first = await connectAndJoin(server, b, conversation.id);
  const seen = once(first, "message:new");
  const ack = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "before" });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  const lastSeen = (await seen).seq;
  assert.equal(lastSeen, 1);
  first.disconnect();

  const missed = [];
  for (const content of ["one", "two", "three"]) {
    const sent = await emitAck(sa, "message:send", { conversationId: conversation.id, content });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    missed.push(sent.message);
  }
  const sb = await connectAndJoin(server, b, conversation.id);
  t.after(() => sb.close());
  return { ...pair, sa, sb, lastSeen, missed };
}

backendSuites("message:sync", ({ test }) => {
  test("a reconnecting client gets exactly the messages it missed, in seq order", async (t, server) => {
    const { sb, conversation, lastSeen, missed } = await missedThree(t, server);
    const page = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: lastSeen });
    assert.equal(page.ok, true, JSON.stringify(page));
    assert.equal(page.hasMore, false);
    assert.deepEqual(
      page.messages.map((m) => [m.seq, m.content]),
      [
        [2, "one"],
        [3, "two"],
        [4, "three"],
      ],
    );
    assert.deepEqual(
      page.messages.map((m) => m.id),
      missed.map((m) => m.id),
    );
  });

  test("a limit pages the missed messages with hasMore", async (t, server) => {
    const { sb, conversation, lastSeen } = await missedThree(t, server);
    const page = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: lastSeen, limit: 2 });
    assert.equal(page.ok, true, JSON.stringify(page));
    assert.equal(page.hasMore, true);
    assert.deepEqual(
      page.messages.map((m) => m.seq),
      [2, 3],
    );
    const exact = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: lastSeen, limit: 3 });
    assert.equal(exact.messages.length, 3);
    assert.equal(exact.hasMore, false, "a page that ends exactly at the last message has no more");
    const rest = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: 3, limit: 2 });
    assert.equal(rest.hasMore, false);
    assert.deepEqual(
      rest.messages.map((m) => m.seq),
      [4],
    );
  });

  test("edited and deleted messages come back in their current state", async (t, server) => {
    const { a, sa, sb, conversation, lastSeen, missed } = await missedThree(t, server);
    const [, edited, deleted] = missed;
    await apiOk(server, "PATCH", `/api/messages/${edited.id}`, { token: a.token, body: { content: "two (edited)" } });
    await apiOk(server, "DELETE", `/api/messages/${deleted.id}`, { token: a.token });

    const page = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: lastSeen });
    assert.equal(page.ok, true, JSON.stringify(page));
    assert.deepEqual(
      page.messages.map((m) => m.seq),
      [2, 3, 4],
      "a deleted message keeps its place",
    );
    const [, e, d] = page.messages;
    assert.equal(e.content, "two (edited)");
    assert.ok(isUtcTime(e.editedAt), `editedAt: ${e.editedAt}`);
    assert.equal(e.deletedAt, undefined);
    assert.ok(isUtcTime(d.deletedAt), `deletedAt: ${d.deletedAt}`);
    assert.equal(d.content, "", "a deleted message's content is hidden from others");

    const own = await emitAck(sa, "message:sync", { conversationId: conversation.id, afterSeq: lastSeen });
    const mine = own.messages.find((m) => m.id === deleted.id);
    assert.ok(mine.deletedAt, "the sender sees the deletion too");
  });

  test("a sync with afterSeq 0 returns the whole conversation and bad arguments fail validation", async (t, server) => {
    const { sb, conversation } = await missedThree(t, server);
    const all = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: 0 });
    assert.deepEqual(
      all.messages.map((m) => m.seq),
      [1, 2, 3, 4],
    );
    const negative = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: -1 });
    assert.equal(negative.error?.code, "validation_failed", JSON.stringify(negative));
    const zero = await emitAck(sb, "message:sync", { conversationId: conversation.id, afterSeq: 0, limit: 0 });
    assert.equal(zero.error?.code, "validation_failed", JSON.stringify(zero));
    assert.equal(sb.connected, true);
  });

  test("an outsider may not sync the conversation", async (t, server) => {
    const { conversation } = await setupPair(server);
    const outsider = newUser(server);
    const socket = await connect(server.url, outsider, { server });
    t.after(() => socket.close());
    const page = await emitAck(socket, "message:sync", { conversationId: conversation.id, afterSeq: 0 });
    assert.equal(page.error?.code, "forbidden", JSON.stringify(page));
  });
});
