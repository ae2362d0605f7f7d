#!/bin/sh
# How a ws container starts (compose and Swarm: the `ws` service's command; the image keeps
# `node dist/server.js` as its own CMD):
#   - REDIS_URL from the generated secrets file ($LC_WS_ENV: /run/livechat/ws.env in compose, a Swarm
#     secret in the stack), which must exist;
#   - FILES_SECRET (attachment URLs' signing secret, shared with nginx) from $LC_FILES_ENV
#     (/run/livechat/files.env; a Swarm secret), unless set; required with FILES=local (the default);
#   - with FILES=s3 and no S3_ACCESS_KEY_ID set: the generated MinIO keys from $LC_S3_ENV
#     (/run/livechat/s3.env, docker-compose.s3.yml), when that file exists;
#   - APPID, unless set: the replica's name from Docker's DNS (scripts/docker/replica-name.mjs), e.g.
#     ws-3 for the container `docker compose ps` lists as <project>-ws-3, else the hostname;
#   - exec node, so the server is PID 1 and gets SIGTERM itself (graceful drain).
set -eu
env_file=${LC_WS_ENV:-/run/livechat/ws.env}
if [ ! -r "$env_file" ]; then
  echo "ws-start: $env_file is missing: it holds REDIS_URL (compose: the secrets service writes it)" >&2
  exit 1
fi
# shellcheck disable=SC1090
. "$env_file"
files_env=${LC_FILES_ENV:-/run/livechat/files.env}
if [ -z "${FILES_SECRET:-}" ] && [ -r "$files_env" ]; then
  # shellcheck disable=SC1090
  . "$files_env"
fi
if [ "${FILES:-local}" = local ] && [ -z "${FILES_SECRET:-}" ]; then
  echo "ws-start: FILES=local needs FILES_SECRET, from $files_env (compose: the secrets service writes it)" >&2
  exit 1
fi
s3_env=${LC_S3_ENV:-/run/livechat/s3.env}
if [ "${FILES:-local}" = s3 ] && [ -z "${S3_ACCESS_KEY_ID:-}" ] && [ -r "$s3_env" ]; then
  # shellcheck disable=SC1090
  . "$s3_env"
fi
# The servers need no MinIO admin names (s3.env also carries them for MinIO itself).
unset MINIO_ROOT_USER MINIO_ROOT_PASSWORD 2>/dev/null || true
if [ -z "${APPID:-}" ]; then
  APPID=$(node /app/docker/replica-name.mjs) || APPID=$(hostname)
fi
export APPID
echo "ws-start: APPID $APPID, FILES ${FILES:-local}"
exec node dist/server.js "$@"
