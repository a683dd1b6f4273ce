#!/usr/bin/env bash
# Installs uWebSockets.js the way its authors document it: from its GitHub release tag with the
# npm client (it is not published on the npm registry). Not saved into package.json or the
# lockfile, so `npm ci` works where GitHub is out of reach; server.js says so when it is missing.
# Pick a tag whose binaries cover this Node version (recent v20.6x tags need Node >= 22).
set -euo pipefail
cd "$(dirname "$0")"
tag=${UWS_TAG:-v20.51.0}
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm install --no-save --no-audit --no-fund "uNetworking/uWebSockets.js#$tag"
node -e 'require("uWebSockets.js"); console.log("uWebSockets.js loaded")'
