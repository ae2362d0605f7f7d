#!/bin/sh
# livechat compose: the one-shot `secrets` service. On the first `docker compose up` it generates the
# stack's passwords into the `secrets` volume; later runs keep them (and add any file a newer version
# of this script knows and the volume lacks).
#   users.acl     Redis ACL (redis/users.acl.template; passwords only as SHA-256)     -> redis
#                 (rendered again on every run, so a newer template's rules apply at the next `up`)
#   ws.env        REDIS_URL=redis://livechat:<password>@redis:6379 (least privilege)   -> ws servers
#   redis-admin.env  REDIS_ADMIN_URL=redis://admin:<password>@redis:6379 (every right):
#                 for operators only, e.g. `docker compose exec redis sh -c '. /run/livechat/redis-admin.env
#                 && redis-cli --no-auth-warning -u "$REDIS_ADMIN_URL" -h 127.0.0.1'`          -> (nobody)
#   ha.env        REDIS_REPLICA_PASSWORD, REDIS_SENTINEL_PASSWORD (docker-compose.ha.yml only: when
#                 LC_HA_ACL_TEMPLATE names redis/users-ha.acl.template, whose users are appended
#                 to users.acl)                                                        -> redis nodes, sentinels
#   haproxy.env   LC_STATS_PASSWORD=<password> (stats page user `admin`)               -> haproxy
#   files.env     FILES_SECRET=<secret>: signs attachment URLs (servers) and checks
#                 them (nginx, the local files driver)                               -> ws, front
#   s3.env        S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY and the same pair as
#                 MINIO_ROOT_USER/MINIO_ROOT_PASSWORD (docker-compose.s3.yml's MinIO
#                 reads it as its MINIO_CONFIG_ENV_FILE)                             -> ws (FILES=s3), minio
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
admin=admin
umask 022
mkdir -p "$dir"

random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

# Writes stdin beside its final name, then renames it, so a reader never sees half a file. Each reader
# runs as its own user (redis, node, haproxy, nginx, minio): readable by all, in a volume only this
# stack mounts. (Called at the end of a pipe, so in a subshell: the callers note what they made.)
put() { cat > "$dir/$1.new"; chmod 0444 "$dir/$1.new"; mv -f "$dir/$1.new" "$dir/$1"; }
made=

# The Redis passwords: generated once each, kept in the files that carry them in clear.
if [ ! -s "$dir/ws.env" ]; then
  printf 'export REDIS_URL=redis://%s:%s@%s\n' "$user" "$(random_hex)" "$hostport" | put ws.env
  made="$made ws.env"
fi
if [ ! -s "$dir/redis-admin.env" ]; then
  printf 'export REDIS_ADMIN_URL=redis://%s:%s@%s\n' "$admin" "$(random_hex)" "$hostport" | put redis-admin.env
  made="$made redis-admin.env"
fi
# The ACL from the current template, with those passwords (read back) only as their SHA-256.
password_of() { sed -n 's|^export [A-Z_]*=redis://[^:]*:\([0-9a-f]*\)@.*$|\1|p' "$dir/$1"; }
redis_password=$(password_of ws.env)
admin_password=$(password_of redis-admin.env)
if [ -z "$redis_password" ] || [ -z "$admin_password" ]; then
  echo "secrets: cannot read the Redis passwords back from $dir/ws.env and redis-admin.env (remove them for new ones)" >&2
  exit 1
fi
sha_of() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
redis_sha=$(sha_of "$redis_password")
admin_sha=$(sha_of "$admin_password")
grep -v '^#' "$template" | sed -e "s/\${REDIS_USER}/$user/g" -e "s/\${REDIS_PASSWORD_SHA256}/$redis_sha/g" \
  -e "s/\${REDIS_ADMIN_USER}/$admin/g" -e "s/\${REDIS_ADMIN_PASSWORD_SHA256}/$admin_sha/g" > "$dir/users.acl.base"
# Replicas and Sentinels (docker-compose.ha.yml): their passwords, and their users in the same ACL.
ha_template=${LC_HA_ACL_TEMPLATE:-}
if [ -n "$ha_template" ]; then
  if [ ! -s "$dir/ha.env" ]; then
    printf 'export REDIS_REPLICA_PASSWORD=%s\nexport REDIS_SENTINEL_PASSWORD=%s\n' "$(random_hex)" "$(random_hex)" | put ha.env
    made="$made ha.env"
  fi
  replica_sha=$(sha_of "$(sed -n 's/^export REDIS_REPLICA_PASSWORD=//p' "$dir/ha.env")")
  sentinel_sha=$(sha_of "$(sed -n 's/^export REDIS_SENTINEL_PASSWORD=//p' "$dir/ha.env")")
  grep -v '^#' "$ha_template" | sed -e "s/\${REDIS_REPLICA_PASSWORD_SHA256}/$replica_sha/g" \
    -e "s/\${REDIS_SENTINEL_PASSWORD_SHA256}/$sentinel_sha/g" >> "$dir/users.acl.base"
fi
put users.acl < "$dir/users.acl.base"
rm -f "$dir/users.acl.base"
if [ ! -s "$dir/haproxy.env" ]; then
  printf 'export LC_STATS_PASSWORD=%s\n' "$(random_hex)" | put haproxy.env
  made="$made haproxy.env"
fi
if [ ! -s "$dir/files.env" ]; then
  printf 'export FILES_SECRET=%s\n' "$(random_hex)" | put files.env
  made="$made files.env"
fi
if [ ! -s "$dir/s3.env" ]; then
  s3_password=$(random_hex)
  printf 'export S3_ACCESS_KEY_ID=%s\nexport S3_SECRET_ACCESS_KEY=%s\nexport MINIO_ROOT_USER=%s\nexport MINIO_ROOT_PASSWORD=%s\n' \
    "$user" "$s3_password" "$user" "$s3_password" | put s3.env
  made="$made s3.env"
fi
if [ -n "$made" ]; then
  echo "secrets: generated$made in $dir"
else
  echo "secrets: kept the existing passwords in $dir"
fi
