// The browser scenario: the Nuxt app in Debian's chromium against confab: two users in two
// browser contexts chat (history paging, typing, presence, read receipts, reactions, edits,
// deletes, an upload with its preview, search), one goes offline and back and gets the gap
// with nothing duplicated, and an admin resolves a report. Any console error fails the run.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { crc32, deflateSync } from "node:zlib";

import { apiOk, renderedMessages, signIn, sleep } from "./harness.mjs";

/** A 160x100 PNG with a colour gradient, made here (zlib), uploaded as an image. */
function gradientPng(width = 160, height = 100) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([36 + (x * 200) / width, 86 + (y * 150) / height, 200], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const PNG = gradientPng();
const HISTORY = 45;
const TIMEOUT = { timeout: 15_000 };

/** Sockets connected to a node, from its /metrics. */
async function socketsOn(node) {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("confab_sockets_connected"));
  return line ? Number(line.split(/\s+/).pop()) : 0;
}

/**
 * Two nodes behind nginx: until Alice and Bob are on different nodes, Bob drops nginx's
 * sticky cookie and reloads (a new session, balanced afresh), so the story crosses nodes.
 */
async function spreadOverNodes(world, b) {
  const nodes = [world.server, world.peer];
  for (let attempt = 0; attempt < 12; attempt++) {
    const counts = await Promise.all(nodes.map(socketsOn));
    if (counts.every((n) => n === 1)) return;
    await b.context.clearCookies();
    await b.page.reload();
    await b.page.getByRole("heading", { name: "Launch plan" }).waitFor(TIMEOUT);
    await sleep(300);
  }
  throw new Error("Alice and Bob never landed on different nodes behind nginx");
}

/** Asserts the page shows messages first..last once each, in seq order, with no gap. */
async function assertExactlyOnce(page, first, last, who) {
  const rendered = await renderedMessages(page);
  assert.equal(new Set(rendered.map((m) => m.id)).size, rendered.length, `${who}: a message is shown twice`);
  assert.deepEqual(
    rendered.map((m) => m.seq),
    Array.from({ length: last - first + 1 }, (_, i) => first + i),
    `${who}: messages ${first}..${last} once each, in order`,
  );
}

