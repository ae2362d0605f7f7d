#!/bin/sh
# How a ws container starts (compose and Swarm: the `ws` service's command; the image keeps
# `node dist/server.js` as its own CMD):
#   - REDIS_URL from the generated secrets file ($LC_WS_ENV: /run/livechat/ws.env in compose, a Swarm
#     secret in the stack), which must exist;
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
if [ -z "${APPID:-}" ]; then
  APPID=$(node /app/docker/replica-name.mjs) || APPID=$(hostname)
fi
export APPID
echo "ws-start: APPID $APPID"
exec node dist/server.js "$@"
