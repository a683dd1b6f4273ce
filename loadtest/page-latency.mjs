// First-page latency probe: is a recent-messages cache worth having? (docs/performance.md)
//
//   node loadtest/page-latency.mjs --url http://127.0.0.1:3000 --secret <CONFAB_JWT_SECRET>
//       [--messages 200] [--requests 3000] [--concurrency 1,8] [--server-pid PID]
//
// Creates a project and a two-person conversation through the REST API with minted HS256
// tokens, posts --messages messages of ~200 characters, then times
// `GET /api/conversations/:id/messages?limit=50` (the page a client loads after `join`) over
// keep-alive connections, sequentially and with N requests in flight. Prints one line per
// concurrency with pages/s, latency percentiles, the body size and, with --server-pid, the
// server's CPU per page.
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { claims, signHs256 } from "./k6/framing.js";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = new URL(args.url ?? "http://127.0.0.1:3000");
if (!args.secret) {
  console.error("page-latency: --secret is required (the server's CONFAB_JWT_SECRET)");
  process.exit(2);
}
const messages = Number(args.messages ?? 200);
const requests = Number(args.requests ?? 3000);
const concurrency = String(args.concurrency ?? "1,8").split(",").map(Number);
const serverPid = args["server-pid"];

const runtime = {
  base64url: (text) => Buffer.from(text, "utf8").toString("base64url"),
  hmacSha256: (secret, data) => createHmac("sha256", secret).update(data).digest("base64url"),
};
const token = (sub, admin) =>
  signHs256(claims(sub, { admin, name: `probe ${sub.slice(0, 8)}` }), args.secret, runtime);
async function call(method, path, tok, body) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${tok}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text;
}

const [admin, alice, bob] = [randomUUID(), randomUUID(), randomUUID()];
const adminTok = token(admin, true);
const aliceTok = token(alice, false);
const project = JSON.parse(await call("POST", "/api/admin/projects", adminTok, { name: "page probe" })).project.id;
const conv = JSON.parse(
  await call("POST", `/api/projects/${project}/conversations`, adminTok, {
    title: "page probe",
    type: "project",
    participantIds: [alice, bob],
  }),
).conversation.id;
const words = "the quick brown fox jumps over the lazy dog while confab keeps every message in order".split(" ");
for (let i = 0; i < messages; i++) {
  let content = `message ${i}:`;
  while (content.length < 200) content += ` ${words[(i + content.length) % words.length]}`;
  await call("POST", `/api/conversations/${conv}/messages`, i % 2 ? token(bob, false) : aliceTok, {
    content,
    type: "text",
  });
}
const page = `/api/conversations/${conv}/messages?limit=50`;
const bodyBytes = Buffer.byteLength(await call("GET", page, aliceTok));

const cpuTicks = () => {
  if (!serverPid) return 0;
  const f = readFileSync(`/proc/${serverPid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

for (let i = 0; i < 200; i++) await call("GET", page, aliceTok); // warm-up
for (const c of concurrency) {
  const lat = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = cpuTicks();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next++ < requests) {
        const s = process.hrtime.bigint();
        await call("GET", page, aliceTok);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuMsPerPage = serverPid ? ((cpuTicks() - cpu0) * 10) / lat.length : NaN;
  lat.sort((a, b) => a - b);
  console.log(
    `page-latency concurrency=${c} pages=${lat.length} pages/s=${(lat.length / secs).toFixed(0)} ` +
      `p50=${pct(lat, 50).toFixed(2)}ms p90=${pct(lat, 90).toFixed(2)}ms p99=${pct(lat, 99).toFixed(2)}ms ` +
      `body=${bodyBytes}B server_cpu_per_page=${serverPid ? cpuMsPerPage.toFixed(3) + "ms" : "n/a"}`,
  );
}
