#!/bin/sh
# livechat compose: the one-shot `secrets` service. On the first `docker compose up` it generates the
# Redis password and the HAProxy stats password into the `secrets` volume; later runs keep them.
#   users.acl     Redis ACL (redis/users.acl.template; the password only as its SHA-256) -> redis
#   ws.env        REDIS_URL=redis://livechat:<password>@redis:6379                    -> ws servers
#   haproxy.env   LC_STATS_PASSWORD=<password> (stats page user `admin`)               -> haproxy
# Read them with `docker compose exec haproxy cat /run/livechat/haproxy.env`. Remove the volume
# (`docker compose down -v`, which also drops Redis data) to generate new ones.
# Runs in the redis image (busybox: od, sha256sum, sed). Outside compose, tests set the paths:
#   LC_SECRETS_DIR (/run/livechat), LC_ACL_TEMPLATE (/livechat/users.acl.template),
#   REDIS_HOSTPORT (redis:6379).
set -eu
dir=${LC_SECRETS_DIR:-/run/livechat}
template=${LC_ACL_TEMPLATE:-/livechat/users.acl.template}
hostport=${REDIS_HOSTPORT:-redis:6379}
user=livechat
umask 022
mkdir -p "$dir"

random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

if [ -s "$dir/users.acl" ] && [ -s "$dir/ws.env" ] && [ -s "$dir/haproxy.env" ]; then
  echo "secrets: kept the existing passwords in $dir"
  exit 0
fi

redis_password=$(random_hex)
stats_password=$(random_hex)
sha=$(printf %s "$redis_password" | sha256sum | cut -d' ' -f1)
# Write each file beside its final name and rename it, so a reader never sees half a file.
grep -v '^#' "$template" | sed -e "s/\${REDIS_USER}/$user/g" -e "s/\${REDIS_PASSWORD_SHA256}/$sha/g" > "$dir/users.acl.new"
printf 'export REDIS_URL=redis://%s:%s@%s\n' "$user" "$redis_password" "$hostport" > "$dir/ws.env.new"
printf 'export LC_STATS_PASSWORD=%s\n' "$stats_password" > "$dir/haproxy.env.new"
# Each reader runs as its own user (redis, node, haproxy): readable by all, in a volume only this
# stack mounts.
chmod 0444 "$dir/users.acl.new" "$dir/ws.env.new" "$dir/haproxy.env.new"
for f in users.acl ws.env haproxy.env; do mv -f "$dir/$f.new" "$dir/$f"; done
echo "secrets: generated the Redis and stats passwords in $dir"
