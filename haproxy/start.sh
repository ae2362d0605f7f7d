#!/bin/sh
# livechat compose: how the haproxy service starts (its entrypoint). It
#  - reads the stats password that the `secrets` service generated (LC_STATS_PASSWORD), if any;
#  - fits maxconn to the container's fd hard limit with the native runner's rule (two fds per
#    client, 1000 spare, 100..50000: scripts/lib/configs.ts haproxyMaxconn), unless LC_MAXCONN is
#    set, so HAProxy starts under any `ulimits` (LC_NOFILE in docker-compose.yml);
#  - execs haproxy in the foreground (master-worker, as the image's own entrypoint does), with any
#    arguments added (tests run it with -c).
# Paths for running it outside the image: LC_SECRETS_DIR (/run/livechat), HAPROXY_CFG.
set -eu
secrets=${LC_SECRETS_DIR:-/run/livechat}/haproxy.env
# shellcheck disable=SC1090
if [ -r "$secrets" ]; then . "$secrets"; fi
if [ -z "${LC_MAXCONN:-}" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ]; then
    LC_MAXCONN=50000
  else
    LC_MAXCONN=$(( (hard - 1000) / 2 ))
    if [ "$LC_MAXCONN" -gt 50000 ]; then LC_MAXCONN=50000; fi
    if [ "$LC_MAXCONN" -lt 100 ]; then LC_MAXCONN=100; fi
  fi
  echo "haproxy: maxconn $LC_MAXCONN (fd hard limit $hard)"
fi
export LC_MAXCONN
exec haproxy -W -db -f "${HAPROXY_CFG:-/usr/local/etc/haproxy/haproxy.cfg}" "$@"
