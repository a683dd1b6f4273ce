// A confab node for JavaScript test suites (tests/js, clients/js): the release binary on a
// free port with a fresh data dir (and, for `postgres`, a fresh database), HS256 tokens minted
// with its secret, and plain REST calls. Node's standard library only, so any suite can import
// it without installing anything.

import { spawn, execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Every scenario runs once per backend. */
export const BACKENDS = ["sqlite", "postgres"];

/** Where PostgreSQL is expected (the databases are created and dropped by the suite). */
const PG_HOST = process.env.CONFAB_TEST_PG_HOST ?? "127.0.0.1";
const PG_PORT = process.env.CONFAB_TEST_PG_PORT ?? "5432";
const PG_USER = process.env.CONFAB_TEST_PG_USER ?? "postgres";

/** Keep at most this much server output per server (the tail is what matters). */
const LOG_LIMIT = 512 * 1024;

/** Servers still running: killed if this process exits without stopping them. */
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

function confabBin() {
  const bin = process.env.CONFAB_BIN;
  if (!bin) {
    throw new Error(
      "CONFAB_BIN is not set: point it at a confab release binary, e.g.\n" +
        "  CARGO_TARGET_DIR=$HOME/.cache/confab-target cargo build --release --bin confab\n" +
        "  CONFAB_BIN=$HOME/.cache/confab-target/release/confab npm test",
    );
  }
  return bin;
}

/** A TCP port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function psql(sql) {
  return new Promise((resolve, reject) => {
    execFile(
      "psql",
      ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: "5" }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `PostgreSQL at ${PG_USER}@${PG_HOST}:${PG_PORT} is required for the postgres backend ` +
                `and could not run ${JSON.stringify(sql)}: ${error.message}\n${stderr}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function base64url(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** An HS256 JWT with the claims confab reads (Supabase's layout). */
export function mintToken(secret, userId, { admin = false, name, email, ttlSeconds = 3600, claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: userId, iat: now, exp: now + ttlSeconds, ...claims };
  if (name !== undefined) payload.user_metadata = { name };
  if (email !== undefined) payload.email = email;
  if (admin) payload.app_metadata = { role: "admin" };
  const unsigned = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(payload)}`;
  const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}

/**
 * Starts a confab node on a free port with a fresh data dir (and, for `postgres`, a fresh
 * database), waits for `/healthz`, and returns `{ url, backend, stop(), restart(), token(),
 * logs() }`. `env` adds to or overrides the suite defaults.
 */
export async function startServer(env = {}, { backend = "sqlite" } = {}) {
  const bin = confabBin();
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "confab-js-"));
  const secret = randomBytes(32).toString("hex");
  let database = null;
  const cleanups = [() => rm(dataDir, { recursive: true, force: true })];

  const base = {};
  for (const [key, value] of Object.entries(process.env)) {
    // The node under test gets only the configuration this suite chooses.
    if (!key.startsWith("CONFAB_") && key !== "OTEL_EXPORTER_OTLP_ENDPOINT") base[key] = value;
  }
  const childEnv = {
    ...base,
    CONFAB_DATA_DIR: dataDir,
    CONFAB_BIND: `127.0.0.1:${port}`,
    CONFAB_JWT_SECRET: secret,
    CONFAB_LIMITS__MESSAGES_PER_MINUTE: "0",
    CONFAB_REALTIME__OFFLINE_GRACE: "1s",
    CONFAB_REALTIME__TYPING_TTL: "2s",
  };

  try {
    if (backend === "postgres") {
      database = `confab_js_${randomBytes(6).toString("hex")}`;
      await psql(`CREATE DATABASE ${database}`);
      cleanups.push(() => psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      childEnv.CONFAB_DATABASE_URL = `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${database}`;
    } else if (backend !== "sqlite") {
      throw new Error(`unknown backend ${backend}`);
    }
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
  Object.assign(childEnv, env);

  let log = "";
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
  };

  /** The current process: replaced by `restart()`. */
  let proc = null;
  const launch = () => {
    const child = spawn(bin, ["serve"], { cwd: dataDir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    const current = { child, running: true, exited: null };
    live.add(child);
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    current.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", (error) => {
        append(`\n[spawn error] ${error.message}\n`);
        resolve({ code: null, signal: null, error });
      });
    });
    current.exited.then(() => {
      current.running = false;
      live.delete(child);
    });
    proc = current;
    return current;
  };

  /** SIGTERM, SIGKILL after 10 s; returns the problems seen. */
  const terminate = async (current) => {
    const problems = [];
    let killed = false;
    current.child.kill("SIGTERM");
    const killer = setTimeout(() => {
      killed = true;
      current.child.kill("SIGKILL");
    }, 10_000);
    const status = await current.exited;
    clearTimeout(killer);
    if (killed) problems.push("confab did not exit within 10 s of SIGTERM and was killed");
    else if (status.code !== 0 && status.signal !== "SIGTERM") problems.push(`confab exited with ${status.code ?? status.signal} after SIGTERM`);
    return problems;
  };

  /** SIGKILL; returns the problems seen (a node that was already gone is one). */
  const kill = async (current) => {
    if (!current.running) return [`confab had already exited (${(await current.exited).code})`];
    current.child.kill("SIGKILL");
    await current.exited;
    return [];
  };

  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set();
  let stopped = false;
  let healthy = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of sockets) s.close();
    sockets.clear();
    const problems = [];
    if (proc.running) {
      problems.push(...(await terminate(proc)));
    } else if (healthy) {
      const status = await proc.exited;
      problems.push(`confab exited on its own while the suite ran (${status.code ?? status.signal ?? status.error?.message})`);
    }
    try {
      await runCleanups(cleanups.reverse());
    } catch (error) {
      problems.push(error.message);
    }
    if (problems.length) throw new Error(`${problems.join("; ")}\n--- confab output (${backend}) ---\n${log.slice(-20_000)}`);
  };

  const started = async (current) => {
    try {
      await waitHealthy(url, () => current.running);
      healthy = true;
    } catch (error) {
      await stop().catch(() => {});
      throw new Error(`${error.message}\n--- confab output (${backend}) ---\n${log}`);
    }
  };

  await started(launch());

  return {
    url,
    port,
    backend,
    database,
    dataDir,
    secret,
    /** A token for `userId` signed with this node's secret. */
    token: (userId, opts = {}) => mintToken(secret, userId, opts),
    /** The server's captured stdout and stderr (the last 512 KiB). */
    logs: () => log,
    /** Sockets registered here are closed by `stop()`. */
    track: (socket) => {
      sockets.add(socket);
      return socket;
    },
    running: () => proc.running,
    /** The running process's id (for /proc/<pid>/status memory figures). */
    pid: () => proc.child.pid,
    /**
     * Stops the node (SIGTERM; with `{ crash: true }`, SIGKILL as a crash would) and starts it
     * again on the same port with the same data dir, database and secret; resolves once it
     * answers `/healthz` again. `whileDown` runs in between.
     */
    restart: async (whileDown = async () => {}, { crash = false } = {}) => {
      if (stopped) throw new Error("restart() after stop()");
      healthy = false;
      append(`\n[test] ${crash ? "SIGKILL" : "restarting"} confab\n`);
      const problems = crash ? await kill(proc) : await terminate(proc);
      if (problems.length) throw new Error(`${problems.join("; ")}\n--- confab output (${backend}) ---\n${log.slice(-20_000)}`);
      await whileDown();
      await started(launch());
    },
    stop,
  };
}

async function runCleanups(cleanups) {
  const errors = [];
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, `cleanup failed: ${errors.map((e) => e.message).join("; ")}`);
}

async function waitHealthy(url, alive, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("confab exited before answering /healthz");
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(50);
  }
  throw new Error(`confab did not answer ${url}/healthz within ${timeoutMs} ms (last: ${last})`);
}

/** Prints the tail of the server's output (used when a test fails). */
export function dumpLogs(server, label) {
  if (!server) return;
  const text = server.logs();
  const tail = text.length > 20_000 ? `…${text.slice(-20_000)}` : text;
  process.stderr.write(`\n----- confab output for failed test: ${label} -----\n${tail}\n----- end of confab output -----\n`);
}

// ---------------------------------------------------------------------------------------
// REST

/** Calls the REST API; returns `{ status, body, headers }` (body parsed when JSON). */
export async function api(server, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Like `api` but throws unless the status is the expected one. */
export async function apiOk(server, method, path, options = {}, expected = [200, 201]) {
  const res = await api(server, method, path, options);
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(res.status)) {
    throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}