/** The whole story against `world` (see harness.mjs); `shot(page, name)` saves screenshots. */
export async function scenario(world, shot = async () => {}) {
  const { server, users, conversation } = world;
  const { alice, bob, admin } = users;
  const url = `/c/${conversation.id}`;

  // Bob wrote some history before Alice signs in, one message with markup in it.
  for (let i = 1; i <= HISTORY; i++) {
    const content = i === 3 ? `<b>bold</b> & <img src=x onerror=alert(1)> launch notes ${i}` : `history ${i}`;
    await apiOk(server, "POST", `/api/conversations/${conversation.id}/messages`, { token: bob.token, body: { content, type: "text" } });
  }

  // Alice: the conversation list shows the unread count.
  const a = await signIn(world, alice, { screenshot: shot });
  const link = a.page.getByRole("link", { name: /Launch plan/ });
  await link.waitFor(TIMEOUT);
  assert.match(await link.textContent(), new RegExp(`${HISTORY}\\b`), "the unread badge counts Bob's messages");
  await a.page.getByLabel(`${HISTORY} unread`).waitFor(TIMEOUT);
  await shot(a.page, "conversations");

  // The conversation opens at the newest page; older pages load on demand.
  await link.click();
  await a.page.getByRole("log", { name: "Messages" }).getByText(`history ${HISTORY}`, { exact: true }).waitFor(TIMEOUT);
  assert.ok((await renderedMessages(a.page)).length < HISTORY, "the first page is not the whole history");
  // Scrolling to the top loads the next older page (infinite history), until the start.
  const start = a.page.getByText("The start of the conversation.");
  for (let i = 0; i < 10 && !(await start.isVisible()); i++) {
    await a.page.getByRole("log", { name: "Messages" }).evaluate((el) => (el.scrollTop = 0));
    await sleep(400);
  }
  await start.waitFor(TIMEOUT);
  await assertExactlyOnce(a.page, 1, HISTORY, "alice after paging");
  // Markup in a message is text, not elements.
  assert.equal(await a.page.locator("article.message img:not(.preview), article.message b").count(), 0);

  // Bob comes online: Alice sees his presence dot turn green.
  const b = await signIn(world, bob, { mint: true });
  await b.page.goto(`${world.preview.url}${url}`);
  await b.page.getByRole("heading", { name: "Launch plan" }).waitFor(TIMEOUT);
  if (world.peer) await spreadOverNodes(world, b);
  await a.page.locator(`.people li[data-user-id="${bob.id}"] .dot.on`).waitFor(TIMEOUT);

  // Typing: Bob types, Alice sees the indicator; sending ends it.
  await b.page.getByLabel("Message", { exact: true }).pressSequentially("hi Ali", { delay: 20 });
  const typingLine = a.page.getByRole("status").filter({ hasText: "is typing" });
  await typingLine.waitFor(TIMEOUT);
  await b.page.getByLabel("Message", { exact: true }).pressSequentially("ce, ready?");
  await b.page.getByLabel("Message", { exact: true }).press("Enter");
  await a.page.getByText("hi Alice, ready?", { exact: true }).waitFor(TIMEOUT);
  await typingLine.waitFor({ state: "detached", ...TIMEOUT });

  // Alice answers (optimistic copy first, then the stored one, never both).
  await a.page.getByLabel("Message", { exact: true }).fill("Yes, ship it");
  await a.page.getByRole("button", { name: "Send", exact: true }).click();
  await b.page.getByText("Yes, ship it", { exact: true }).waitFor(TIMEOUT);
  await a.page.locator("article.pending").waitFor({ state: "detached", ...TIMEOUT });
  assert.equal(await a.page.getByText("Yes, ship it", { exact: true }).count(), 1);

  // Read receipts: Bob has the page open, so Alice's message shows as seen by him.
  await a.page.locator("article.message.mine .receipt", { hasText: "Seen by user" }).waitFor(TIMEOUT);

  // Reactions: Alice reacts to Bob's message, Bob sees the count.
  const bobsMessage = (page) => page.locator("article.message", { hasText: "hi Alice, ready?" });
  await bobsMessage(a.page).getByRole("button", { name: "React with 👍" }).click();
  await bobsMessage(b.page).getByRole("button", { name: "React with 👍, 1 so far" }).waitFor(TIMEOUT);

  // Edit and delete reach the other side.
  await bobsMessage(b.page).getByRole("button", { name: "Edit" }).click();
  await b.page.getByLabel("Edit message").fill("hi Alice, ready for launch?");
  await b.page.getByRole("button", { name: "Save" }).click();
  await a.page.locator("article.message", { hasText: "hi Alice, ready for launch?" }).getByText("(edited)").waitFor(TIMEOUT);
  await b.page.getByLabel("Message", { exact: true }).fill("oops, wrong room");
  await b.page.getByLabel("Message", { exact: true }).press("Enter");
  await a.page.getByText("oops, wrong room", { exact: true }).waitFor(TIMEOUT);
  await b.page.locator("article.message", { hasText: "oops, wrong room" }).getByRole("button", { name: "Delete" }).click();
  await a.page.getByText("oops, wrong room", { exact: true }).waitFor({ state: "detached", ...TIMEOUT });
  assert.ok((await a.page.getByText("This message was deleted.").count()) >= 1);

  // An upload: Bob attaches an image, Alice sees its preview (loaded with her token).
  await b.page.getByLabel("Attach a file").setInputFiles({ name: "gradient.png", mimeType: "image/png", buffer: PNG });
  const preview = a.page.getByRole("img", { name: "Preview of gradient.png" });
  await preview.waitFor(TIMEOUT);
  await a.page.waitForFunction((el) => el.complete && el.naturalWidth === 160, await preview.elementHandle(), TIMEOUT);
  const download = a.page.waitForEvent("download", TIMEOUT);
  await a.page.getByRole("button", { name: /Download gradient\.png/ }).click();
  assert.equal((await download).suggestedFilename(), "gradient.png");

  // Search: highlights are marks around text; the markup in message 3 stays text.
  await a.page.getByLabel("Search this conversation").fill("launch notes");
  await a.page.getByRole("button", { name: "Search", exact: true }).click();
  const hit = a.page.getByRole("list", { name: "Search results" }).locator("li").first();
  await hit.waitFor(TIMEOUT);
  assert.ok((await hit.locator("mark").count()) >= 1, "the match is marked");
  // (PostgreSQL's ts_headline drops the <b> tags from the excerpt; SQLite keeps them.)
  assert.match(await hit.textContent(), /& <img src=x onerror=alert\(1\)> launch notes/);
  assert.equal(await hit.locator("b, img").count(), 0, "no element from the message's content");
  await shot(a.page, "conversation");

  // Offline and back: Alice misses three messages and sends one while offline.
  let total = (await renderedMessages(a.page)).length; // history, Bob's two, Alice's, the upload
  const offlineMs = 60_000;
  world.offlineUntil = Date.now() + offlineMs;
  await a.context.setOffline(true);
  await a.page.getByText("Offline, reconnecting…").waitFor(TIMEOUT);
  await a.page.getByLabel("Message", { exact: true }).fill("sent while offline");
  await a.page.getByLabel("Message", { exact: true }).press("Enter");
  await a.page.locator("article.pending", { hasText: "sent while offline" }).waitFor(TIMEOUT);
  for (const n of [1, 2, 3]) {
    await b.page.getByLabel("Message", { exact: true }).fill(`while you were away ${n}`);
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    await b.page.getByText(`while you were away ${n}`, { exact: true }).waitFor(TIMEOUT);
  }
  await sleep(500);
  await a.context.setOffline(false);
  await a.page.getByText("Connected", { exact: true }).waitFor({ timeout: 30_000 });
  world.offlineUntil = Date.now() + 2000; // requests the browser failed just before this
  await a.page.getByText("while you were away 3", { exact: true }).waitFor(TIMEOUT);
  await b.page.getByText("sent while offline", { exact: true }).waitFor(TIMEOUT);
  await a.page.locator("article.pending").waitFor({ state: "detached", ...TIMEOUT });
  total += 4;
  await sleep(500); // late duplicates, if any, would land now
  await assertExactlyOnce(a.page, 1, total, "alice after the gap");
  // Bob opened the conversation at its newest page and has not scrolled up.
  const bobFirst = (await renderedMessages(b.page))[0].seq;
  await assertExactlyOnce(b.page, bobFirst, total, "bob");
  assert.equal(await a.page.getByText("sent while offline", { exact: true }).count(), 1);
  const stored = await apiOk(server, "GET", `/api/conversations/${conversation.id}/messages?limit=100`, { token: alice.token });
  assert.equal(stored.messages.filter((m) => m.content === "sent while offline").length, 1, "the offline send was stored once");

  // Alice reports a message; the admin resolves it.
  const away = a.page.locator("article.message", { hasText: "while you were away 1" });
  await away.getByRole("button", { name: "Report" }).click();
  await a.page.getByLabel("Reason").selectOption("abuse");
  await a.page.getByLabel("Details (optional)").fill("rude");
  await a.page.getByRole("button", { name: "Send report" }).click();
  await away.getByText("Reported. Thank you.").waitFor(TIMEOUT);

  const ad = await signIn(world, admin, { mint: true });
  await ad.page.getByRole("link", { name: "Admin" }).click();
  const row = ad.page.getByRole("row", { name: /abuse: rude/ });
  await row.waitFor(TIMEOUT);
  await shot(ad.page, "admin-reports");
  await row.getByRole("button", { name: "Resolve" }).click();
  await ad.page.getByText("Report resolved.").waitFor(TIMEOUT);
  await ad.page.getByText("No pending reports.").waitFor(TIMEOUT);
  const resolved = await apiOk(server, "GET", "/api/admin/reports?status=resolved", { token: admin.token });
  assert.equal(resolved.reports.length, 1);
  assert.equal(resolved.reports[0].reason, "abuse");

  // The other admin screens render real data.
  await ad.page.getByRole("link", { name: "Conversations", exact: true }).last().click();
  await ad.page.getByRole("cell", { name: "Launch plan" }).waitFor(TIMEOUT);
  await shot(ad.page, "admin-conversations");
  const exported = ad.page.waitForEvent("download", TIMEOUT);
  await ad.page.getByRole("button", { name: "Export CSV" }).click();
  const csv = await readFile(await (await exported).path(), "utf8");
  assert.match(csv, /while you were away 2/, "the export holds the conversation's messages");
  assert.equal(csv.split("sent while offline").length - 1, 1);
  await ad.page.getByRole("link", { name: "Analytics" }).click();
  await ad.page.locator('[data-stat="total"]').waitFor(TIMEOUT);
  const analytics = await apiOk(server, "GET", "/api/admin/conversations/analytics", { token: admin.token });
  assert.ok(analytics.totalMessages >= HISTORY);
  assert.equal(Number(await ad.page.locator('[data-stat="total"]').textContent()), analytics.totalMessages);
  await shot(ad.page, "admin-analytics");
  await ad.page.getByRole("link", { name: "Projects and members" }).click();
  await ad.page.getByRole("button", { name: "Launch" }).click();
  await ad.page.getByRole("cell", { name: alice.id, exact: true }).waitFor(TIMEOUT);
  await shot(ad.page, "admin-members");
  const carol = randomUUID();
  await ad.page.getByLabel("Add members (user ids, comma-separated)").fill(carol);
  await ad.page.getByRole("button", { name: "Add members" }).click();
  await ad.page.getByRole("cell", { name: carol, exact: true }).waitFor(TIMEOUT);
  await ad.page.getByRole("button", { name: `Remove member ${carol}` }).click();
  await ad.page.getByText("Member removed.").waitFor(TIMEOUT);
  await ad.page.getByRole("cell", { name: carol, exact: true }).waitFor({ state: "detached", ...TIMEOUT });
  const { members } = await apiOk(server, "GET", `/api/admin/projects/${world.project.id}/members`, { token: admin.token });
  assert.deepEqual(members.map((m) => m.userId).sort(), [alice.id, bob.id].sort(), "Carol came and went");

  assert.deepEqual(world.consoleErrors, [], "no console errors");
}
