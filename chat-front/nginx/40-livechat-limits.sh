#!/bin/sh
# livechat front image: writes nginx's main config before nginx starts (the nginx image runs
# /docker-entrypoint.d/*.sh first). Workers are sized for as many clients as HAProxy takes under the
# same fd limit, with the native runner's rule (scripts/lib/configs.ts nginxLimits):
#   clients = (fd hard limit - 1000) / 2, within 100..50000   (HAProxy's maxconn)
#   worker_connections = 2 * clients + 500   (a proxied WebSocket is two connections; each worker may
#                                             get them all)
#   worker_rlimit_nofile = 2 * clients + 1000, at most the hard limit
# The limit is the container's (LC_NOFILE in docker-compose.yml). Outside the image (tests):
# LC_NOFILE_HARD stands for `ulimit -Hn`, NGINX_MAIN_CONF for /etc/nginx/nginx.conf.
set -eu
hard=${LC_NOFILE_HARD:-$(ulimit -Hn)}
if [ "$hard" = unlimited ]; then
  clients=50000
else
  clients=$(( (hard - 1000) / 2 ))
  if [ "$clients" -gt 50000 ]; then clients=50000; fi
  if [ "$clients" -lt 100 ]; then clients=100; fi
fi
connections=$(( 2 * clients + 500 ))
nofile=$(( 2 * clients + 1000 ))
if [ "$hard" != unlimited ] && [ "$nofile" -gt "$hard" ]; then nofile=$hard; fi
conf=${NGINX_MAIN_CONF:-/etc/nginx/nginx.conf}
cat > "$conf" <<CONF
# Written by /docker-entrypoint.d/40-livechat-limits.sh at start (chat-front/nginx in the repo).
user nginx;
worker_processes ${NGINX_WORKER_PROCESSES:-auto};
worker_rlimit_nofile $nofile;
error_log /var/log/nginx/error.log notice;
pid /var/run/nginx.pid;

events {
    worker_connections $connections;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log combined;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
CONF
echo "$0: worker_connections $connections, worker_rlimit_nofile $nofile (fd hard limit $hard)"
