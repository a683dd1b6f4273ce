// Abuse suite, transport half (issue 11 items 1, 7, 8, 9): what a hostile client can do to a
// node before and around login. Each test drives the release binary the way an attacker
// would: raw websockets, raw TCP, a pooled HTTP client.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import { backendSuites, connect, newUser, randomUUID } from "./helpers.js";

const MB = 1024 * 1024;

/** VmHWM and VmRSS of `pid`, in bytes. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    assert.ok(match, `${field} missing from /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux `clear_refs` 5). */
function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

const mb = (bytes) => (bytes / MB).toFixed(1);

/** Opens a raw Engine.IO websocket and resolves after the server's open packet. */
function rawSocket(server) {
  const wsUrl = `${server.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(wsUrl, { maxPayload: 4 * MB });
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
  ws.on("error", () => {});
  const opened = new Promise((resolve, reject) => {
    ws.once("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0")) resolve();
      else reject(new Error(`expected the Engine.IO open packet, got ${text.slice(0, 80)}`));
    });
    ws.once("close", () => reject(new Error("closed before the open packet")));
  });
  return { ws, opened, closed };
}

/** Resolves `true` if `promise` settles within `ms`, else `false`. */
async function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Raw TCP: resolves `{ closedAfterMs, received }` once the server closes, or after `maxMs`
 * with `closedAfterMs: null`. `script(socket)` writes. */
function rawTcp(server, script, maxMs) {
  return new Promise((resolve) => {
    const socket = tcpConnect(server.port, "127.0.0.1");
    let received = "";
    let started = 0;
    let done = false;
    const finish = (closedAfterMs) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closedAfterMs, received });
    };
    const timer = setTimeout(() => finish(null), maxMs);
    socket.on("data", (chunk) => {
      received += chunk.toString();
    });
    socket.on("close", () => finish(Date.now() - started));
    socket.on("error", () => finish(Date.now() - started));
    socket.on("connect", () => {
      started = Date.now();
      script(socket, () => done);
    });
  });
}

// Item 1: memory before login.
backendSuites("abuse: memory before login", ({ test }) => {
  test("an 8 MB websocket packet before login is refused without the node's peak memory growing 32 MB", async (t, server) => {
    const pid = server.pid();
    // Warm the websocket path once so its one-off allocations are not counted.
    const warm = rawSocket(server);
    await warm.opened;
    warm.ws.close();
    await warm.closed;

    resetPeak(pid);
    const before = memory(pid);
    const { ws, opened, closed } = rawSocket(server);
    await opened;
    const zeros = Array.from({ length: (8 * MB) / 2 }, () => "0").join(",");
    const packet = `40{"token":"x","a":[${zeros}]}`;
    assert.ok(packet.length >= 8 * MB, `packet is ${packet.length} bytes`);
    ws.send(packet);
    const refused = await within(closed, 10_000);
    await sleep(500);
    const after = memory(pid);
    const growth = after.hwm - before.rss;
    t.diagnostic(
      `RSS before ${mb(before.rss)} MB, peak during the 8 MB packet ${mb(after.hwm)} MB (+${mb(growth)} MB), RSS after ${mb(after.rss)} MB`,
    );
    if (!refused) ws.terminate();
    assert.ok(refused, "the server kept the websocket open after an 8 MB packet");
    assert.ok(growth < 32 * MB, `peak RSS grew ${mb(growth)} MB (limit 32 MB)`);

    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200, "the node is not ready after the packet");
    const settled = memory(pid);
    t.diagnostic(`RSS after /readyz ${mb(settled.rss)} MB`);
    assert.ok(settled.rss < 150 * MB, `RSS ${mb(settled.rss)} MB is over 150 MB`);
    // And it still serves sockets.
    const user = newUser(server);
    const socket = await connect(server.url, user.token, { server });
    socket.close();
  });

  test("a handshake auth object over 8 KiB is refused with payload_too_large before any token check", async (t, server) => {
    const user = newUser(server);
    const pad = "x".repeat(20 * 1024);
    await assert.rejects(connect(server.url, null, { server, auth: { token: user.token, pad } }), (error) => {
      assert.match(error.message, /^payload_too_large: /, error.message);
      return true;
    });
    // Just under the bound, with the same valid token, connects.
    const socket = await connect(server.url, null, { server, auth: { token: user.token, pad: "x".repeat(7 * 1024) } });
    assert.equal(socket.connected, true);
    socket.close();
  });
});

// Item 7: log flooding.
backendSuites("abuse: log flooding", ({ test }) => {
  test("five unknown 200 KB events add no warning lines and under 16 KB of log", async (t, server) => {
    const user = newUser(server);
    const socket = await connect(server.url, user.token, { server });
    t.after(() => socket.close());
    const before = server.logs().length;
    for (let i = 0; i < 5; i++) socket.emit(`${i}${"x".repeat(200 * 1024)}`, { note: "y".repeat(1000) });
    // A round trip after the five, so they have been handled.
    const ack = await socket.timeout(5000).emitWithAck("leave", { conversationId: randomUUID() });
    assert.ok(ack, "no ack after the unknown events");
    await sleep(200);
    const added = server.logs().slice(before);
    t.diagnostic(`log grew by ${added.length} bytes`);
    assert.ok(added.length < 16 * 1024, `the log grew by ${added.length} bytes:\n${added.slice(0, 2000)}`);
    assert.doesNotMatch(added, /WARN|ERROR/, added.slice(0, 2000));
    assert.equal(socket.connected, true);
  });

  test("handshakes with bad tokens are logged a few per second, not one line each", async (t, server) => {
    const refusals = () => server.logs().split("\n").filter((line) => line.includes("socket handshake refused")).length;
    const before = refusals();
    const attempts = 40;
    for (let i = 0; i < attempts; i++) {
      await assert.rejects(connect(server.url, `bad.token.${i}`, { server }));
    }
    const lines = refusals() - before;
    t.diagnostic(`${attempts} refused handshakes, ${lines} log lines`);
    assert.ok(lines > 0, "refusals are not logged at all");
    assert.ok(lines < attempts / 2, `${lines} log lines for ${attempts} refusals`);
  });
});

backendSuites(
  "abuse: client text in debug logs",
  { env: { RUST_LOG: "info,confab_gateway=debug,confab_http=debug", CONFAB_LOG_FILTER: "info,confab_gateway=debug,confab_http=debug" } },
  ({ test }) => {
    test("client-controlled text is clipped to 200 characters in log lines", async (t, server) => {
      const user = newUser(server);
      const socket = await connect(server.url, user.token, { server });
      t.after(() => socket.close());
      const before = server.logs().length;
      const name = `evil${"z".repeat(200 * 1024)}`;
      const ack = await socket.timeout(5000).emitWithAck(name, { a: 1 });
      assert.equal(ack?.error?.code, "validation_failed", JSON.stringify(ack).slice(0, 300));
      assert.ok(ack.error.message.length < 400, `the error message is ${ack.error.message.length} chars`);
      const badPayload = await socket.timeout(5000).emitWithAck("join", { conversationId: "q".repeat(100 * 1024) });
      assert.equal(badPayload?.error?.code, "validation_failed");
      await sleep(200);
      const added = server.logs().slice(before);
      assert.match(added, /socket event refused/, "the refusals are logged at DEBUG");
      const longest = Math.max(...added.split("\n").map((line) => line.length));
      t.diagnostic(`longest log line ${longest} chars`);
      assert.ok(longest < 1500, `a log line is ${longest} chars long`);
      assert.match(added, /more chars\)/, "clipped text says how much was cut");
    });
  },
);

// Item 8: slow clients.
backendSuites(
  "abuse: slow clients",
  { env: { CONFAB_HTTP__HEADER_READ_TIMEOUT: "2s", CONFAB_HTTP__IDLE_TIMEOUT: "4s", CONFAB_HTTP__REQUEST_TIMEOUT: "1s" } },
  ({ test }) => {
    test("a client trickling a request head one byte at a time is cut off after the header timeout", async (t, server) => {
      const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(200)}\r\n\r\n`;
      const result = await rawTcp(
        server,
        async (socket, done) => {
          for (const byte of head) {
            if (done()) return;
            socket.write(byte);
            await sleep(100);
          }
        },
        10_000,
      );
      t.diagnostic(`closed after ${result.closedAfterMs} ms`);
      assert.notEqual(result.closedAfterMs, null, "the trickling connection was never closed");
      assert.ok(result.closedAfterMs >= 1500, `closed after ${result.closedAfterMs} ms, before the 2 s timeout`);
      assert.ok(result.closedAfterMs < 5000, `closed after ${result.closedAfterMs} ms`);
      assert.equal(result.received, "", "the trickled request was answered");
    });

    test("an idle keep-alive connection outlives the header timeout and is closed after the idle timeout", async (t, server) => {
      const result = await rawTcp(
        server,
        (socket) => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        10_000,
      );
      t.diagnostic(`closed after ${result.closedAfterMs} ms`);
      assert.match(result.received, /^HTTP\/1\.1 200/);
      assert.notEqual(result.closedAfterMs, null, "the idle connection was never closed");
      assert.ok(result.closedAfterMs >= 3500, `closed after ${result.closedAfterMs} ms: the idle timeout is 4 s`);
    });

    test("a REST request whose body trickles past the request timeout is answered 408", async (t, server) => {
      const admin = newUser(server, { admin: true });
      const body = JSON.stringify({ name: `slow-${randomUUID().slice(0, 8)}` });
      const result = await rawTcp(
        server,
        async (socket, done) => {
          socket.write(
            `POST /api/admin/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin.token}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          for (const byte of body) {
            if (done()) return;
            socket.write(byte);
            await sleep(200);
          }
        },
        10_000,
      );
      t.diagnostic(`answered and closed after ${result.closedAfterMs} ms`);
      assert.match(result.received, /^HTTP\/1\.1 408/, result.received.slice(0, 300));
      assert.match(result.received, /"code":"request_timeout"/);
      assert.match(result.received, /connection: close/i);
    });
  },
);

// Item 9: early answers on pooled connections.
backendSuites("abuse: early answers on pooled connections", ({ test }) => {
  test("an answer sent before the body was read says Connection: close and the pool's next request succeeds", async (t, server) => {
    const body = new Uint8Array(256 * 1024).fill(65);
    const rounds = 20;
    let failures = 0;
    const errors = [];
    for (let i = 0; i < rounds; i++) {
      // No token: refused before a byte of the 256 KiB body is read.
      const refused = await fetch(`${server.url}/api/conversations/${randomUUID()}/files`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body,
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("connection"), "close", "an early answer without Connection: close");
      await refused.text();
      try {
        const next = await fetch(`${server.url}/healthz`);
        assert.equal(next.status, 200);
        await next.text();
      } catch (error) {
        failures += 1;
        errors.push(error.cause?.code ?? error.message);
      }
    }
    t.diagnostic(`${rounds - failures}/${rounds} follow-up requests succeeded`);
    assert.equal(failures, 0, `follow-up requests failed: ${errors.join(", ")}`);
  });
});
