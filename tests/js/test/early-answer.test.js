// A request refused before its body is read (no token, not a participant) still gets its
// answer: fetch (undici, like browsers) sends the headers, then the body, and a server that
// answers and closes in between makes the client fail with a broken pipe instead.

import assert from "node:assert/strict";
import { backendSuites, newUser, setupPair } from "./helpers.js";

function upload(server, conversationId, token) {
  const form = new FormData();
  form.append("file", new Blob(["a small file\n"], { type: "text/plain" }), "small.txt");
  return fetch(`${server.url}/api/conversations/${conversationId}/files`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
}

backendSuites("answers sent before the body is read", (ctx) => {
  ctx.test("refused small uploads answer 401 and 403 every time, never a broken connection", async (t, server) => {
    const { conversation } = await setupPair(server);
    const outsider = newUser(server);
    const seen = [];
    for (let i = 0; i < 20; i++) {
      for (const token of [null, outsider.token]) {
        try {
          const res = await upload(server, conversation.id, token);
          const body = await res.json();
          seen.push(`${res.status} ${body.error?.code}`);
        } catch (error) {
          seen.push(`failed: ${error.cause?.code ?? error.message}`);
        }
      }
    }
    const expected = Array.from({ length: 20 }, () => ["401 unauthorized", "403 forbidden"]).flat();
    assert.deepEqual(seen, expected);
  });
});
