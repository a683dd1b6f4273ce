// The browser scenario (scenario.mjs) against one confab node (SQLite); saves the screenshots.
import { after, before, test } from "node:test";

import { screenshotter, startWorld, stopWorld } from "./harness.mjs";
import { scenario } from "./scenario.mjs";

let world;
before(async () => {
  world = await startWorld();
});
after(async () => {
  if (world) await stopWorld(world);
});

test("one node: two users chat, see each other, survive going offline, and an admin resolves a report", async () => {
  await scenario(world, screenshotter());
});
