import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { TypingThrottle } from "../../src/typing.js";
import { FakeClock } from "./fakes.js";

function setup() {
  const clock = new FakeClock();
  const emitted: string[] = [];
  const throttle = new TypingThrottle(clock, (id, on) => emitted.push(`${id} ${on ? "start" : "stop"}`), 3000);
  return { clock, emitted, throttle };
}

describe("TypingThrottle", () => {
  it("sends typing:start at most once per interval while keys keep coming", async () => {
    const { clock, emitted, throttle } = setup();
    for (let i = 0; i < 30; i++) {
      throttle.set("c-1", true);
      await clock.advance(200); // a keystroke every 200 ms for 6 s
    }
    assert.deepEqual(emitted, ["c-1 start", "c-1 start"], "at 0 s and 3 s");
  });

  it("sends typing:stop only after a start, and once", () => {
    const { emitted, throttle } = setup();
    throttle.set("c-1", false);
    throttle.set("c-1", true);
    throttle.set("c-1", false);
    throttle.set("c-1", false);
    assert.deepEqual(emitted, ["c-1 start", "c-1 stop"]);
  });

  it("starts again at once after a stop, and keeps conversations apart", () => {
    const { emitted, throttle } = setup();
    throttle.set("c-1", true);
    throttle.set("c-2", true);
    throttle.set("c-1", false);
    throttle.set("c-1", true);
    throttle.set("c-2", true);
    assert.deepEqual(emitted, ["c-1 start", "c-2 start", "c-1 stop", "c-1 start"]);
  });

  it("forgets its state on reset (the server ended typing with the connection)", () => {
    const { emitted, throttle } = setup();
    throttle.set("c-1", true);
    throttle.reset();
    throttle.set("c-1", false);
    throttle.set("c-1", true);
    assert.deepEqual(emitted, ["c-1 start", "c-1 start"]);
  });
});
