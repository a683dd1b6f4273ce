// A private Redis Cluster for the sharded tests: three masters (no replicas) on free loopback
// ports in a temporary directory, joined with `redis-cli --cluster create`; `stop()` kills
// them and removes the directory. Needs redis-server 7+ and redis-cli (Debian: redis-server,
// redis-tools); without them the tests fail, they are never skipped.

import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sleep } from "./helpers.js";

const run = promisify(execFile);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

const cli = (port, ...args) => run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args]);

export async function startRedisCluster() {
  for (const tool of ["redis-server", "redis-cli"]) {
    await run(tool, ["--version"]).catch((e) => {
      throw new Error(`${tool} (Redis 7 or later) is required for the Cluster tests (apt-get install redis-server redis-tools): ${e.message}`);
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "confab-redis-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`),
        "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.on("exit", r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let i = 0; ; i++) {
        try {
          if ((await cli(port, "PING")).stdout.trim() === "PONG") break;
        } catch {}
        if (i > 100) throw new Error(`redis-server on ${port} did not start`);
        await sleep(50);
      }
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await cli(port, "CLUSTER", "INFO")).stdout.includes("cluster_state:ok")) break;
        if (i > 300) throw new Error("the Redis Cluster did not reach cluster_state:ok");
        await sleep(100);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    ports,
    /** For confab: `redis+cluster://127.0.0.1:p1,...`. */
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
    rootNodes: ports.map((p) => ({ url: `redis://127.0.0.1:${p}` })),
    stop,
  };
}
