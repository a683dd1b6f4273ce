// Exactly-once, in-order delivery and duplicate-free sends across dead transports, against
// the release binary. `client.io.engine.close()` kills the Engine.IO connection the way a
// network drop does; socket.io-client then reconnects by itself.

import assert from "node:assert/strict";

import {
  allMessages,
  assertExactlyOnceInOrder,
  clientFor,
  collect,
  nextConnect,
  pair,
  sleep,
  suites,
  until,
} from "./setup.js";

/** Lets late duplicates (if any) arrive before the final check. */
const SETTLE_MS = 300;

suites("delivery across reconnects", {}, ({ test }) => {
  test("a client whose transport is killed mid-stream gets every message once, in seq order", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: receiver, calls, errors } = clientFor(t, server, b);
    const got = collect(receiver);
    await receiver.join(conversation.id);
    const { client: sender } = clientFor(t, server, a);

    let connects = 0;
    receiver.socket.on("connect", () => (connects += 1));
    const total = 150;
    const sending = (async () => {
      for (let i = 1; i <= total; i++) {
        await sender.send(conversation.id, { content: `m${i}` });
        await sleep(5);
      }
    })();
    // Kill the receiver's transport three times while the sender keeps going.
    for (const after of [20, 60, 110]) {
      await until(() => got.length >= after, `${after} messages before the kill`);
      receiver.io.engine.close();
      assert.equal(receiver.connected, false);
    }
    await sending;
    await until(() => got.length >= total, `all ${total} messages (got ${got.length})`);
    await sleep(SETTLE_MS);

    assertExactlyOnceInOrder(assert, got, 1, total);
    assert.deepEqual(
      got.map((m) => m.content),
      Array.from({ length: total }, (_, i) => `m${i + 1}`),
    );
    assert.equal(connects, 3, "reconnected after each kill");
    assert.equal(calls.tokens, 4, "getToken asked on the first connect and each reconnect");
    assert.deepEqual(errors, []);
  });

  test("messages sent while the receiver is away are filled in before newer live ones", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: receiver } = clientFor(t, server, b, { socketOptions: { reconnectionDelay: 1000, reconnectionDelayMax: 1000 } });
    const got = collect(receiver);
    await receiver.join(conversation.id);
    const { client: sender } = clientFor(t, server, a);
    await sender.send(conversation.id, { content: "before" });
    await until(() => got.length === 1, "the first message");

    receiver.io.engine.close();
    const back = nextConnect(receiver);
    for (let i = 1; i <= 30; i++) await sender.send(conversation.id, { content: `missed ${i}` });
    await back;
    // Live messages right after the reconnect race the re-join's gap fill.
    for (let i = 1; i <= 10; i++) await sender.send(conversation.id, { content: `live ${i}` });
    await until(() => got.length >= 41, `41 messages (got ${got.length})`);
    await sleep(SETTLE_MS);
    assertExactlyOnceInOrder(assert, got, 1, 41);
    assert.equal(got[31].content, "live 1");
  });

  test("sends made while disconnected are queued, stored once each, in the order written", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: sender } = clientFor(t, server, a);
    const own = collect(sender);
    await sender.join(conversation.id);
    const { client: receiver } = clientFor(t, server, b);
    const got = collect(receiver);
    await receiver.join(conversation.id);

    sender.io.engine.close();
    assert.equal(sender.connected, false);
    const stored = await Promise.all([1, 2, 3, 4, 5].map((i) => sender.send(conversation.id, { content: `offline ${i}` })));
    assert.deepEqual(
      stored.map((m) => [m.seq, m.content]),
      [1, 2, 3, 4, 5].map((i) => [i, `offline ${i}`]),
    );
    assert.equal(new Set(stored.map((m) => m.clientMsgId)).size, 5, "a clientMsgId per send");

    await until(() => got.length >= 5 && own.length >= 5, "the five messages on both clients");
    await sleep(SETTLE_MS);
    assertExactlyOnceInOrder(assert, got, 1, 5);
    assertExactlyOnceInOrder(assert, own, 1, 5);
    assert.equal((await allMessages(server, a, conversation.id)).length, 5, "stored once each");
  });

  test("a send whose ack died with the transport is retried with its clientMsgId and stored once", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: sender } = clientFor(t, server, a);
    const { client: receiver } = clientFor(t, server, b);
    const got = collect(receiver);
    await receiver.join(conversation.id);
    await until(() => sender.connected, "the sender's connection");

    const sent = [];
    for (let i = 1; i <= 10; i++) {
      const send = sender.send(conversation.id, { content: `lost ack ${i}` });
      // The packet is already written to the websocket; the ack cannot come back on it.
      sender.io.engine.close();
      sent.push(await send);
    }
    assert.deepEqual(
      sent.map((m) => m.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    await until(() => got.length >= 10, "ten messages at the receiver");
    await sleep(SETTLE_MS);
    assertExactlyOnceInOrder(assert, got, 1, 10);
    const history = await allMessages(server, a, conversation.id);
    assert.deepEqual(
      history.map((m) => m.content),
      Array.from({ length: 10 }, (_, i) => `lost ack ${i + 1}`),
      "no duplicates stored",
    );
  });
});
