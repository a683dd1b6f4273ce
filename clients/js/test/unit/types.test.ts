// Compile-time checks: the unit build (tsc) fails if the public types stop catching these
// mistakes. The function below is type-checked, never run.

import { it } from "node:test";

import { type ConfabClient, createClient, createRestClient } from "../../src/index.js";

export function typeChecks(client: ConfabClient): void {
  const rest = createRestClient({ url: "http://x", token: "t" });
  void rest.request("get", "/conversations/{id}/messages", { params: { id: "c" }, query: { limit: 5, before: "m" } });
  void rest.request("patch", "/messages/{id}", { params: { id: "m" }, body: { content: "edited" } });
  // @ts-expect-error the path parameter is required
  void rest.request("get", "/conversations/{id}/messages", { params: {} });
  // @ts-expect-error not a documented route
  void rest.request("get", "/conversations", {});
  // @ts-expect-error the body is checked
  void rest.request("patch", "/messages/{id}", { params: { id: "m" }, body: { contents: "edited" } });
  // @ts-expect-error the query is checked
  void rest.request("get", "/conversations/{id}/messages", { params: { id: "c" }, query: { limit: "5" } });

  client.on("message", (m) => m.seq.toFixed());
  client.on("presence", (p) => (p.online ? p.userId : null));
  client.on("error", (e) => e.code);
  // @ts-expect-error unknown event
  client.on("message:new", () => {});
  // @ts-expect-error a message listener gets a Message
  client.on("message", (m: { seq: string }) => m);
  // @ts-expect-error content is required
  void client.send("c", { type: "text" });
  // @ts-expect-error url is required
  createClient({ token: "t" });
}

it("the public types catch misuse (checked by tsc when the unit tests build)", () => {});
