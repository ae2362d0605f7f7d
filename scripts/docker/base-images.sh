#!/usr/bin/env bash
# Base images for the Docker tests on a machine that cannot pull them.
#
# For each base image the repo names (node:24-slim, redis:7-alpine, haproxy:2.9-alpine, nginx:alpine,
# and docker-compose.s3.yml's minio/minio):
# present locally -> kept; else `docker pull` -> used; only when the pull fails is a local stand-in
# built under that name. The stand-ins come from Debian packages: one `debootstrap --variant=minbase`
# rootfs (redis-server, haproxy, nginx, wget, curl, envsubst, this machine's Node.js and npm, and this
# machine's extra CA certificates, so `npm ci` inside an image build works behind a TLS-intercepting
# proxy), imported once as livechat-standin-rootfs:<key>, and a thin image per name on top of it
# (scripts/docker/standin/Dockerfile: the users, entrypoints and paths of the official images).
#
# THE STAND-INS ARE FOR THIS PROJECT'S OFFLINE TEST MACHINE ONLY. Production uses the official images
# (a machine that can pull never builds a stand-in). The node stand-in runs this machine's Node.js,
# whatever its version, under the name node:24-slim. The minio stand-in is s3rver (an S3 emulator from
# npm, installed with npm in its image build) behind MinIO's command line, credentials and health
# endpoints: standin/minio/minio.cjs says what it adds and what it does not emulate.
#
# The key is a hash of this script, standin/, the Debian suite, the Node.js binary and the CA
# certificates: reruns with the same inputs do nothing; a stand-in built from other inputs is rebuilt.
# Stand-ins carry the label livechat.standin=<key>; `--remove` deletes every image with that label.
#
#   bash scripts/docker/base-images.sh            # as above; prints one line per image
#   bash scripts/docker/base-images.sh --remove   # remove the stand-ins and their rootfs images
# Settings: LIVECHAT_DEBIAN_MIRROR (default: this machine's apt mirror, else deb.debian.org),
# LIVECHAT_DEBIAN_SUITE (default: this machine's codename, so its Node.js finds the same glibc),
# LIVECHAT_DEBOOTSTRAP_CACHE (.deb cache, default /var/cache/livechat-debootstrap), LIVECHAT_PULL_TIMEOUT (60 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The MinIO tag is docker-compose.s3.yml's (test/static/compose.test.ts checks that they agree).
MINIO_IMAGE=minio/minio:RELEASE.2025-09-07T16-13-09Z
IMAGES=(node:24-slim redis:7-alpine haproxy:2.9-alpine nginx:alpine "$MINIO_IMAGE")
# image -> stand-in target in standin/Dockerfile
target_of() { case "$1" in node:*) echo node ;; redis:*) echo redis ;; haproxy:*) echo haproxy ;; nginx:*) echo nginx ;; minio/minio:*) echo minio ;; esac; }
log() { echo "base-images: $*"; }
die() { echo "base-images: $*" >&2; exit 1; }

command -v docker >/dev/null || die "no docker client (bash scripts/ensure-deps.sh installs docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (bash scripts/ensure-deps.sh starts dockerd)"

if [ "${1:-}" = --remove ]; then
  ids=$(docker image ls -q --filter label=livechat.standin | sort -u)
  for tag in "${IMAGES[@]}"; do
    if [ -n "$(docker image inspect -f '{{index .Config.Labels "livechat.standin"}}' "$tag" 2>/dev/null)" ]; then docker image rm "$tag" >/dev/null; fi
  done
  for r in $(docker image ls --format '{{.Repository}}:{{.Tag}}' livechat-standin-rootfs); do docker image rm "$r" >/dev/null; done
  [ -n "$ids" ] && docker image rm $ids >/dev/null 2>&1 || true
  log "removed the stand-ins"
  exit 0
fi

