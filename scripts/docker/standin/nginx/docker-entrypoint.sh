#!/bin/sh
# As the official nginx image's /docker-entrypoint.sh: before `nginx` starts, source every
# /docker-entrypoint.d/*.envsh and run every executable /docker-entrypoint.d/*.sh, in name order.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read -r _; then
    echo "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
    for f in $(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f | sort); do
      case "$f" in
        *.envsh)
          if [ -x "$f" ]; then echo "$0: Sourcing $f"; . "$f"; else echo "$0: Ignoring $f, not executable"; fi ;;
        *.sh)
          if [ -x "$f" ]; then echo "$0: Launching $f"; "$f"; else echo "$0: Ignoring $f, not executable"; fi ;;
        *) echo "$0: Ignoring $f" ;;
      esac
    done
    echo "$0: Configuration complete; ready for start up"
  fi
fi
exec "$@"
