// The real confab binary as a cluster node: SQLite in a temp dir, Redis at REDIS_URL, a given
// channel prefix; plus HS256 tokens and the REST calls that set up a conversation.

import { spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REDIS_URL, sleep } from "./helpers.js";

function confabBin() {
  const bin = process.env.CONFAB_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/confab-target"), "release/confab");
  if (!existsSync(bin)) throw new Error(`confab binary not found at ${bin}: build it (cargo build --release --bin confab) or set CONFAB_BIN`);
  return bin;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Starts confab joined to the cluster on `prefix` (Redis at `redisUrl`, default REDIS_URL;
 * a `redis+cluster://` URL for a Redis Cluster); resolves once /healthz answers. */
export async function startConfab(prefix, { redisUrl = REDIS_URL } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "confab-interop-"));
  const port = await freePort();
  const secret = randomBytes(24).toString("hex");
  const child = spawn(confabBin(), [], {
    env: {
      PATH: process.env.PATH,
      CONFAB_BIND: `127.0.0.1:${port}`,
      CONFAB_DATA_DIR: dir,
      CONFAB_JWT_SECRET: secret,
      CONFAB_REDIS_URL: redisUrl,
      CONFAB_REDIS__CHANNEL_PREFIX: prefix,
      CONFAB_REDIS__KEY_PREFIX: `${prefix}-state`,
      CONFAB_LIMITS__MESSAGES_PER_MINUTE: "0",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logs = [];
  child.stderr.on("data", (d) => logs.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`confab exited with ${child.exitCode}:\n${logs.join("")}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error(`confab did not answer /healthz:\n${logs.join("")}`);
    await sleep(100);
  }
  const token = (userId, { admin = false } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: userId, iat: now, exp: now + 3600, ...(admin ? { app_metadata: { role: "admin" } } : {}) };
    const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
    return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
  };
  const api = async (method, path, tok, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  /** A conversation with `owner` and `members` (all members of a new project), created
   * through the REST API. */
  const conversation = async (owner, members = []) => {
    const memberIds = [owner, ...members];
    const { project } = await api("POST", "/api/admin/projects", token(randomUUID(), { admin: true }), { name: "interop", memberIds });
    const { conversation } = await api("POST", `/api/projects/${project.id}/conversations`, token(owner), {
      title: "interop",
      participantIds: members,
    });
    return conversation.id;
  };
  return {
    url,
    token,
    conversation,
    logs,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
