// A node restart: the same port and data (SQLite file or PostgreSQL database) come back, and
// clients carry on with nothing lost and nothing twice.

import assert from "node:assert/strict";

import { allMessages, apiOk, assertExactlyOnceInOrder, clientFor, collect, pair, sleep, suites, until } from "./setup.js";

suites("node restart", {}, ({ test }) => {
  test("after a restart clients re-join and every message arrives once, in order, queued sends included", async (t, server) => {
    const { conversation, a, b, others } = await pair(server, { extra: 1 });
    const [c] = others;
    const { client: receiver } = clientFor(t, server, b);
    const got = collect(receiver);
    await receiver.join(conversation.id);
    const { client: sender } = clientFor(t, server, a);
    for (let i = 1; i <= 5; i++) await sender.send(conversation.id, { content: `before ${i}` });
    await until(() => got.length === 5, "five messages before the restart");

    let queued = [];
    await server.restart(async () => {
      await until(() => !sender.connected && !receiver.connected, "both clients to notice the node is gone");
      // The node is down: these wait in the sender's outbox.
      queued = [1, 2, 3].map((i) => sender.send(conversation.id, { content: `while down ${i}` }));
    });
    // Back up: another participant posts over REST, likely before the receiver is back.
    for (let i = 1; i <= 5; i++) {
      await apiOk(server, "POST", `/api/conversations/${conversation.id}/messages`, {
        token: c.token,
        body: { content: `rest ${i}`, type: "text" },
      });
    }
    const stored = await Promise.all(queued);
    assert.deepEqual(
      stored.map((m) => m.content),
      ["while down 1", "while down 2", "while down 3"],
    );
    for (let i = 1; i <= 5; i++) await sender.send(conversation.id, { content: `after ${i}` });

    await until(() => got.length >= 18, `18 messages (got ${got.length})`, 30_000);
    await sleep(300);
    assertExactlyOnceInOrder(assert, got, 1, 18);
    const history = await allMessages(server, a, conversation.id);
    assert.equal(history.length, 18, "stored once each");
    assert.deepEqual(
      got.map((m) => m.id),
      history.map((m) => m.id),
    );
  });
});
