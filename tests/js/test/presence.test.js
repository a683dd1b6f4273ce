// Scenario 6: presence. `user:online` when a user's first socket connects, `user:offline` once
// the last one has been gone for the grace period (1 s in this suite); a reconnect within the
// grace announces nothing.

import assert from "node:assert/strict";
import { backendSuites, connect, connectAndJoin, createConversation, emitAck, expectSilence, once, record, setupPair, sleep } from "./helpers.js";

const GRACE_MS = 1000;

backendSuites("presence", ({ test }) => {
  test("a participant connecting is announced online to the others in the conversation", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());

    const online = once(sb, "user:online", 5000, (p) => p.userId === a.id);
    const sa = await connect(server.url, a, { server });
    t.after(() => sa.close());
    assert.deepEqual(await online, { userId: a.id });
  });

  test("a participant disconnecting is announced offline after the grace period", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const online = once(sb, "user:online", 5000, (p) => p.userId === a.id);
    const sa = await connect(server.url, a, { server });
    await online;

    const offline = once(sb, "user:offline", GRACE_MS + 5000, (p) => p.userId === a.id);
    const leftAt = Date.now();
    sa.disconnect();
    assert.deepEqual(await offline, { userId: a.id });
    const elapsed = Date.now() - leftAt;
    assert.ok(elapsed >= GRACE_MS - 200, `offline after ${elapsed} ms, within the ${GRACE_MS} ms grace`);
  });

  test("a reconnect within the grace period announces neither offline nor online", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const online = once(sb, "user:online", 5000, (p) => p.userId === a.id);
    const first = await connect(server.url, a, { server });
    await online;

    const quiet = Promise.all([
      expectSilence(sb, "user:offline", GRACE_MS + 1000, (p) => p.userId === a.id),
      expectSilence(sb, "user:online", GRACE_MS + 1000, (p) => p.userId === a.id),
    ]);
    first.disconnect();
    const second = await connect(server.url, a, { server });
    t.after(() => second.close());
    await quiet;
  });

  test("a user with two sockets stays online while one of them remains", async (t, server) => {
    const { a, b, conversation } = await setupPair(server);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const online = once(sb, "user:online", 5000, (p) => p.userId === a.id);
    const one = await connect(server.url, a, { server });
    const two = await connect(server.url, a, { server });
    t.after(() => two.close());
    await online;

    const quiet = expectSilence(sb, "user:offline", GRACE_MS + 1000, (p) => p.userId === a.id);
    one.disconnect();
    await quiet;

    const offline = once(sb, "user:offline", GRACE_MS + 5000, (p) => p.userId === a.id);
    two.disconnect();
    assert.deepEqual(await offline, { userId: a.id });
  });

  test("a user sharing two conversations is announced once to a socket in both", async (t, server) => {
    const { a, b, conversation, project } = await setupPair(server);
    const second = await createConversation(server, b, project.id, [a]);
    const sb = await connectAndJoin(server, b, conversation.id);
    t.after(() => sb.close());
    const joined = await emitAck(sb, "join", { conversationId: second.id });
    assert.equal(joined.ok, true, JSON.stringify(joined));

    const seen = record(sb, "user:online");
    const online = once(sb, "user:online", 5000, (p) => p.userId === a.id);
    const sa = await connect(server.url, a, { server });
    t.after(() => sa.close());
    await online;
    await sleep(300);
    assert.deepEqual(seen.events, [{ userId: a.id }], "one user:online per socket, however many rooms are shared");
  });

  test("a socket that has not joined the conversation gets no presence events", async (t, server) => {
    const { a, b } = await setupPair(server);
    const sb = await connect(server.url, b, { server });
    t.after(() => sb.close());
    const quiet = expectSilence(sb, "user:online", 700, (p) => p.userId === a.id);
    const sa = await connect(server.url, a, { server });
    t.after(() => sa.close());
    await quiet;
  });
});
