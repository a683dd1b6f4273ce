// Regenerates src/generated/openapi.ts from the OpenAPI document of the confab binary at
// $CONFAB_BIN (a release build, as scripts/test makes): starts it, fetches /api/openapi.json,
// runs openapi-typescript. The integration suite's openapi test fails when the committed file
// differs from what this produces. Two defects of the server's document are mended first (see
// below); once the server fixes them the output stays the same.
//
//   CONFAB_BIN=$HOME/.cache/confab-target/release/confab npm run generate:openapi

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

import { startServer } from "../../../tests/support/confab-server.js";

export const GENERATED = fileURLToPath(new URL("../src/generated/openapi.ts", import.meta.url));

const HEADER = `// Generated from confab's /api/openapi.json by scripts/generate-openapi.mjs
// (\`npm run generate:openapi\`). Do not edit: regenerate after changing a route.

`;

/** The file's contents for the server's current document. */
export async function generate() {
  const server = await startServer();
  try {
    const res = await fetch(`${server.url}/api/openapi.json`, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
    const doc = queryParametersInQuery(uniqueOperationIds(await res.json()));
    const ast = await openapiTS(doc, { alphabetize: true });
    return HEADER + astToString(ast);
  } finally {
    await server.stop();
  }
}

/**
 * utoipa names operations after their handler functions, and two modules have handlers of the
 * same name (`delete_message`, `list_conversations`: the client's and the admin's). OpenAPI
 * wants operationIds unique and openapi-typescript refuses the document otherwise, so a
 * repeated id gets its first tag in front (`admin_delete_message`); unique ids stay as they are.
 */
function uniqueOperationIds(doc) {
  const seen = new Map();
  const operations = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== "object" || !op.operationId) continue;
      operations.push({ path, method, op });
      seen.set(op.operationId, (seen.get(op.operationId) ?? 0) + 1);
    }
  }
  for (const { op } of operations) {
    if (seen.get(op.operationId) > 1) op.operationId = `${op.tags?.[0] ?? "op"}_${op.operationId}`;
  }
  return doc;
}

/**
 * utoipa documents `IntoParams` structs as path parameters unless told otherwise, so the
 * server's query strings (`limit`, `before`, `q`, ...) appear as `in: path` parameters that
 * are not in the path. A path parameter missing from the path template is a query parameter;
 * say so (and drop `required`, as a query string's fields are optional).
 */
function queryParametersInQuery(doc) {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const param of (op && typeof op === "object" && op.parameters) || []) {
        if (param.in === "path" && !path.includes(`{${param.name}}`)) {
          param.in = "query";
          param.required = false;
        }
      }
    }
  }
  return doc;
}

export async function committed() {
  return readFile(GENERATED, "utf8");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  const before = await committed().catch(() => "");
  await writeFile(GENERATED, text);
  console.log(before === text ? `${GENERATED}: unchanged` : `${GENERATED}: regenerated`);
}
