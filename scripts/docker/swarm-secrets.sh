#!/bin/sh
# Generates the stack's passwords once, as compose's `secrets` service does (redis/init-secrets.sh):
# users.acl (Redis ACL, passwords as SHA-256), ws.env (REDIS_URL), redis-admin.env (the operators'
# REDIS_ADMIN_URL), haproxy.env (stats password),
# files.env (FILES_SECRET: attachment URLs), s3.env (keys for a MinIO of one's own, unused by the stack), in
# $LC_SECRETS_DIR (.run/swarm-secrets, readable by root only). docker-stack.yml turns them into Swarm
# secrets at deploy. Existing passwords are kept; remove the directory for new ones (after
# `docker stack rm`: a Swarm secret in use cannot change). users.acl is rendered again from
# redis/users.acl.template on every run: when the template changed, `docker stack rm` before deploying.
set -eu
cd "$(dirname "$0")/../.."
dir=${LC_SECRETS_DIR:-.run/swarm-secrets}
mkdir -p "$dir"
chmod 0700 "$dir"
LC_SECRETS_DIR=$dir LC_ACL_TEMPLATE=redis/users.acl.template REDIS_HOSTPORT=redis:6379 sh redis/init-secrets.sh
