// One Socket.IO round trip against a running confab, with the official client: an admin
// creates a project and a conversation for Alice and Bob, both connect and join, Alice sends
// (acknowledged once stored), Bob receives it. Used by scripts/test-image against the
// container; any server will do.
//
//   node tests/js/roundtrip.mjs http://127.0.0.1:3000
//
// Env: ADMIN_TOKEN, ALICE_TOKEN, BOB_TOKEN (e.g. from `confab token`), ALICE_ID, BOB_ID.
// Prints one line with the timings; exits 1 with the reason on any failure.
import { io } from "socket.io-client";

const base = process.argv[2];
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function post(path, token, body) {
  const res = await fetch(new URL(path, base), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function connect(token) {
  const socket = io(base, { auth: { token }, transports: ["websocket"], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });
}

function within(ms, promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)),
  ]);
}

async function main() {
  const started = Date.now();
  const admin = env("ADMIN_TOKEN");
  const { project } = await post("/api/admin/projects", admin, { name: "image round trip" });
  const { conversation } = await post(`/api/projects/${project.id}/conversations`, admin, {
    title: "round trip",
    type: "project",
    participantIds: [env("ALICE_ID"), env("BOB_ID")],
  });
  const [alice, bob] = await within(5000, Promise.all([connect(env("ALICE_TOKEN")), connect(env("BOB_TOKEN"))]), "connect");
  try {
    for (const socket of [alice, bob]) {
      const joined = await within(5000, socket.emitWithAck("join", { conversationId: conversation.id }), "join");
      if (!joined.ok) throw new Error(`join: ${JSON.stringify(joined)}`);
    }
    const received = new Promise((resolve) => bob.on("message:new", resolve));
    const sentAt = Date.now();
    const ack = await within(
      5000,
      alice.emitWithAck("message:send", {
        conversationId: conversation.id,
        content: "hello from the image test",
        type: "text",
        clientMsgId: `image-${sentAt}`,
      }),
      "message:send ack",
    );
    const ackMs = Date.now() - sentAt;
    if (!ack.ok || ack.message.seq !== 1) throw new Error(`message:send: ${JSON.stringify(ack)}`);
    const message = await within(5000, received, "message:new at Bob");
    if (message.content !== "hello from the image test" || message.clientMsgId !== `image-${sentAt}`) {
      throw new Error(`Bob received ${JSON.stringify(message)}`);
    }
    console.log(
      `round trip ok: ack in ${ackMs} ms, delivered seq ${message.seq} in ${Date.now() - sentAt} ms, ` +
        `${Date.now() - started} ms in all`,
    );
  } finally {
    alice.close();
    bob.close();
  }
}

main().catch((e) => {
  console.error(`round trip failed: ${e.message}`);
  process.exit(1);
});
