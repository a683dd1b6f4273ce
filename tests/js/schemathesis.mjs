// Schemathesis against the release binary's own /api/openapi.json, on SQLite and PostgreSQL:
// generated requests (valid and invalid) for every operation, checked for server errors, for
// responses that break the documented schema and for undocumented status codes.
//
// Usage: CONFAB_BIN=… SCHEMATHESIS=…/bin/schemathesis node schemathesis.mjs [sqlite|postgres…]
// (scripts/test-schemathesis installs the tool and builds nothing). Bounds:
// CONFAB_SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 50) and
// CONFAB_SCHEMATHESIS_MAX_TIME (seconds per backend, default 90).
//
// Path parameters are pinned to real fixtures (a project, a conversation, a message, a file, a
// report), so the generated queries and bodies reach the handlers instead of stopping at 404.
// Client routes run as a participant of the fixture conversation, admin routes as an admin.
// One worker: with two, Hypothesis parses lambda sources from two threads and CPython 3.11
// fails with "AST constructor recursion depth mismatch" (a tool error, not a finding).

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKENDS, apiOk, dumpLogs, startServer } from "../support/confab-server.js";

const tool = process.env.SCHEMATHESIS;
if (!tool) throw new Error("SCHEMATHESIS is not set: point it at the schemathesis CLI (scripts/python-tools installs it)");
const maxExamples = process.env.CONFAB_SCHEMATHESIS_MAX_EXAMPLES ?? "50";
const maxTime = process.env.CONFAB_SCHEMATHESIS_MAX_TIME ?? "90";
const CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance";

// Every per-user limit off (0): the run is about shapes and status codes, not quotas.
const UNLIMITED = Object.fromEntries(
  ["MESSAGES_PER_MINUTE", "UPLOADS_PER_HOUR", "SEARCHES_PER_MINUTE", "EDITS_PER_MINUTE", "REACTIONS_PER_MINUTE",
    "REPORTS_PER_HOUR", "CONVERSATIONS_PER_HOUR", "READS_PER_MINUTE"].map((k) => [`CONFAB_LIMITS__${k}`, "0"]),
);

async function fixtures(server) {
  const admin = server.token(randomUUID(), { admin: true, name: "admin" });
  const userId = randomUUID();
  const user = server.token(userId, { name: "fuzzer" });
  const peerId = randomUUID();
  const { project } = await apiOk(server, "POST", "/api/admin/projects", {
    token: admin,
    body: { name: "schemathesis", memberIds: [userId, peerId] },
  });
  const { conversation } = await apiOk(server, "POST", `/api/projects/${project.id}/conversations`, {
    token: user,
    body: { title: "fuzz", type: "project", participantIds: [peerId] },
  });
  const form = new FormData();
  form.append("file", new Blob(["fuzz file\n"], { type: "text/plain" }), "fuzz.txt");
  const upload = await fetch(`${server.url}/api/conversations/${conversation.id}/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${user}` },
    body: form,
  });
  if (upload.status !== 201) throw new Error(`fixture upload answered ${upload.status}: ${await upload.text()}`);
  const file = await upload.json();
  const messages = [];
  for (let i = 0; i < 3; i++) {
    const { message } = await apiOk(server, "POST", `/api/conversations/${conversation.id}/messages`, {
      token: user,
      body: { content: `fuzz message ${i} zebrafish <b>bold</b>`, type: "text" },
    });
    messages.push(message);
  }
  const { report } = await apiOk(server, "POST", `/api/messages/${messages[0].id}/report`, {
    token: user,
    body: { reason: "spam" },
  });
  return { admin, user, userId, peerId, project, conversation, file, messages, report };
}

/** The schemathesis.toml for one run: tokens and pinned path parameters per operation group. */
function config(server, f) {
  const q = JSON.stringify;
  const block = (regex, token, parameters) =>
    [
      "[[operations]]",
      `include-path-regex = ${q(regex)}`,
      `headers = { Authorization = ${q(`Bearer ${token}`)} }`,
      ...(parameters ? [`parameters = { ${Object.entries(parameters).map(([k, v]) => `${q(k)} = ${q(v)}`).join(", ")} }`] : []),
      "",
    ].join("\n");
  return [
    `headers = { Authorization = ${q(`Bearer ${f.user}`)} }`,
    "",
    block("^/admin/projects/\\{id\\}", f.admin, { "path.id": f.project.id, "path.userId": f.peerId }),
    block("^/admin/projects$", f.admin),
    block("^/admin/conversations/\\{id\\}", f.admin, { "path.id": f.conversation.id, "path.userId": f.peerId }),
    block("^/admin/conversations(/analytics)?$", f.admin),
    block("^/admin/messages/", f.admin, { "path.id": f.messages[2].id }),
    block("^/admin/reports/", f.admin, { "path.id": f.report.id }),
    block("^/admin/(reports|audit)$", f.admin),
    block("^/projects/", f.user, { "path.projectId": f.project.id }),
    block("^/conversations/", f.user, { "path.id": f.conversation.id }),
    block("^/messages/", f.user, { "path.id": f.messages[1].id }),
    block("^/files/", f.user, { "path.id": f.file.fileId }),
  ].join("\n");
}

function run(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      process.stdout.write(c);
    });
    child.stderr.on("data", (c) => {
      out += c;
      process.stderr.write(c);
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

async function runBackend(backend) {
  const server = await startServer(UNLIMITED, { backend });
  const dir = await mkdtemp(join(tmpdir(), "confab-schemathesis-"));
  try {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    const f = await fixtures(server);
    await writeFile(join(dir, "schemathesis.toml"), config(server, f));
    const started = Date.now();
    const { code, out } = await run(
      [
        "--no-color",
        "run",
        `${server.url}/api/openapi.json`,
        "--checks", CHECKS,
        "--max-examples", maxExamples,
        "--max-time", maxTime,
        "--phases", "examples,coverage,fuzzing",
        "--workers", "1",
        "--seed", process.env.CONFAB_SCHEMATHESIS_SEED ?? "20261204",
        "--request-timeout", "20",
      ],
      dir,
    );
    const seconds = Math.round((Date.now() - started) / 1000);
    // A run that tested nothing proves nothing: every operation of the document must have
    // been tested, with cases generated.
    const documented = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const tested = Number(out.match(/Tested: (\d+)/)?.[1] ?? 0);
    const generated = Number(out.match(/(\d+) generated/)?.[1] ?? 0);
    process.stdout.write(
      `\nschemathesis (${backend}): exit ${code} after ${seconds}s; ${tested} of ${documented} operations tested, ${generated} test cases\n`,
    );
    const problems = [];
    if (code !== 0) problems.push(`schemathesis exited with ${code}`);
    if (tested !== documented) problems.push(`${tested} of ${documented} operations tested`);
    if (generated < documented) problems.push(`only ${generated} test cases generated`);
    if (problems.length) {
      dumpLogs(server, `schemathesis (${backend})`);
      process.stderr.write(`schemathesis (${backend}): ${problems.join("; ")}\n`);
      return { backend, ok: false };
    }
    return { backend, ok: true, tested, generated, seconds };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const backends = process.argv.slice(2).length ? process.argv.slice(2) : BACKENDS;
const results = [];
for (const backend of backends) results.push(await runBackend(backend));
const failed = results.filter((r) => !r.ok).map((r) => r.backend);
if (failed.length) {
  process.stderr.write(`schemathesis found failures on: ${failed.join(", ")}\n`);
  process.exit(1);
}
