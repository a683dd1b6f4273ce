import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfabError } from "../../src/errors.js";
import type { Message, SendPayload } from "../../src/events.js";
import { Outbox } from "../../src/outbox.js";
import { FakeClock, flush, message } from "./fakes.js";

/** An outbox whose sends the test answers by hand. */
function setup() {
  const clock = new FakeClock();
  const wire = { up: true, sent: [] as { payload: SendPayload; resolve(m: Message): void; reject(e: ConfabError): void }[] };
  const outbox = new Outbox(
    {
      connected: () => wire.up,
      send: (payload) => new Promise((resolve, reject) => wire.sent.push({ payload, resolve, reject })),
    },
    clock,
    { retryBaseMs: 1000, retryMaxMs: 8000 },
  );
  const results: string[] = [];
  const enqueue = (content: string, conversationId = "c-1") => {
    const payload: SendPayload = { conversationId, content, type: "text", clientMsgId: `id-${content}` };
    const p = outbox.enqueue(payload);
    p.then(
      (m) => results.push(`ok ${m.content}`),
      (e: ConfabError) => results.push(`error ${e.code}`),
    );
    return p;
  };
  const stored = (content: string, seq = 1) => message(seq, "c-1", { content, clientMsgId: `id-${content}` });
  return { clock, wire, outbox, enqueue, results, stored };
}

describe("Outbox", () => {
  it("sends one message per conversation at a time, in the order written", async () => {
    const { wire, enqueue, results, stored } = setup();
    enqueue("a");
    enqueue("b");
    enqueue("x", "c-2");
    assert.deepEqual(
      wire.sent.map((s) => s.payload.content),
      ["a", "x"],
      "b waits for a; another conversation does not",
    );
    wire.sent[0]!.resolve(stored("a"));
    await flush();
    assert.deepEqual(
      wire.sent.map((s) => s.payload.content),
      ["a", "x", "b"],
    );
    wire.sent[2]!.resolve(stored("b", 2));
    await flush();
    assert.deepEqual(results, ["ok a", "ok b"]);
  });

  it("holds sends made while disconnected and sends them on resume", async () => {
    const { wire, outbox, enqueue, results, stored } = setup();
    wire.up = false;
    enqueue("a");
    assert.equal(wire.sent.length, 0);
    assert.equal(outbox.size, 1);
    wire.up = true;
    outbox.resume();
    assert.equal(wire.sent.length, 1);
    wire.sent[0]!.resolve(stored("a"));
    await flush();
    assert.deepEqual(results, ["ok a"]);
    assert.equal(outbox.size, 0);
  });

  it("resends with the same clientMsgId after the connection dropped mid-send", async () => {
    const { wire, outbox, enqueue, results, stored } = setup();
    enqueue("a");
    wire.up = false;
    wire.sent[0]!.reject(new ConfabError("disconnected", "gone"));
    await flush();
    assert.equal(wire.sent.length, 1, "no resend while disconnected");
    wire.up = true;
    outbox.resume();
    assert.equal(wire.sent.length, 2);
    assert.deepEqual(wire.sent[1]!.payload, wire.sent[0]!.payload, "the very same payload, clientMsgId included");
    wire.sent[1]!.resolve(stored("a"));
    await flush();
    assert.deepEqual(results, ["ok a"]);
  });

  it("retries an ack timeout with exponential back-off, capped", async () => {
    const { clock, wire, enqueue, results, stored } = setup();
    enqueue("a");
    for (const [i, pause] of [1000, 2000, 4000, 8000, 8000].entries()) {
      wire.sent[i]!.reject(new ConfabError("ack_timeout", "slow"));
      await flush();
      assert.deepEqual(clock.pending(), [pause]);
      await clock.advance(pause - 1);
      assert.equal(wire.sent.length, i + 1, "not before the pause is over");
      await clock.advance(1);
      assert.equal(wire.sent.length, i + 2);
    }
    assert.ok(wire.sent.every((s) => s.payload.clientMsgId === "id-a"));
    wire.sent[5]!.resolve(stored("a"));
    await flush();
    assert.deepEqual(results, ["ok a"]);
  });

  it("waits out the server's retryAfterMs on rate_limited, even across a reconnect", async () => {
    const { clock, wire, outbox, enqueue, stored, results } = setup();
    enqueue("a");
    wire.sent[0]!.reject(new ConfabError("rate_limited", "slow down", { retryAfterMs: 5000 }));
    await flush();
    outbox.resume();
    assert.equal(wire.sent.length, 1, "a reconnect does not cut the server's pause short");
    await clock.advance(4999);
    assert.equal(wire.sent.length, 1);
    await clock.advance(1);
    assert.equal(wire.sent.length, 2);
    wire.sent[1]!.resolve(stored("a"));
    await flush();
    assert.deepEqual(results, ["ok a"]);
  });

  it("rejects a permanent refusal and goes on with the next message", async () => {
    const { wire, enqueue, results, stored } = setup();
    enqueue("a");
    enqueue("b");
    wire.sent[0]!.reject(new ConfabError("validation_failed", "too long"));
    await flush();
    wire.sent[1]!.resolve(stored("b"));
    await flush();
    assert.deepEqual(results, ["error validation_failed", "ok b"]);
  });

  it("failAll rejects what waits, and a closed outbox takes nothing new", async () => {
    const { clock, wire, outbox, enqueue, results } = setup();
    enqueue("a");
    enqueue("b");
    wire.sent[0]!.reject(new ConfabError("ack_timeout", "slow"));
    await flush();
    outbox.failAll(new ConfabError("closed", "closed"), { close: true });
    await flush();
    assert.deepEqual(results, ["error closed", "error closed"]);
    assert.deepEqual(clock.pending(), [], "its timers are gone");
    enqueue("c");
    await flush();
    assert.deepEqual(results, ["error closed", "error closed", "error closed"]);
  });
});
