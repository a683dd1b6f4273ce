import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type ClientOptions, type ConfabClient, createClientWith } from "../../src/client.js";
import type { ConfabError } from "../../src/errors.js";
import type { Message } from "../../src/events.js";
import { CONVERSATION, FakeClock, FakeSocket, flush, message } from "./fakes.js";

const conversation = {
  id: CONVERSATION,
  projectId: "p-1",
  title: "t",
  type: "project",
  status: "active",
  createdBy: null,
  lastSeq: 0,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
};

/** A client on a fake socket; `server` answers joins and syncs from `stored` when asked. */
function setup(options: Partial<ClientOptions> = {}, fixedToken?: string) {
  const clock = new FakeClock();
  let socket!: FakeSocket;
  let tokenCalls = 0;
  const client = createClientWith(
    fixedToken === undefined
      ? { url: "http://confab.test", getToken: () => `token-${++tokenCalls}`, ...options }
      : { url: "http://confab.test", token: fixedToken, ...options },
    (auth) => (socket = new FakeSocket(auth)),
    { clock, random: () => 1 },
  );
  const delivered: Message[] = [];
  const errors: ConfabError[] = [];
  client.on("message", (m) => delivered.push(m));
  client.on("error", (e) => errors.push(e));
  const stored: Message[] = [];
  /** Answers every waiting join and sync from `stored`, like the server would. */
  const serve = async () => {
    for (let round = 0; round < 20; round++) {
      const joins = socket.waiting("join");
      const syncs = socket.waiting("message:sync");
      if (joins.length + syncs.length === 0) return;
      for (const j of joins) j.answer({ ok: true, conversation, lastSeq: stored.length });
      for (const s of syncs) {
        const { afterSeq, limit } = s.payload as { afterSeq: number; limit: number };
        const rest = stored.filter((m) => m.seq > afterSeq);
        s.answer({ ok: true, messages: rest.slice(0, limit), hasMore: rest.length > limit });
      }
      await flush();
    }
  };
  const store = (n: number) => {
    for (let i = 0; i < n; i++) stored.push(message(stored.length + 1));
    return stored.at(-1)!;
  };
  const seqs = () => delivered.map((m) => m.seq);
  return { clock, client, socket: () => socket, delivered, errors, stored, serve, store, seqs, tokenCalls: () => tokenCalls };
}

async function connectedAndJoined(t: ReturnType<typeof setup>): Promise<ConfabClient> {
  await t.socket().serverAccepts();
  const joined = t.client.join(CONVERSATION);
  await t.serve();
  await joined;
  return t.client;
}

