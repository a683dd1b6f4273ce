// Scenario 9: the per-user message limit (30 per minute here) holds against a flood over the
// socket and is shared with REST sends.

import assert from "node:assert/strict";
import { api, backendSuites, connectAndJoin, emitAck, setupPair } from "./helpers.js";

const LIMIT = 30;

backendSuites("flood rate limiting", { env: { CONFAB_LIMITS__MESSAGES_PER_MINUTE: String(LIMIT) } }, ({ test }) => {
  test("40 rapid sends give exactly 30 acks and 10 rate_limited errors, and REST sends are limited too", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sa = await connectAndJoin(server, a, conversation.id);
    t.after(() => sa.close());

    // Rejections are answered at once (nothing is written), accepted sends after their commit.
    // The REST send goes out as soon as the first rejection arrives: the allowance is used up
    // then, and the GCRA refill (one message per 2 s) cannot have given any back yet.
    const started = Date.now();
    let firstLimited;
    const limitedSeen = new Promise((resolve) => {
      firstLimited = resolve;
    });
    const flood = Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        emitAck(sa, "message:send", { conversationId: conversation.id, content: `flood ${i}`, clientMsgId: `flood-${i}` }).then((ack) => {
          if (ack.error?.code === "rate_limited") firstLimited(Date.now() - started);
          return ack;
        }),
      ),
    );
    const limitedAfter = await Promise.race([limitedSeen, flood.then(() => null)]);
    assert.notEqual(limitedAfter, null, "none of the 40 sends was rate limited");
    t.diagnostic(`first rate_limited ack after ${limitedAfter} ms`);
    assert.ok(limitedAfter < 1500, `the first rejection took ${limitedAfter} ms; too slow to test the burst`);
    const rest = await api(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: a.token,
      body: { content: "over rest", type: "text" },
    });
    const acks = await flood;
    t.diagnostic(`40 sends answered in ${Date.now() - started} ms`);

    const ok = acks.filter((ack) => ack.ok === true);
    const limited = acks.filter((ack) => ack.error?.code === "rate_limited");
    assert.equal(ok.length + limited.length, 40, `unexpected acks: ${JSON.stringify(acks.filter((x) => !x.ok && x.error?.code !== "rate_limited"))}`);
    assert.equal(ok.length, LIMIT);
    assert.equal(limited.length, 10);
    for (const ack of limited) {
      assert.ok(Number.isInteger(ack.error.retryAfterMs) && ack.error.retryAfterMs > 0, JSON.stringify(ack));
      assert.ok(ack.error.retryAfterMs <= 60_000, `retryAfterMs ${ack.error.retryAfterMs} is within the minute`);
      assert.equal(typeof ack.error.message, "string");
    }
    assert.deepEqual(
      ok.map((ack) => ack.message.seq).sort((x, y) => x - y),
      Array.from({ length: LIMIT }, (_, i) => i + 1),
      "the accepted messages take seq 1..30 with no gaps",
    );
    assert.equal(sa.connected, true);

    assert.equal(rest.status, 429, JSON.stringify(rest.body));
    assert.equal(rest.body.error.code, "rate_limited");
    assert.ok(Number(rest.headers.get("retry-after")) > 0, `Retry-After: ${rest.headers.get("retry-after")}`);

    // Another user has their own allowance.
    const other = await api(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: b.token,
      body: { content: "bob is fine", type: "text" },
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
  });

  test(
    "a retry of a stored message is answered with it even when the sender is rate limited",
    async (t, server) => {
      const { a, conversation } = await setupPair(server);
      const sa = await connectAndJoin(server, a, conversation.id);
      t.after(() => sa.close());
      const acks = await Promise.all(
        Array.from({ length: LIMIT }, (_, i) =>
          emitAck(sa, "message:send", { conversationId: conversation.id, content: `fill ${i}`, clientMsgId: `fill-${i}` }),
        ),
      );
      assert.ok(acks.every((ack) => ack.ok), "the allowance is used up by stored messages");
      const stored = acks.find((ack) => ack.message.clientMsgId === "fill-0").message;
      const retry = await emitAck(sa, "message:send", { conversationId: conversation.id, content: "fill 0", clientMsgId: "fill-0" });
      assert.equal(retry.ok, true, `the retry was answered ${JSON.stringify(retry)}`);
      assert.equal(retry.message.id, stored.id);
    },
  );
});
