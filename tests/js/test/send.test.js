// Scenario 3: `message:send` acks once stored and broadcasts `message:new` to the room, the
// sender's own socket included, exactly once; `clientMsgId` makes retries idempotent.

import assert from "node:assert/strict";
import { api, backendSuites, connectAndJoin, emitAck, expectSilence, once, record, sleep, setupPair, isUtcTime } from "./helpers.js";

backendSuites("message:send", ({ test }) => {
  test("a send is acked with the stored message and broadcast once to every socket in the room", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const seenA = record(sa, "message:new");
    const seenB = record(sb, "message:new");

    // Listen before sending: the broadcast may arrive in the same read as the ack.
    const toA = once(sa, "message:new", 5000, (m) => m.clientMsgId === "c-1");
    const toB = once(sb, "message:new", 5000, (m) => m.clientMsgId === "c-1");
    const first = await emitAck(sa, "message:send", {
      conversationId: conversation.id,
      content: "hello bob",
      type: "text",
      clientMsgId: "c-1",
    });
    assert.equal(first.ok, true, JSON.stringify(first));
    const m1 = first.message;
    assert.equal(m1.seq, 1);
    assert.equal(m1.content, "hello bob");
    assert.equal(m1.clientMsgId, "c-1");
    assert.equal(m1.senderId, a.id);
    assert.equal(m1.conversationId, conversation.id);
    assert.equal(m1.type, "text");
    assert.deepEqual(m1.files, []);
    assert.ok(isUtcTime(m1.createdAt), `createdAt: ${m1.createdAt}`);

    assert.deepEqual(await toA, m1);
    assert.deepEqual(await toB, m1);

    const second = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "second", clientMsgId: "c-2" });
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal(second.message.seq, 2);
    const thirdToA = once(sa, "message:new", 5000, (m) => m.content === "from bob");
    const third = await emitAck(sb, "message:send", { conversationId: conversation.id, content: "from bob" });
    assert.equal(third.ok, true, JSON.stringify(third));
    assert.equal(third.message.seq, 3);
    assert.equal(third.message.clientMsgId, undefined);

    assert.equal((await thirdToA).id, third.message.id);
    await sleep(300);
    for (const [who, seen] of [["A", seenA], ["B", seenB]]) {
      assert.deepEqual(
        seen.events.map((m) => m.seq),
        [1, 2, 3],
        `${who} should see each message:new exactly once, in order`,
      );
    }
  });

  test("a retry with the same clientMsgId returns the stored message and broadcasts nothing new", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const payload = { conversationId: conversation.id, content: "only once", type: "text", clientMsgId: "retry-me" };
    const toA = once(sa, "message:new", 5000, (m) => m.clientMsgId === "retry-me");
    const toB = once(sb, "message:new", 5000, (m) => m.clientMsgId === "retry-me");
    const first = await emitAck(sa, "message:send", payload);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal((await toA).id, first.message.id);
    assert.equal((await toB).id, first.message.id);

    const seenA = record(sa, "message:new");
    const seenB = record(sb, "message:new");
    const retry = await emitAck(sa, "message:send", payload);
    assert.equal(retry.ok, true, JSON.stringify(retry));
    assert.equal(retry.message.id, first.message.id);
    assert.equal(retry.message.seq, first.message.seq);
    assert.equal(retry.message.clientMsgId, "retry-me");
    await sleep(500);
    assert.equal(seenA.events.length, 0, `no message:new for a retry (A got ${JSON.stringify(seenA.events)})`);
    assert.equal(seenB.events.length, 0, `no message:new for a retry (B got ${JSON.stringify(seenB.events)})`);

    const next = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "next" });
    assert.equal(next.message.seq, first.message.seq + 1, "a retry takes no seq");
  });

  test("every socket of the sender gets message:new and a socket that left the room gets nothing", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const tab1 = await connectAndJoin(server, a, conversation.id);
    const tab2 = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      tab1.close();
      tab2.close();
      sb.close();
    });
    const left = await emitAck(sb, "leave", { conversationId: conversation.id });
    assert.equal(left.ok, true, JSON.stringify(left));

    const silence = expectSilence(sb, "message:new", 700);
    const toTab1 = once(tab1, "message:new");
    const toTab2 = once(tab2, "message:new");
    const ack = await emitAck(tab1, "message:send", { conversationId: conversation.id, content: "to both tabs" });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal((await toTab1).id, ack.message.id);
    assert.equal((await toTab2).id, ack.message.id);
    await silence;
  });

  test("a REST retry with a known clientMsgId answers 200 with the stored message and broadcasts nothing", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const toB = once(sb, "message:new");
    const sent = await emitAck(sb, "message:send", { conversationId: conversation.id, content: "socket first", clientMsgId: "shared-key" });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    await toB;

    const silence = expectSilence(sb, "message:new", 500);
    const retry = await api(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: b.token,
      body: { content: "socket first", type: "text", clientMsgId: "shared-key" },
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.message.id, sent.message.id);
    await silence;

    // The key is the sender's: another sender may use the same one.
    const other = await api(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: a.token,
      body: { content: "same key, other sender", type: "text", clientMsgId: "shared-key" },
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    assert.notEqual(other.body.message.id, sent.message.id);
  });

  test("concurrent duplicate sends with one clientMsgId store and broadcast a single message", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const seen = record(sb, "message:new");
    const payload = { conversationId: conversation.id, content: "double tap", clientMsgId: "dup" };
    const acks = await Promise.all(Array.from({ length: 5 }, () => emitAck(sa, "message:send", payload)));
    for (const ack of acks) assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal(new Set(acks.map((ack) => ack.message.id)).size, 1, "every duplicate answers the same message");
    assert.equal(acks[0].message.seq, 1);
    await sleep(500);
    assert.equal(seen.events.length, 1, `one message:new, got ${seen.events.length}`);
    const next = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "next" });
    assert.equal(next.message.seq, 2, "duplicates leave no gap in seq");
  });
});
