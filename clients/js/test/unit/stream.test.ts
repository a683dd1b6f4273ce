import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfabError } from "../../src/errors.js";
import type { Message, SyncAck } from "../../src/events.js";
import { ConversationStream } from "../../src/stream.js";
import { FakeClock, flush, message } from "./fakes.js";

/** A stream whose `message:sync` pages the test answers by hand. */
function setup(pageSize = 100) {
  const clock = new FakeClock();
  const delivered: number[] = [];
  const errors: ConfabError[] = [];
  const pages: { afterSeq: number; limit: number; resolve(ack: SyncAck): void; reject(e: ConfabError): void }[] = [];
  const stream = new ConversationStream(
    "c-1",
    {
      deliver: (m: Message) => delivered.push(m.seq),
      fetchPage: (afterSeq, limit) => new Promise((resolve, reject) => pages.push({ afterSeq, limit, resolve, reject })),
      onError: (e) => errors.push(e),
    },
    clock,
    { pageSize, stallRetryMs: 1000 },
  );
  /** Answers the oldest open sync request with messages `from..to` (inclusive). */
  const answer = async (from: number, to: number, hasMore = false) => {
    const page = pages.shift();
    assert.ok(page, "a message:sync request is waiting");
    const messages = [];
    for (let seq = from; seq <= to; seq++) messages.push(message(seq, "c-1"));
    page.resolve({ messages, hasMore });
    await flush();
    return page;
  };
  return { clock, stream, delivered, errors, pages, answer };
}

const live = (stream: ConversationStream, ...seqs: number[]) => {
  for (const seq of seqs) stream.live(message(seq, "c-1"));
};

describe("ConversationStream", () => {
  it("starts after the join's lastSeq and checks with one sync before delivering live messages", async () => {
    const { stream, delivered, pages, answer } = setup();
    stream.joined(5);
    assert.equal(pages[0]?.afterSeq, 5);
    live(stream, 6);
    assert.deepEqual(delivered, [], "held while the join's sync runs");
    await answer(6, 6);
    assert.deepEqual(delivered, [6]);
    live(stream, 7, 8);
    assert.deepEqual(delivered, [6, 7, 8]);
    assert.equal(pages.length, 0, "no sync needed for contiguous live messages");
  });

  it("drops duplicates and messages at or below what was delivered", async () => {
    const { stream, delivered, answer } = setup();
    stream.joined(0);
    await answer(1, 0);
    live(stream, 1, 1, 2, 1, 2, 3);
    assert.deepEqual(delivered, [1, 2, 3]);
  });

  it("fills a gap with message:sync before delivering the newer live message", async () => {
    const { stream, delivered, pages, answer } = setup();
    stream.joined(0);
    await answer(1, 0);
    live(stream, 1, 4);
    assert.deepEqual(delivered, [1]);
    assert.equal(pages[0]?.afterSeq, 1, "sync from the last delivered seq");
    live(stream, 5, 3);
    assert.deepEqual(delivered, [1], "everything waits for the gap");
    await answer(2, 5);
    assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
    live(stream, 4, 5, 6);
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6]);
  });

  it("pages through hasMore in seq order", async () => {
    const { stream, delivered, pages, answer } = setup(2);
    stream.joined(0);
    const first = await answer(1, 2, true);
    assert.equal(first.limit, 2);
    assert.equal(pages[0]?.afterSeq, 2);
    await answer(3, 4, true);
    await answer(5, 5, false);
    assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
    assert.equal(pages.length, 0);
  });

  it("buffers messages that arrive before the first join answered and drops the ones it covers", async () => {
    const { stream, delivered, answer } = setup();
    live(stream, 3, 4, 6);
    stream.joined(4);
    await answer(5, 6);
    assert.deepEqual(delivered, [5, 6], "3 and 4 are history; 6 comes once");
  });

  it("resumes after a disconnect from the last delivered seq, without duplicates", async () => {
    const { stream, delivered, pages, answer } = setup(2);
    stream.joined(0);
    await answer(1, 2, true);
    pages.shift()?.reject(new ConfabError("disconnected", "gone"));
    await flush();
    assert.deepEqual(delivered, [1, 2]);
    assert.equal(pages.length, 0, "nothing retried while disconnected");
    live(stream, 5); // reconnected: a live message before the join answered starts a fill
    stream.joined(7);
    assert.equal(pages[0]?.afterSeq, 2);
    await answer(3, 4, true);
    await answer(5, 7);
    await answer(8, 7); // the join's own round: nothing new
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(pages.length, 0);
  });

  it("runs another round when a join arrives during a fill", async () => {
    const { stream, delivered, pages, answer } = setup();
    stream.joined(0);
    stream.joined(0);
    assert.equal(pages.length, 1, "one sync at a time");
    await answer(1, 1);
    assert.equal(pages.length, 1, "the second join asked for another round");
    await answer(2, 2);
    assert.deepEqual(delivered, [1, 2]);
  });

  it("retries after a pause when the sync has not reached a buffered message yet", async () => {
    const { clock, stream, delivered, pages, answer } = setup();
    stream.joined(0);
    await answer(1, 0);
    live(stream, 3);
    await answer(1, 0); // the server does not return 1..2 yet
    assert.equal(pages.length, 0, "no tight loop");
    assert.deepEqual(clock.pending(), [1000]);
    await clock.advance(1000);
    await answer(1, 3);
    assert.deepEqual(delivered, [1, 2, 3]);
  });

  it("reports a refused sync and stops after close", async () => {
    const { stream, delivered, errors, pages } = setup();
    stream.joined(0);
    pages.shift()?.reject(new ConfabError("forbidden", "not a participant"));
    await flush();
    assert.deepEqual(
      errors.map((e) => e.code),
      ["forbidden"],
    );
    stream.close();
    live(stream, 1);
    stream.joined(3);
    assert.deepEqual(delivered, []);
    assert.equal(pages.length, 0);
  });
});
