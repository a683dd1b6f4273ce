// What the browser tests stand on: the confab release binary (tests/support/confab-server.js),
// the built app served by `nuxt preview`, and Debian's chromium driven by playwright-core.
// Every page's console errors and uncaught exceptions are collected: a test fails on any.

import { spawn, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { apiOk, freePort, startServer } from "../../../tests/support/confab-server.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export { apiOk, sleep };

const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(APP_DIR, "../..");

/** Debian's chromium: CHROMIUM_BIN, or installed by scripts/browser-tools (apt) when missing. */
export function chromiumPath() {
  if (process.env.CHROMIUM_BIN) return process.env.CHROMIUM_BIN;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  return execFileSync(join(REPO, "scripts/browser-tools"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Serves the built app (`.output`, from `nuxt build`) with `nuxt preview` on a free port. */
export async function startPreview(confabUrl, { port: chosen, env = {} } = {}) {
  if (!existsSync(join(APP_DIR, ".output/server/index.mjs"))) {
    throw new Error("examples/nuxt-chat is not built: run `npm run build` there first");
  }
  const port = chosen ?? (await freePort());
  const child = spawn(join(APP_DIR, "node_modules/.bin/nuxt"), ["preview"], {
    cwd: APP_DIR,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", NUXT_PUBLIC_CONFAB_URL: confabUrl, NUXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: `nuxt preview` runs the server as a child of its own, and both
    // must go when the test stops it.
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (c) => (log += c));
  child.stderr.on("data", (c) => (log += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nuxt preview exited: ${log}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`nuxt preview did not answer ${url} within 30 s: ${log}`);
    await sleep(100);
  }
  return {
    url,
    logs: () => log,
    stop: async () => {
      const group = (signal) => {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const exited = child.exitCode === null ? new Promise((r) => child.once("exit", r)) : Promise.resolve();
      group("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      group("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
    },
  };
}

/**
 * A confab node, the app and a browser, plus a project with Alice and Bob as members and a
 * conversation between them. `env` goes to the node.
 */
export async function startWorld({ cluster = false } = {}) {
  const env = { CONFAB_LIMITS__SEARCHES_PER_MINUTE: "0" };
  const previewPort = await freePort();
  const appEnv = {};
  if (cluster) {
    const prefix = `nuxt-${randomUUID().slice(0, 8)}`;
    Object.assign(env, {
      CONFAB_REDIS_URL: REDIS_URL,
      CONFAB_REDIS__CHANNEL_PREFIX: prefix,
      CONFAB_REDIS__KEY_PREFIX: `${prefix}-state`,
      // nginx keeps a long-polling session on its node with a cookie; a browser sends it
      // cross-origin only with credentials, which the nodes must allow for the app's origin.
      CONFAB_CORS_ORIGINS: `http://127.0.0.1:${previewPort}`,
    });
    appEnv.NUXT_PUBLIC_CONFAB_WITH_CREDENTIALS = "true";
  }
  const server = await startServer(env, { backend: cluster ? "postgres" : "sqlite" });
  const world = { server, cleanups: [() => server.stop()], consoleErrors: [], offlineUntil: 0, appUrl: server.url };
  try {
    if (cluster) {
      // A second node on the same database, Redis and file store (the first node's data dir
      // stands in for compose's shared S3 bucket), with the same signing key; nginx (the
      // shipped docker/nginx.conf) in front of both, and the app talks to nginx only.
      const peer = await startServer({
        ...env,
        CONFAB_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${server.database}`,
        CONFAB_JWT_SECRET: server.secret,
        CONFAB_DATA_DIR: server.dataDir,
      });
      world.cleanups.push(() => peer.stop());
      world.peer = peer;
      const nginx = await startNginx([server.url, peer.url]);
      world.cleanups.push(() => nginx.stop());
      world.appUrl = nginx.url;
    }
    // The sign-in screen's development token minting signs with the node's secret.
    world.preview = await startPreview(world.appUrl, { port: previewPort, env: { ...appEnv, NUXT_DEV_JWT_SECRET: server.secret } });
    world.cleanups.push(() => world.preview.stop());
    world.browser = await chromium.launch({
      executablePath: chromiumPath(),
      // Root in a container: no user namespace sandbox.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    world.cleanups.push(() => world.browser.close());
    world.users = {
      alice: { id: randomUUID(), name: "Alice" },
      bob: { id: randomUUID(), name: "Bob" },
      admin: { id: randomUUID(), name: "Ada Admin", admin: true },
    };
    for (const u of Object.values(world.users)) u.token = server.token(u.id, { name: u.name, admin: !!u.admin, ttlSeconds: 3600 });
    const admin = world.users.admin.token;
    const { project } = await apiOk(server, "POST", "/api/admin/projects", {
      token: admin,
      body: { name: "Launch", memberIds: [world.users.alice.id, world.users.bob.id] },
    });
    world.project = project;
    const { conversation } = await apiOk(server, "POST", `/api/projects/${project.id}/conversations`, {
      token: world.users.alice.token,
      body: { title: "Launch plan", type: "project", participantIds: [world.users.bob.id] },
    });
    world.conversation = conversation;
  } catch (error) {
    await stopWorld(world);
    throw error;
  }
  return world;
}

export async function stopWorld(world) {
  const errors = [];
  for (const cleanup of world.cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, errors.map((e) => e.message).join("; "));
}

/** A browser context signed in as `user` (through the sign-in screen), its console watched. */
export async function signIn(world, user, { screenshot, mint = false } = {}) {
  const context = await world.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  const label = user.name;
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // While a test holds a context offline, the browser itself reports the refused requests.
    if (Date.now() < world.offlineUntil && /ERR_INTERNET_DISCONNECTED|WebSocket connection .* failed/.test(msg.text())) return;
    world.consoleErrors.push(`[${label}] console.error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => world.consoleErrors.push(`[${label}] uncaught: ${error.message}`));
  await page.goto(world.preview.url);
  await page.getByLabel("Server URL").waitFor();
  if ((await page.getByLabel("Server URL").inputValue()) !== world.appUrl) {
    throw new Error("the sign-in screen does not default to the configured server URL");
  }
  // The tests' app always has NUXT_DEV_JWT_SECRET: the minting form shows.
  await page.getByRole("button", { name: "Mint and sign in" }).waitFor();
  if (screenshot) await screenshot(page, "signin");
  if (mint) {
    // The development path: the app's server mints the token (NUXT_DEV_JWT_SECRET).
    await page.getByLabel("User id (empty: a new one)").fill(user.id);
    await page.getByLabel("Display name").fill(user.name);
    if (user.admin) await page.getByLabel("Admin", { exact: true }).check();
    await page.getByRole("button", { name: "Mint and sign in" }).click();
  } else {
    await page.getByLabel("Token", { exact: true }).fill(user.token);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  return { context, page };
}

/** Where screenshots go: CONFAB_SCREENSHOTS (docs/images for the docs), else test-results/. */
export function screenshotter() {
  const dir = process.env.CONFAB_SCREENSHOTS ? resolve(process.env.CONFAB_SCREENSHOTS) : join(APP_DIR, "test-results");
  mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    await page.screenshot({ path: join(dir, `${name}.png`) });
  };
}

/** The ids and seqs of the message articles on a page, in DOM order. */
export function renderedMessages(page) {
  return page.locator("article.message[data-message-id]").evaluateAll((els) =>
    els.map((el) => ({ id: el.dataset.messageId, seq: Number(el.dataset.seq), text: el.querySelector(".content")?.textContent ?? "" })),
  );
}

/** nginx from Debian with the shipped docker/nginx.conf, its two upstreams pointed at `nodes`. */
export async function startNginx(nodes) {
  const { mkdtemp, readFile, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const nginxBin = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  if (!existsSync("/usr/sbin/nginx")) execFileSync(join(REPO, "scripts/browser-tools"), { stdio: ["ignore", "ignore", "inherit"] });
  const dir = await mkdtemp(join(tmpdir(), "confab-nginx-"));
  const port = await freePort();
  const shipped = await readFile(join(REPO, "docker/nginx.conf"), "utf8");
  const hostPort = (u) => u.replace(/^https?:\/\//, "");
  const config = shipped
    .replace("server node1:3000", `server ${hostPort(nodes[0])}`)
    .replace("server node2:3000", `server ${hostPort(nodes[1])}`)
    .replace("listen 80;", `listen 127.0.0.1:${port};`)
    .replace("worker_processes auto;", `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`)
    .replace(
      "http {",
      `http {\n    access_log off;\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n    fastcgi_temp_path ${dir}/fastcgi;\n    uwsgi_temp_path ${dir}/uwsgi;\n    scgi_temp_path ${dir}/scgi;`,
    );
  if (!config.includes(hostPort(nodes[0])) || !config.includes(hostPort(nodes[1]))) {
    throw new Error("docker/nginx.conf no longer names node1:3000 and node2:3000");
  }
  await writeFile(join(dir, "nginx.conf"), config);
  const child = spawn(nginxBin, ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (c) => (log += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${log}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not proxy /healthz within 10 s: ${log}`);
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(5000).then(() => child.kill("SIGKILL"))]);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
