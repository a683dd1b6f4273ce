// Scenario 10: malformed payloads are answered with an error ack and never disconnect.

import assert from "node:assert/strict";
import { api, backendSuites, connectAndJoin, emitAck, once, setupPair, randomUUID } from "./helpers.js";

backendSuites("malformed payloads", ({ test, backend }) => {
  test("every malformed event gets an error ack and the socket stays usable", async (t, server) => {
    const { a, conversation } = await setupPair(server);
    const socket = await connectAndJoin(server, a, conversation.id);
    t.after(() => socket.close());
    let disconnected = null;
    socket.on("disconnect", (reason) => {
      disconnected = reason;
    });
    const cid = conversation.id;

    const cases = [
      ["message:send with no payload", "message:send", [], "validation_failed"],
      ["message:send with a string", "message:send", ["hello"], "validation_failed"],
      ["message:send with a number as conversationId", "message:send", [{ conversationId: 5, content: "x" }], "validation_failed"],
      ["message:send with 5001 characters", "message:send", [{ conversationId: cid, content: "x".repeat(5001) }], "validation_failed"],
      ["message:send with empty content", "message:send", [{ conversationId: cid, content: "" }], "validation_failed"],
      ["message:send with blank content", "message:send", [{ conversationId: cid, content: "   " }], "validation_failed"],
      ["message:send with no content", "message:send", [{ conversationId: cid }], "validation_failed"],
      ["message:send to an unknown conversation", "message:send", [{ conversationId: randomUUID(), content: "x" }], "not_found"],
      ["message:send with type video", "message:send", [{ conversationId: cid, content: "x", type: "video" }], "validation_failed"],
      ["message:send with null", "message:send", [null], "validation_failed"],
      ["message:send with an array", "message:send", [[cid, "x"]], "validation_failed"],
      ["join with an empty object", "join", [{}], "validation_failed"],
      ["leave with an empty object", "leave", [{}], "validation_failed"],
      ["message:read with a bad id", "message:read", [{ messageId: "nope" }], "validation_failed"],
      ["message:sync with no conversation", "message:sync", [{ afterSeq: 0 }], "validation_failed"],
      ["an unknown event", "no:such:event", [{ conversationId: cid }], "validation_failed"],
    ];
    for (const [label, event, args, code] of cases) {
      const ack = await emitAck(socket, event, ...args);
      assert.equal(ack?.ok, undefined, `${label}: ${JSON.stringify(ack)}`);
      assert.equal(ack?.error?.code, code, `${label}: ${JSON.stringify(ack)}`);
      assert.equal(typeof ack.error.message, "string", label);
      assert.equal(socket.connected, true, `${label} disconnected the socket`);
    }

    const newMessage = once(socket, "message:new");
    const ok = await emitAck(socket, "message:send", { conversationId: cid, content: "still alive" });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(ok.message.seq, 1, "no malformed send was stored");
    assert.equal((await newMessage).id, ok.message.id);
    assert.equal(disconnected, null);
  });

  test("content of exactly 5000 characters is accepted, counted as characters not bytes", async (t, server) => {
    const { a, conversation } = await setupPair(server);
    const socket = await connectAndJoin(server, a, conversation.id);
    t.after(() => socket.close());
    const content = "é".repeat(5000);
    const ack = await emitAck(socket, "message:send", { conversationId: conversation.id, content });
    assert.equal(ack.ok, true, JSON.stringify(ack?.error));
    assert.equal(ack.message.content, content);
  });

  test("a payload just under the 1 MB Engine.IO limit is answered over both transports", async (t, server) => {
    const { a, conversation } = await setupPair(server);
    for (const transports of [["websocket"], ["polling"]]) {
      const socket = await connectAndJoin(server, a, conversation.id, { transports });
      t.after(() => socket.close());
      const ack = await emitAck(socket, "message:send", { conversationId: conversation.id, content: "x".repeat(900_000) });
      assert.equal(ack.error?.code, "validation_failed", `${transports}: ${JSON.stringify(ack).slice(0, 300)}`);
      assert.equal(socket.connected, true, `${transports}: a 900 kB payload disconnected the socket`);
    }
  });

  test(
    "content with a NUL character is stored or refused as validation_failed, never an internal error",
    async (t, server) => {
      const { a, b, conversation } = await setupPair(server);
      const socket = await connectAndJoin(server, a, conversation.id);
      t.after(() => socket.close());
      for (const payload of [
        { conversationId: conversation.id, content: "nul \u0000 inside" },
        { conversationId: conversation.id, content: "fine", clientMsgId: "nul-\u0000-key" },
      ]) {
        const ack = await emitAck(socket, "message:send", payload);
        assert.ok(ack.ok === true || ack.error?.code === "validation_failed", `${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
        if (ack.ok) assert.equal(ack.message.content, payload.content);
      }
      const rest = await api(server, "POST", `/api/conversations/${conversation.id}/messages`, {
        token: b.token,
        body: { content: "rest \u0000 nul", type: "text" },
      });
      assert.ok([201, 400].includes(rest.status), `REST answered ${rest.status}: ${JSON.stringify(rest.body)}`);
    },
  );
});
