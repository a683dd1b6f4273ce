// Private PostgreSQL and Redis servers for fault tests: each on a free loopback port with its
// own data in a temp dir, so a test can crash and restart them without touching the shared
// services on 5432/6379 that other suites use. Node's standard library only.
//
// PostgreSQL refuses to run as root: when this process is root, the cluster's directory is
// given to the `postgres` user and its tools run through `runuser -u postgres`.

import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./confab-server.js";

function run(cmd, args, { timeout = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The newest installed PostgreSQL's bin dir (Debian layout), or a loud error. */
function postgresBin() {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const bin = versions.length ? join(root, versions.at(-1), "bin") : null;
  if (!bin || !existsSync(join(bin, "initdb"))) {
    throw new Error(`PostgreSQL server binaries are required under ${root}/*/bin (apt-get install postgresql)`);
  }
  return bin;
}

/**
 * Starts a PostgreSQL cluster in a temp dir on a free port (trust auth, user postgres, no
 * fsync: the test crashes the server, not the machine). Returns `{ port, url(db), psql(sql,
 * db), createDatabase(), crashRestart(downMs), stop() }`.
 */
export async function privatePostgres() {
  const bin = postgresBin();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "confab-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chmod(dir, 0o755);
    await run("chown", ["postgres:postgres", dir]);
  }
  const pgTool = (tool, args, opts) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args], opts) : run(join(bin, tool), args, opts);
  await pgTool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => pgTool("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "30", "start"]);
  await start();

  const psql = (sql, db = "postgres") =>
    run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]);
  let databases = 0;
  return {
    port,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    psql,
    /** A fresh database; returns its name. */
    createDatabase: async () => {
      databases += 1;
      const name = `confab_faults_${databases}`;
      await psql(`CREATE DATABASE ${name}`);
      return name;
    },
    /**
     * Crashes the server (`pg_ctl stop -m immediate`: no checkpoint, recovery from WAL on the
     * next start), keeps it down for `downMs`, and starts it again.
     */
    crashRestart: async (downMs) => {
      await pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      await sleep(downMs);
      await start();
    },
    stop: async () => {
      await pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `redis-server` on a free port with no persistence. Returns `{ port, url, crashRestart(downMs),
 * stop() }`; a crash loses every key, as a real restart without persistence does.
 */
export async function privateRedis() {
  const port = await freePort();
  let child = null;
  const launch = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const failed = new Promise((_, reject) =>
      child.once("error", (e) => reject(new Error(`redis-server is required (apt-get install redis-server): ${e.message}`))),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pong = await Promise.race([run("redis-cli", ["-p", String(port), "ping"]).catch(() => ""), failed]);
      if (pong.trim() === "PONG") return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await sleep(50);
    }
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** SIGKILL, down for `downMs`, then a fresh (empty) server on the same port. */
    crashRestart: async (downMs) => {
      await kill();
      await sleep(downMs);
      await launch();
    },
    stop: kill,
  };
}
