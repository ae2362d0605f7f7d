#!/usr/bin/env bash
# `npm start`: the quickest way to try livechat — one embedded node, in-memory store, the page and
# /ws on one port (default 8000). Needs only Node.js >= 20; installs node_modules on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "livechat needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/build.mjs
export STORE=memory STATIC_DIR=chat-front/dist PORT="${PORT:-8000}" APPID="${APPID:-embedded}" HOST="${HOST:-0.0.0.0}"
exec node dist/server.js
