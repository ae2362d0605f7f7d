#!/bin/sh
# As the official MinIO image's /usr/bin/docker-entrypoint.sh: arguments that are not `minio ...` get
# `minio` put before them (so `server /data` runs `minio server /data`).
if [ "${1}" != "minio" ]; then
  if [ -n "${1}" ]; then
    set -- minio "$@"
  fi
fi
exec "$@"
