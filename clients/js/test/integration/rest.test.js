// The REST helper against the real routes: its types come from the server's OpenAPI document.

import assert from "node:assert/strict";

import { createRestClient } from "../../dist/index.js";
import { clientFor, newUser, pair, projectWith, suites } from "./setup.js";

suites("REST helper", {}, ({ test, backend }) => {
  test("history pages newest first until the first message", async (t, server) => {
    const { conversation, a } = await pair(server);
    const { client } = clientFor(t, server, a);
    for (let i = 1; i <= 7; i++) await client.send(conversation.id, { content: `h${i}` });
    const first = await client.rest.messages(conversation.id, { limit: 3 });
    assert.deepEqual(
      first.messages.map((m) => m.content),
      ["h7", "h6", "h5"],
    );
    assert.equal(first.hasMore, true);
    const pages = [];
    for await (const page of client.rest.history(conversation.id, { limit: 3 })) pages.push(page.map((m) => m.seq));
    assert.deepEqual(pages, [
      [7, 6, 5],
      [4, 3, 2],
      [1],
    ]);
  });

  test("conversations are listed with unread counts and created for members", async (t, server) => {
    const a = newUser(server, { name: "alice" });
    const b = newUser(server, { name: "bob" });
    const { project } = await projectWith(server, [a, b]);
    const rest = createRestClient({ url: server.url, getToken: () => a.token });
    const { conversation } = await rest.createConversation(project.id, { title: "planning", type: "project", participantIds: [b.id] });
    assert.equal(conversation.title, "planning");
    const { client } = clientFor(t, server, a);
    await client.send(conversation.id, { content: "hi bob" });
    const asBob = createRestClient({ url: server.url, token: b.token });
    const { conversations } = await asBob.conversations(project.id);
    const listed = conversations.find((c) => c.id === conversation.id);
    assert.equal(listed.unreadCount, 1);
    assert.equal(listed.lastMessage.content, "hi bob");
    await asBob.markRead(conversation.id, listed.lastMessage.id);
    const after = await asBob.conversations(project.id);
    assert.equal(after.conversations.find((c) => c.id === conversation.id).unreadCount, 0);
  });

  test("a file is uploaded as multipart, sent as a file message and downloaded by the other participant", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client } = clientFor(t, server, a);
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    const uploaded = await client.rest.upload(conversation.id, new Blob([png], { type: "image/png" }), "dot.png");
    assert.ok(uploaded.fileId);
    const message = await client.send(conversation.id, { content: "a picture", fileIds: [uploaded.fileId] });
    assert.equal(message.type, "file");
    assert.equal(message.files[0].fileName, "dot.png");
    const asBob = createRestClient({ url: server.url, token: b.token });
    const blob = await asBob.download(message.files[0].fileUrl);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), png);
    const byId = await asBob.download(uploaded.fileId);
    assert.equal(byId.size, png.length);
  });

  test("search finds messages with highlights, and a report is filed", async (t, server) => {
    const { conversation, a, b } = await pair(server);
    const { client } = clientFor(t, server, a);
    await client.send(conversation.id, { content: "the <b>quarterly</b> report" });
    await client.send(conversation.id, { content: "lunch?" });
    const asBob = createRestClient({ url: server.url, token: b.token });
    const hits = await asBob.search(conversation.id, "quarterly");
    assert.equal(hits.length, 1);
    assert.equal(hits[0].content, "the <b>quarterly</b> report");
    assert.match(hits[0].highlight, /<mark>quarterly<\/mark>/);
    const report = await asBob.report(hits[0].id, { reason: "spam", description: "testing" });
    assert.equal(report.status, "pending");
    assert.equal(report.messageId, hits[0].id);
  });

  test(
    "search highlights carry no markup from the content, only <mark>",
    async (t, server) => {
      const { conversation, a } = await pair(server);
      const { client } = clientFor(t, server, a);
      await client.send(conversation.id, { content: "the <b>quarterly</b> report" });
      const [hit] = await client.rest.search(conversation.id, "quarterly");
      assert.match(hit.highlight, /<mark>quarterly<\/mark>/);
      assert.doesNotMatch(hit.highlight, /<(?!\/?mark>)/, `no tag but <mark>: ${hit.highlight}`);
    },
  );

  test("failures become ConfabErrors with the server's code and status", async (t, server) => {
    const { conversation } = await pair(server);
    const outsider = newUser(server);
    const rest = createRestClient({ url: server.url, token: outsider.token });
    await assert.rejects(rest.messages(conversation.id), { name: "ConfabError", code: "forbidden", status: 403 });
    await assert.rejects(rest.messages(conversation.id, { limit: 1000 }), { code: "validation_failed", status: 400 });
    const anonymous = createRestClient({ url: server.url, getToken: () => null });
    await assert.rejects(anonymous.messages(conversation.id), { code: "unauthorized", status: 401 });
  });

  test("request reaches any documented route with typed path parameters", async (t, server) => {
    const { conversation, a } = await pair(server);
    const rest = createRestClient({ url: server.url, token: a.token });
    const { participants } = await rest.request("get", "/conversations/{id}/participants", { params: { id: conversation.id } });
    assert.equal(participants.length, 2);
  });

  test("projects lists the caller's projects", async (t, server) => {
    const a = newUser(server);
    const { project } = await projectWith(server, [a]);
    const rest = createRestClient({ url: server.url, token: a.token });
    const { projects } = await rest.projects();
    assert.deepEqual(
      projects.map((p) => p.id),
      [project.id],
    );
  });
});