describe("createClient", () => {
  it("asks getToken for a token on every handshake", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    await t.socket().drop();
    await t.socket().serverAccepts();
    assert.deepEqual(t.socket().tokens, ["token-1", "token-2"]);
  });

  it("a fixed token is sent as is", async () => {
    const t = setup({}, "fixed");
    await t.socket().serverAccepts();
    assert.deepEqual(t.socket().tokens, ["fixed"]);
  });

  it("refuses to start without a url or a token", () => {
    assert.throws(() => createClientWith({ url: "" } as ClientOptions, () => new FakeSocket(() => {})), /url/);
    assert.throws(() => createClientWith({ url: "http://x" }, () => new FakeSocket(() => {})), /token/);
  });

  it("a join made before the connection resolves once connected, with lastSeq", async () => {
    const t = setup();
    t.store(3);
    const joined = t.client.join(CONVERSATION);
    assert.equal(t.socket().all("join").length, 0, "nothing emitted while disconnected");
    await t.socket().serverAccepts();
    await t.serve();
    const result = await joined;
    assert.equal(result.lastSeq, 3);
    assert.equal(t.socket().all("join").length, 1, "joined once");
    assert.deepEqual(t.seqs(), [], "messages before the join are history");
  });

  it("delivers live messages exactly once and in order, filling a gap first", async () => {
    const t = setup();
    await connectedAndJoined(t);
    const s = t.socket();
    const m1 = t.store(1);
    s.fire("message:new", m1);
    s.fire("message:new", m1);
    t.store(2); // 2 is lost on the way; 3 arrives
    const m3 = t.store(1);
    s.fire("message:new", m3);
    assert.deepEqual(t.seqs(), [1]);
    assert.equal(s.waiting("message:sync")[0]?.payload.afterSeq, 1);
    await t.serve();
    s.fire("message:new", m3);
    assert.deepEqual(t.seqs(), [1, 2, 3, 4]);
  });

  it("after a reconnect it re-joins and delivers what was missed before newer live messages", async () => {
    const t = setup({ syncPageSize: 2 });
    await connectedAndJoined(t);
    const s = t.socket();
    s.fire("message:new", t.store(1));
    await s.drop();
    t.store(5); // sent by others while we were away
    await s.serverAccepts();
    assert.equal(s.waiting("join").length, 1, "re-joined on connect");
    s.fire("message:new", t.store(1)); // a live one before the join answered
    await t.serve();
    assert.deepEqual(t.seqs(), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(s.all("message:sync").every((r) => r.payload.limit === 2));
  });

  it("queues a send made while disconnected and sends it once connected", async () => {
    const t = setup();
    const sent = t.client.send(CONVERSATION, { content: "hello" });
    await flush();
    assert.equal(t.socket().all("message:send").length, 0);
    await t.socket().serverAccepts();
    const [req] = t.socket().waiting("message:send");
    assert.ok(req, "sent after the connect");
    assert.equal(req.payload.type, "text");
    assert.match(req.payload.clientMsgId, /^[0-9a-f-]{36}$/);
    req.answer({ ok: true, message: message(1, CONVERSATION, { content: "hello", clientMsgId: req.payload.clientMsgId }) });
    assert.equal((await sent).content, "hello");
  });

  it("resends with the same clientMsgId when the connection drops before the ack", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    const sent = t.client.send(CONVERSATION, { content: "once", fileIds: ["f-1"] });
    await flush();
    const first = t.socket().waiting("message:send")[0]!;
    assert.equal(first.payload.type, "file", "fileIds make it a file message");
    await t.socket().drop();
    await t.socket().serverAccepts();
    const second = t.socket().waiting("message:send")[0]!;
    assert.equal(second.payload.clientMsgId, first.payload.clientMsgId);
    second.answer({ ok: true, message: message(1, CONVERSATION, { clientMsgId: first.payload.clientMsgId }) });
    await sent;
    assert.equal(t.socket().all("message:send").length, 2);
  });

  it("a send refused for good rejects with the server's code", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    const sent = t.client.send(CONVERSATION, { content: "" });
    await flush();
    t.socket().waiting("message:send")[0]!.answer({ error: { code: "validation_failed", message: "content: too short" } });
    await assert.rejects(sent, { name: "ConfabError", code: "validation_failed" });
  });

  it("reconnects at once with a fresh token when the session expires", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    t.socket().fire("session:expired", {});
    await t.socket().drop("io server disconnect");
    assert.equal(t.socket().connectCalls, 0);
    await t.clock.advance(0);
    assert.equal(t.socket().connectCalls, 1, "socket.connect() called again");
    await t.socket().serverAccepts();
    assert.deepEqual(t.socket().tokens, ["token-1", "token-2"]);
  });

  it("reconnects with back-off after other server disconnects and refused handshakes", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    await t.socket().drop("io server disconnect");
    await t.clock.advance(999);
    assert.equal(t.socket().connectCalls, 0, "not at once: the node may be going down");
    await t.clock.advance(1);
    assert.equal(t.socket().connectCalls, 1);
    await t.socket().serverRefuses("unauthorized: the token has expired");
    assert.equal(t.errors.at(-1)?.code, "unauthorized");
    await t.clock.advance(1999);
    assert.equal(t.socket().connectCalls, 1);
    await t.clock.advance(1);
    assert.equal(t.socket().connectCalls, 2, "retried: getToken may have a fresh token now");
  });

  it("a refused fixed token fails the waiting and later calls instead of retrying", async () => {
    const t = setup({}, "stale");
    const sent = assert.rejects(t.client.send(CONVERSATION, { content: "x" }), { code: "unauthorized" });
    const joined = assert.rejects(t.client.join(CONVERSATION), { code: "unauthorized" });
    await t.socket().serverRefuses("unauthorized: the token has expired");
    await sent;
    await joined;
    await t.clock.advance(60_000);
    assert.equal(t.socket().connectCalls, 0);
    assert.equal(t.socket().closed, true);
    await assert.rejects(t.client.join(CONVERSATION), { code: "unauthorized" }, "later calls fail at once");
    await assert.rejects(t.client.send(CONVERSATION, { content: "y" }), { code: "unauthorized" });
  });

  it("a refused join rejects; a refused re-join is reported and the conversation dropped", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    const joined = t.client.join(CONVERSATION);
    await flush();
    t.socket().waiting("join")[0]!.answer({ error: { code: "forbidden", message: "not a participant" } });
    await assert.rejects(joined, { code: "forbidden" });

    await connectedAndJoined(t);
    await t.socket().drop();
    await t.socket().serverAccepts();
    t.socket().waiting("join")[0]!.answer({ error: { code: "forbidden", message: "removed" } });
    await flush();
    assert.equal(t.errors.at(-1)?.code, "forbidden");
    t.socket().fire("message:new", message(1));
    assert.deepEqual(t.seqs(), []);
  });

  it("leave stops delivery and emits leave", async () => {
    const t = setup();
    await connectedAndJoined(t);
    const left = t.client.leave(CONVERSATION);
    await flush();
    t.socket().waiting("leave")[0]!.answer({ ok: true });
    await left;
    t.socket().fire("message:new", message(1));
    assert.deepEqual(t.seqs(), []);
    await t.socket().drop();
    await t.socket().serverAccepts();
    assert.equal(t.socket().all("join").length, 1, "not re-joined");
  });

  it("typing is throttled, dropped unless joined, and a send ends it", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    t.client.typing(CONVERSATION, true);
    assert.equal(t.socket().all("typing:start").length, 0, "not joined: dropped");
    const joined = t.client.join(CONVERSATION);
    await t.serve();
    await joined;
    t.client.typing(CONVERSATION, true);
    t.client.typing(CONVERSATION, true);
    await t.clock.advance(3000);
    t.client.typing(CONVERSATION, true);
    assert.equal(t.socket().all("typing:start").length, 2);
    void t.client.send(CONVERSATION, { content: "done" }).catch(() => {});
    assert.equal(t.socket().all("typing:stop").length, 1);
    assert.deepEqual(t.socket().all("typing:stop")[0]!.payload, { conversationId: CONVERSATION });
  });

  it("maps server events to typed client events, and on() returns an unsubscribe", async () => {
    const t = setup();
    await t.socket().serverAccepts();
    const seen: string[] = [];
    const offs = [
      t.client.on("presence", (e) => seen.push(`presence ${e.userId} ${e.online}`)),
      t.client.on("typing", (e) => seen.push(`typing ${e.userId} ${e.isTyping}`)),
      t.client.on("read", (e) => seen.push(`read ${e.messageId}`)),
      t.client.on("messageUpdated", (m) => seen.push(`updated ${m.seq}`)),
      t.client.on("messageDeleted", (e) => seen.push(`deleted ${e.messageId}`)),
    ];
    const s = t.socket();
    s.fire("user:online", { userId: "u-2" });
    s.fire("user:offline", { userId: "u-2" });
    s.fire("user:typing", { userId: "u-2", conversationId: CONVERSATION, isTyping: true });
    s.fire("message:read:update", { messageId: "m-1", userId: "u-2", conversationId: CONVERSATION, readAt: "x" });
    s.fire("message:updated", message(4));
    s.fire("message:deleted", { messageId: "m-9", conversationId: CONVERSATION });
    for (const off of offs) off();
    s.fire("user:online", { userId: "u-3" });
    assert.deepEqual(seen, ["presence u-2 true", "presence u-2 false", "typing u-2 true", "read m-1", "updated 4", "deleted m-9"]);
  });

  it("a throwing listener is reported and does not stop delivery", async () => {
    const t = setup();
    await connectedAndJoined(t);
    t.client.on("message", () => {
      throw new Error("app bug");
    });
    t.socket().fire("message:new", t.store(1));
    t.socket().fire("message:new", t.store(1));
    assert.deepEqual(t.seqs(), [1, 2]);
    assert.deepEqual(
      t.errors.map((e) => e.code),
      ["listener_failed", "listener_failed"],
    );
  });

  it("markRead waits for the connection and returns the receipt", async () => {
    const t = setup();
    const read = t.client.markRead("m-1");
    await flush();
    assert.equal(t.socket().all("message:read").length, 0);
    await t.socket().serverAccepts();
    const receipt = { messageId: "m-1", userId: "u-1", conversationId: CONVERSATION, readAt: "2026-01-01T00:00:00Z" };
    t.socket().waiting("message:read")[0]!.answer({ ok: true, receipt });
    assert.deepEqual(await read, receipt);
  });

  it("close rejects what waits and closes the socket", async () => {
    const t = setup();
    const rejected = [
      t.client.send(CONVERSATION, { content: "never" }),
      t.client.join(CONVERSATION),
      t.client.markRead("m-1"),
    ].map((p) => assert.rejects(p, { code: "closed" }));
    t.client.close();
    await Promise.all(rejected);
    assert.equal(t.socket().closed, true);
    await assert.rejects(t.client.send(CONVERSATION, { content: "late" }), { code: "closed" });
  });
});
