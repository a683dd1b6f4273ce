// The typed events besides `message`, and the socket calls that cause them.

import assert from "node:assert/strict";

import { clientFor, collect, newUser, pair, sleep, suites, until } from "./setup.js";

/** Records `event` on `client`. */
function record(client, event) {
  const seen = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}

suites("client events", {}, ({ test }) => {
  test("typing is throttled on the wire and reaches the other participant, and a send ends it", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: typist } = clientFor(t, server, a);
    const { client: watcher } = clientFor(t, server, b);
    const typing = record(watcher, "typing");
    await typist.join(conversation.id);
    await watcher.join(conversation.id);
    const starts = [];
    typist.socket.onAnyOutgoing((event) => event === "typing:start" && starts.push(Date.now()));

    for (let i = 0; i < 20; i++) {
      typist.typing(conversation.id, true); // a keystroke every 50 ms for 1 s
      await sleep(50);
    }
    assert.equal(starts.length, 1, "one typing:start for a second of keystrokes");
    await until(() => typing.some((e) => e.isTyping), "user:typing true");
    assert.deepEqual(typing[0], { userId: a.id, conversationId: conversation.id, isTyping: true });
    await typist.send(conversation.id, { content: "done typing" });
    await until(() => typing.some((e) => !e.isTyping), "user:typing false after the send");
  });

  test("markRead answers with the receipt and the sender sees a read event", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: writer } = clientFor(t, server, a);
    const { client: reader } = clientFor(t, server, b);
    const reads = record(writer, "read");
    const got = collect(reader);
    await writer.join(conversation.id);
    await reader.join(conversation.id);
    const sent = await writer.send(conversation.id, { content: "read me" });
    await until(() => got.length === 1, "the message at the reader");
    const receipt = await reader.markRead(got[0].id);
    assert.equal(receipt.messageId, sent.id);
    assert.equal(receipt.userId, b.id);
    await until(() => reads.some((r) => r.userId === b.id), "the read event at the writer");
    assert.equal(reads.find((r) => r.userId === b.id).messageId, sent.id);
  });

  test("edits, reactions and deletions made over REST arrive as messageUpdated and messageDeleted", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: writer } = clientFor(t, server, a);
    const { client: watcher } = clientFor(t, server, b);
    const updated = record(watcher, "messageUpdated");
    const deleted = record(watcher, "messageDeleted");
    await watcher.join(conversation.id);
    const sent = await writer.send(conversation.id, { content: "first draft" });

    await writer.rest.editMessage(sent.id, "second draft");
    await until(() => updated.length === 1, "the edit");
    assert.equal(updated[0].content, "second draft");
    assert.ok(updated[0].editedAt);

    const reacted = await watcher.rest.react(sent.id, "👍");
    assert.deepEqual(reacted.metadata.reactions["👍"], [b.id]);
    await until(() => updated.length === 2, "the reaction");
    await watcher.rest.unreact(sent.id, "👍");
    await until(() => updated.length === 3, "the reaction removed");

    await writer.rest.deleteMessage(sent.id);
    await until(() => deleted.length === 1, "the deletion");
    assert.deepEqual(deleted[0], { messageId: sent.id, conversationId: conversation.id });
  });

  test("presence reports a participant coming online and, after the grace period, going offline", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client: watcher } = clientFor(t, server, b);
    const presence = record(watcher, "presence");
    await watcher.join(conversation.id);
    const { client: other } = clientFor(t, server, a);
    await other.join(conversation.id);
    await until(() => presence.some((p) => p.userId === a.id && p.online), "a online");
    other.close();
    await until(() => presence.some((p) => p.userId === a.id && !p.online), "a offline");
  });

  test("a join the server refuses rejects with its code and delivers nothing", async (t, server) => {
    const { conversation } = await pair(server);
    const outsider = newUser(server, { name: "outsider" });
    const { client, errors } = clientFor(t, server, outsider);
    const got = collect(client);
    await assert.rejects(client.join(conversation.id), { name: "ConfabError", code: "forbidden" });
    await assert.rejects(client.join("not-a-uuid"), { code: "validation_failed" });
    await assert.rejects(client.send(conversation.id, { content: "let me in" }), { code: "forbidden" });
    assert.deepEqual(got, []);
    assert.deepEqual(errors, [], "refusals answer the caller, not the error event");
  });

  test("a bad token is reported on the error event and fails what waits", async (t, server) => {
    const { conversation } = await pair(server);
    const { createClient } = await import("../../dist/index.js");
    const client = createClient({ url: server.url, token: "not-a-jwt" });
    t.after(() => client.close());
    const errors = record(client, "error");
    await assert.rejects(client.join(conversation.id), { code: "unauthorized" });
    assert.equal(errors[0]?.code, "unauthorized");
  });
});
