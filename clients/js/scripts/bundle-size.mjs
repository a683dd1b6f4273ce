// Bundle size of the built ESM (dist/index.js), minified and gzipped, with socket.io-client
// left to the app's bundler (external) and bundled in. With --check, fails above the budget
// so a heavy dependency cannot slip in unnoticed.
//
//   npm run build && npm run size

import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** Budgets in bytes (min+gzip). */
const BUDGET = { external: 8 * 1024, bundled: 24 * 1024 };

async function measure(external) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    external: external ? ["socket.io-client"] : [],
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const rows = {
  external: await measure(true),
  bundled: await measure(false),
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log("@confab/client bundle (esbuild --minify, gzip -9):");
for (const [name, { min, gzip }] of Object.entries(rows)) {
  const label = name === "external" ? "socket.io-client external" : "socket.io-client bundled ";
  console.log(`  ${label}  min ${kb(min).padStart(9)}  min+gzip ${kb(gzip).padStart(9)} (${gzip} bytes, budget ${kb(BUDGET[name])})`);
}
if (process.argv.includes("--check")) {
  const over = Object.entries(rows).filter(([name, { gzip }]) => gzip > BUDGET[name]);
  if (over.length) {
    console.error(`over budget: ${over.map(([name]) => name).join(", ")}`);
    process.exit(1);
  }
}
