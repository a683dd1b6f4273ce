// Session expiry (contract: "Sessions"): at the token's `exp` (plus 60 s leeway) the node
// emits `session:expired` and disconnects; the client reconnects at once with a fresh token
// from getToken and loses nothing.

import assert from "node:assert/strict";

import { createClient } from "../../dist/index.js";
import { assertExactlyOnceInOrder, clientFor, collect, pair, sleep, suites, until } from "./setup.js";

suites("session expiry", { backends: ["sqlite"] }, ({ test }) => {
  test(
    "an expired session reconnects with a fresh token from getToken and misses nothing",
    async (t, server) => {
      const { conversation, a, b } = await pair(server);
      const tokens = [];
      // The first token expired 57 s ago: inside the 60 s leeway now, expired in about 3 s.
      const receiver = createClient({
        url: server.url,
        getToken: () => {
          const ttlSeconds = tokens.length === 0 ? -57 : 3600;
          tokens.push(ttlSeconds);
          return server.token(b.id, { ttlSeconds });
        },
        socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 500 },
      });
      t.after(() => receiver.close());
      let expired = 0;
      receiver.socket.on("session:expired", () => (expired += 1));
      const got = collect(receiver);
      await receiver.join(conversation.id);
      const { client: sender } = clientFor(t, server, a);

      let i = 0;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && tokens.length < 2) {
        await sender.send(conversation.id, { content: `m${++i}` });
        await sleep(50);
      }
      for (let k = 0; k < 5; k++) await sender.send(conversation.id, { content: `m${++i}` });
      assert.equal(expired, 1, "the node announced the expiry");
      assert.equal(tokens.length, 2, "one fresh token for the reconnect");
      await until(() => got.length >= i, `${i} messages`);
      await sleep(300);
      assertExactlyOnceInOrder(assert, got, 1, i);
    },
  );
});
