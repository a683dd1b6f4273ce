// Artillery's telemetry client resolves its telemetry host even with
// ARTILLERY_DISABLE_TELEMETRY=true (the flag only empties the payload). Removing the
// posthog-node package makes Artillery's telemetry module fall back to a no-op, so a run never
// looks that host up. Runs after every `npm install` / `npm ci` of this package.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, 'node_modules');
let removed = 0;
function sweep(dir, depth) {
  if (depth > 6 || !fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = path.join(dir, entry.name);
    if (entry.name === 'posthog-node') {
      fs.rmSync(full, { recursive: true, force: true });
      removed += 1;
    } else if (entry.name.startsWith('@') || entry.name === 'node_modules') {
      sweep(full, depth + 1);
    } else if (fs.existsSync(path.join(full, 'node_modules'))) {
      sweep(path.join(full, 'node_modules'), depth + 1);
    }
  }
}
sweep(root, 0);
console.log(`remove-telemetry: removed ${removed} posthog-node package(s)`);
