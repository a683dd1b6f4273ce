// The REST types come from the server's OpenAPI document: this fails when
// src/generated/openapi.ts no longer matches what the binary serves.

import assert from "node:assert/strict";
import { it } from "node:test";

import { GENERATED, committed, generate } from "../../scripts/generate-openapi.mjs";

it("src/generated/openapi.ts matches the release binary's /api/openapi.json", async () => {
  const fresh = await generate();
  assert.ok(fresh.includes('"/conversations/{id}/messages"'), "the document lists the client routes");
  const current = await committed();
  assert.ok(current === fresh, `${GENERATED} is stale: run \`npm run generate:openapi\` (with CONFAB_BIN set) and commit it`);
});
