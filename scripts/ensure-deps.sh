#!/usr/bin/env bash
# Makes sure the machine has what the native cluster and the test suite need:
#   system: redis-server, haproxy, nginx, docker-compose (static checks), chromium (browser tests);
#   Docker: Debian's docker.io with dockerd running, a Compose v2 plugin (`docker compose`) and
#           debootstrap (the compose and Swarm tests: test/compose);
#   node:   node_modules matching package-lock.json.
# Missing system packages are installed with apt-get when we are root on Debian/Ubuntu; otherwise it
# stops at once naming exactly what to install. Installing Debian's redis-server or nginx may start
# their system services on 6379/80: nothing here depends on those (the runner uses its own ports).
# ENSURE_DEPS_DRY_RUN=1 only reports what it would do.
# SKIP_DOCKER_TESTS=1 leaves Docker alone (for a machine without it; the Docker tests then skip).
#
# dockerd: when `docker info` does not answer, it is started (as root): with systemd by
# `systemctl start docker`, else in the background with its log in $LIVECHAT_DOCKERD_LOG
# (/var/log/livechat-dockerd.log), and waited for (60 s at most).
# Compose v2: Debian 12 ships only docker-compose 1.29 (Python), so the plugin comes from Debian 13's
# `docker-compose` package (with `docker-buildx`, which `docker build` uses), fetched by apt in a
# private state directory ($LIVECHAT_APT_TRIXIE_DIR, /var/cache/livechat-apt-trixie: its own
# sources.list, lists and cache; the machine's apt sources are not touched), unpacked with dpkg -x,
# and installed as CLI plugins in /usr/local/lib/docker/cli-plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=${ENSURE_DEPS_DRY_RUN:-}
docker_wanted=1
[ "${SKIP_DOCKER_TESTS:-}" = "1" ] && docker_wanted=0

# binary:package pairs (haproxy, nginx, dockerd live in /usr/sbin, often not on a user's PATH).
deps=(redis-server:redis-server haproxy:haproxy nginx:nginx docker-compose:docker-compose chromium:chromium)
[ "$docker_wanted" = 1 ] && deps+=(dockerd:docker.io debootstrap:debootstrap)
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }
is_root() { [ "$(id -u)" -eq 0 ]; }

missing=()
for d in "${deps[@]}"; do
  have "${d%%:*}" || missing+=("${d##*:}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$dry" = "1" ]; then
    echo "ensure-deps: would install: ${missing[*]}"
  elif is_root && command -v apt-get >/dev/null 2>&1; then
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
    [ "$docker_wanted" = 1 ] && echo "(without Docker, SKIP_DOCKER_TESTS=1 skips the Docker tests and leaves out docker.io and debootstrap)" >&2
    exit 1
  fi
fi

# --- Docker: the engine running, and Compose v2 --------------------------------------------------------
docker_hint() {
  echo "ensure-deps: $1" >&2
  echo "  as root: bash scripts/ensure-deps.sh (installs docker.io, starts dockerd, installs the Compose v2 plugin);" >&2
  echo "  or by hand: apt-get install docker.io debootstrap, start dockerd, install a Compose v2 plugin;" >&2
  echo "  or, on a machine without Docker, SKIP_DOCKER_TESTS=1 to skip the Docker tests." >&2
  exit 1
}

start_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  if [ "$dry" = "1" ]; then echo "ensure-deps: would start dockerd"; return 0; fi
  is_root || docker_hint "the Docker engine does not answer (docker info) and only root can start it"
  local log=${LIVECHAT_DOCKERD_LOG:-/var/log/livechat-dockerd.log}
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    echo "ensure-deps: starting docker (systemctl start docker)"
    systemctl start docker || true
  else
    # The engine's containers inherit its fd limit: raise the soft limit to the hard one first.
    echo "ensure-deps: starting dockerd in the background (log: $log)"
    mkdir -p "$(dirname "$log")"
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; setsid nohup dockerd >>"$log" 2>&1 </dev/null &)
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { echo "ensure-deps: dockerd is up"; return 0; }
    sleep 1
  done
  [ -f "$log" ] && tail -n 20 "$log" >&2
  docker_hint "dockerd did not answer within 60 s (its log: $log): it needs root and a kernel with overlayfs, cgroups and iptables"
}

compose_v2() { docker compose version --short 2>/dev/null | grep -Eq '^v?[2-9]\.'; }

install_compose_plugin() {
  compose_v2 && return 0
  if [ "$dry" = "1" ]; then echo "ensure-deps: would install the Compose v2 plugin from Debian 13 (trixie)"; return 0; fi
  is_root && command -v apt-get >/dev/null 2>&1 || docker_hint "no Compose v2 plugin (docker compose version); installing one needs root and apt"
  local dir=${LIVECHAT_APT_TRIXIE_DIR:-/var/cache/livechat-apt-trixie}
  local mirror
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f /usr/share/keyrings/debian-archive-trixie-stable.gpg ] || [ -f "$keyring" ] || docker_hint "no Debian archive keyring to check trixie's packages (apt-get install debian-archive-keyring)"
  echo "ensure-deps: fetching docker-compose and docker-buildx from Debian 13 (trixie) in $dir (the machine's apt sources stay as they are)"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc" "$dir/debs"
  echo "deb [signed-by=$keyring] $mirror trixie main" > "$dir/etc/sources.list"
  local opts=(-o "Dir::State=$dir" -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$dir/cache" -o "Dir::Etc::SourceList=$dir/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -q >/dev/null
  rm -f "$dir"/debs/*.deb
  (cd "$dir/debs" && apt-get "${opts[@]}" download docker-compose docker-buildx >/dev/null)
  rm -rf "$dir/x" && mkdir -p "$dir/x"
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/x"; done
  mkdir -p /usr/local/lib/docker/cli-plugins
  install -m 0755 "$dir/x/usr/libexec/docker/cli-plugins/docker-compose" "$dir/x/usr/libexec/docker/cli-plugins/docker-buildx" \
    /usr/local/lib/docker/cli-plugins/
  rm -rf "$dir/x"
  compose_v2 || docker_hint "the plugin from trixie does not run here: $(docker compose version 2>&1 | head -1)"
  echo "ensure-deps: $(docker compose version)"
}

if [ "$docker_wanted" = 1 ]; then
  start_dockerd
  install_compose_plugin
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
  if [ "$dry" = "1" ]; then
    echo "ensure-deps: would run npm ci"
  else
    echo "ensure-deps: node_modules missing or out of date: npm ci"
    npm ci --no-audit --no-fund
  fi
fi
echo "ensure-deps: ok"
