#!/usr/bin/env bash
# Makes sure the machine has what the native cluster and the test suite need:
#   system: redis-server, haproxy, nginx, docker-compose (static checks), chromium (browser tests);
#   node:   node_modules matching package-lock.json.
# Missing system packages are installed with apt-get when we are root on Debian/Ubuntu; otherwise it
# stops at once naming exactly what to install. Installing Debian's redis-server or nginx may start
# their system services on 6379/80: nothing here depends on those (the runner uses its own ports).
# ENSURE_DEPS_DRY_RUN=1 only reports what it would do.
set -euo pipefail
cd "$(dirname "$0")/.."

# binary:package pairs (haproxy and nginx live in /usr/sbin, often not on a user's PATH).
deps=(redis-server:redis-server haproxy:haproxy nginx:nginx docker-compose:docker-compose chromium:chromium)
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }

missing=()
for d in "${deps[@]}"; do
  have "${d%%:*}" || missing+=("${d##*:}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${ENSURE_DEPS_DRY_RUN:-}" = "1" ]; then
    echo "ensure-deps: would install: ${missing[*]}"
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
    for d in "${deps[@]}"; do
      have "${d%%:*}" || { echo "ensure-deps: ${d%%:*} still missing after installing ${d##*:}" >&2; exit 1; }
    done
  else
    echo "ensure-deps: missing system packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# node_modules: (re)install when missing or when a package in the lock file is absent or at another version.
node_ok() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages || {};
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages || {};
    for (const [k, v] of Object.entries(want)) {
      if (k === "" || v.optional || v.link) continue;           // optional = other platforms
      if (!have[k] || have[k].version !== v.version) { console.error(`ensure-deps: ${k} is not ${v.version}`); process.exit(1); }
    }'
}
if ! node_ok; then
  if [ "${ENSURE_DEPS_DRY_RUN:-}" = "1" ]; then
    echo "ensure-deps: would run npm ci"
  else
    echo "ensure-deps: node_modules missing or out of date: npm ci"
    npm ci --no-audit --no-fund
  fi
fi
echo "ensure-deps: ok"
