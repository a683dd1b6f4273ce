// The browser scenario (scenario.mjs) against two confab nodes (PostgreSQL, Redis) behind nginx
// with the shipped docker/nginx.conf: the app only knows nginx's address.
import { after, before, test } from "node:test";

import { startWorld, stopWorld } from "./harness.mjs";
import { scenario } from "./scenario.mjs";

let world;
before(async () => {
  world = await startWorld({ cluster: true });
});
after(async () => {
  if (world) await stopWorld(world);
});

test("two nodes behind nginx: the same story through the load balancer", async () => {
  await scenario(world);
});
