// Scenario 4: typing signals reach the other sockets in the room (not the typist's own), a
// start with no stop expires after the TTL (2 s in this suite), typing needs a join, and a
// flood of starts and stops reaches the room as at most one user:typing per 2 s.

import assert from "node:assert/strict";
import { backendSuites, connect, connectAndJoin, emitAck, once, record, sleep, setupPair } from "./helpers.js";

const TTL_MS = 2000;
/** At most one user:typing per user and conversation in this window (the contract's 2 s). */
const COALESCE_MS = 2000;

backendSuites("typing", ({ test }) => {
  test("typing:start and typing:stop reach the other participant but not the typist", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const own = record(sa, "user:typing");

    const started = once(sb, "user:typing");
    const startAck = await emitAck(sa, "typing:start", { conversationId: conversation.id });
    assert.equal(startAck.ok, true, JSON.stringify(startAck));
    assert.deepEqual(await started, { userId: a.id, conversationId: conversation.id, isTyping: true });

    const stopped = once(sb, "user:typing");
    const stopAck = await emitAck(sa, "typing:stop", { conversationId: conversation.id });
    assert.equal(stopAck.ok, true, JSON.stringify(stopAck));
    assert.deepEqual(await stopped, { userId: a.id, conversationId: conversation.id, isTyping: false });

    await sleep(200);
    assert.deepEqual(own.events, [], "the typist's own socket gets no user:typing");
  });

  test("a typing:start with no stop expires after the TTL", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const started = once(sb, "user:typing");
    await emitAck(sa, "typing:start", { conversationId: conversation.id });
    const start = await started;
    assert.equal(start.isTyping, true);
    const startedAt = Date.now();

    const expired = await once(sb, "user:typing", TTL_MS + 3000);
    const elapsed = Date.now() - startedAt;
    assert.deepEqual(expired, { userId: a.id, conversationId: conversation.id, isTyping: false });
    assert.ok(elapsed >= TTL_MS - 300, `expired after ${elapsed} ms, before the ${TTL_MS} ms TTL`);
  });

  test("a repeated typing:start refreshes the signal without announcing it again", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const seen = record(sb, "user:typing");
    const started = once(sb, "user:typing");
    await emitAck(sa, "typing:start", { conversationId: conversation.id });
    assert.equal((await started).isTyping, true);
    await sleep(TTL_MS / 2);
    const refreshedAt = Date.now();
    await emitAck(sa, "typing:start", { conversationId: conversation.id });

    const ended = await once(sb, "user:typing", TTL_MS + 3000);
    const elapsed = Date.now() - refreshedAt;
    assert.equal(ended.isTyping, false);
    assert.ok(elapsed >= TTL_MS - 300, `expired ${elapsed} ms after the refresh, before the ${TTL_MS} ms TTL`);
    assert.deepEqual(
      seen.events.map((e) => e.isTyping),
      [true, false],
    );
  });

  test("a typist who disconnects stops typing at once", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const started = once(sb, "user:typing");
    await emitAck(sa, "typing:start", { conversationId: conversation.id });
    assert.equal((await started).isTyping, true);
    // Broadcasts are coalesced to one per 2 s: keep typing (refreshing the TTL) until the
    // next broadcast is allowed, so what follows shows the disconnect, not the TTL.
    await sleep(COALESCE_MS * 0.6);
    await emitAck(sa, "typing:start", { conversationId: conversation.id });
    await sleep(COALESCE_MS * 0.5);

    const stopped = once(sb, "user:typing", TTL_MS + 3000);
    const leftAt = Date.now();
    sa.disconnect();
    assert.deepEqual(await stopped, { userId: a.id, conversationId: conversation.id, isTyping: false });
    const elapsed = Date.now() - leftAt;
    assert.ok(elapsed < TTL_MS / 2, `isTyping:false came ${elapsed} ms after the disconnect (the TTL is ${TTL_MS} ms): the disconnect did not end the signal`);
  });

  test("a flood of starts and stops is coalesced to one user:typing per 2 s, the last one right", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const seen = [];
    sb.on("user:typing", (event) => seen.push({ at: Date.now(), isTyping: event.isTyping }));
    for (let i = 0; i < 50; i++) {
      await emitAck(sa, "typing:start", { conversationId: conversation.id });
      await emitAck(sa, "typing:stop", { conversationId: conversation.id });
    }
    await sleep(COALESCE_MS * 2.2);
    assert.ok(seen.length >= 1 && seen.length <= 3, `${seen.length} broadcasts for 100 signals`);
    for (let i = 1; i < seen.length; i++) {
      const gap = seen[i].at - seen[i - 1].at;
      assert.ok(gap >= COALESCE_MS - 200, `two broadcasts ${gap} ms apart`);
    }
    assert.equal(seen.at(-1).isTyping, false, "the typist stopped");
  });

  test("typing before joining the conversation is refused as not_joined", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connect(server.url, a, { server });
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => {
      sa.close();
      sb.close();
    });
    const seen = record(sb, "user:typing");
    const ack = await emitAck(sa, "typing:start", { conversationId: conversation.id });
    assert.equal(ack.error?.code, "not_joined", JSON.stringify(ack));
    const stopAck = await emitAck(sa, "typing:stop", { conversationId: conversation.id });
    assert.equal(stopAck.error?.code, "not_joined", JSON.stringify(stopAck));
    await sleep(200);
    assert.deepEqual(seen.events, []);
    assert.equal(sa.connected, true);
  });
});