# --- the key: every input of the stand-ins -----------------------------------------------------------
. /etc/os-release
suite=${LIVECHAT_DEBIAN_SUITE:-${VERSION_CODENAME:-bookworm}}
mirror=${LIVECHAT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # …/node_modules/npm
[ -x "$node_bin" ] && [ -f "$npm_dir/package.json" ] || die "needs this machine's node and npm"
# Extra CA certificates: Debian's local ones, and whatever Node.js and npm are told to trust.
ca_files=()
for f in /usr/local/share/ca-certificates/*.crt "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null || true)"; do
  # The system bundle itself is Debian's certificates plus those above: the image builds its own.
  [ -n "$f" ] && [ "$f" != null ] && [ -s "$f" ] && [ "$(readlink -f "$f")" != /etc/ssl/certs/ca-certificates.crt ] && ca_files+=("$f")
done
PACKAGES=ca-certificates,netbase,redis-server,haproxy,nginx,wget,curl,gettext-base
key=$( {
  cat "$0"; find "$here/standin" -type f | sort | xargs cat
  echo "$suite $PACKAGES"; "$node_bin" --version; sha256sum "$node_bin" | cut -d' ' -f1; cat "$npm_dir/package.json" | grep '"version"'
  [ "${#ca_files[@]}" -gt 0 ] && cat "${ca_files[@]}"
} | sha256sum | cut -c1-16)
rootfs=livechat-standin-rootfs:$key

# --- which images are missing and cannot be pulled ----------------------------------------------------
need=()
for tag in "${IMAGES[@]}"; do
  if docker image inspect "$tag" >/dev/null 2>&1; then
    label=$(docker image inspect -f '{{index .Config.Labels "livechat.standin"}}' "$tag")
    if [ -z "$label" ]; then log "$tag: present"; continue; fi
    if [ "$label" = "$key" ]; then log "$tag: stand-in $key, up to date"; continue; fi
    log "$tag: stand-in $label is stale (inputs changed): rebuilding"
    need+=("$tag"); continue
  fi
  if timeout "${LIVECHAT_PULL_TIMEOUT:-60}" docker pull -q "$tag" >/dev/null 2>&1; then
    log "$tag: pulled"
  else
    log "$tag: cannot be pulled: building a local stand-in (tests only; production uses the official image)"
    need+=("$tag")
  fi
done
[ "${#need[@]}" -gt 0 ] || exit 0

# --- the rootfs, once per key --------------------------------------------------------------------------
if ! docker image inspect "$rootfs" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "building the stand-in rootfs needs root (debootstrap)"
  command -v debootstrap >/dev/null || die "needs debootstrap: apt-get install debootstrap (bash scripts/ensure-deps.sh installs it)"
  cache=${LIVECHAT_DEBOOTSTRAP_CACHE:-/var/cache/livechat-debootstrap}
  mkdir -p "$cache"
  dir=$(mktemp -d /var/tmp/livechat-rootfs.XXXXXX)
  cleanup() {
    # debootstrap mounts proc and sys inside; never leave them behind, then remove the tree.
    for m in proc sys dev/pts; do mountpoint -q "$dir/$m" 2>/dev/null && umount -l "$dir/$m" || true; done
    rm -rf --one-file-system "$dir"
  }
  trap cleanup EXIT
  log "debootstrap --variant=minbase $suite from $mirror (log: $dir.log)"
  start=$(date +%s)
  if ! debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$cache" "$suite" "$dir" "$mirror" > "$dir.log" 2>&1; then
    tail -20 "$dir.log" >&2
    die "debootstrap failed (full log: $dir.log)"
  fi
  log "debootstrap done in $(( $(date +%s) - start )) s"
  rm -f "$dir.log"
  # This machine's Node.js and npm, where the official node image has them.
  install -D -m 0755 "$node_bin" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  # npm and Node.js trust the image's CA bundle (which gets this machine's extra certificates below).
  mkdir -p "$dir/usr/local/etc"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nfund=false\naudit=false\nupdate-notifier=false\n' > "$dir/usr/local/etc/npmrc"
  mkdir -p "$dir/usr/local/share/ca-certificates/livechat-host"
  n=0
  for f in "${ca_files[@]}"; do n=$((n + 1)); cp "$f" "$dir/usr/local/share/ca-certificates/livechat-host/$n-$(basename "$f" .crt).crt"; done
  chroot "$dir" update-ca-certificates >/dev/null 2>&1
  # The official images' users: node (1000:1000), nginx; redis and haproxy come with their packages.
  chroot "$dir" groupadd -g 1000 node
  chroot "$dir" useradd -u 1000 -g node -s /bin/bash -m -d /home/node node
  chroot "$dir" groupadd -r nginx
  chroot "$dir" useradd -r -g nginx -s /usr/sbin/nologin -d /var/cache/nginx -M nginx
  # Debian's nginx keeps its temp dirs for www-data; the official image's workers run as nginx.
  chroot "$dir" chown -R nginx:nginx /var/lib/nginx
  # The daemons the packages installed are started by Docker, not by an init system.
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"; chmod 0755 "$dir/usr/sbin/policy-rc.d"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log
  log "importing the rootfs as $rootfs"
  tar --numeric-owner -C "$dir" -c . | docker import \
    -c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    -c "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
    -c "LABEL livechat.standin=$key" \
    -c 'CMD ["/bin/bash"]' - "$rootfs" >/dev/null
  # Older rootfs images of this script are no longer used.
  for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' livechat-standin-rootfs | grep -vx "$rootfs" || true); do
    docker image rm "$old" >/dev/null 2>&1 || true
  done
fi

# --- the stand-ins -------------------------------------------------------------------------------------
for tag in "${need[@]}"; do
  t=$(target_of "$tag")
  DOCKER_BUILDKIT=1 docker build -q --target "$t" --build-arg "BASE=$rootfs" --label "livechat.standin=$key" \
    -t "$tag" "$here/standin" >/dev/null || die "building the $tag stand-in failed"
  log "$tag: stand-in built ($t, key $key)"
done
