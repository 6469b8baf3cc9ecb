#!/bin/sh
# Entrypoint of provision-test/redis, modelled on the official redis image's docker-entrypoint.sh.
# The official image compiles redis with protected-mode defaulting to "no"; Debian's binary
# defaults to "yes", which refuses clients from other containers. So when redis-server is started
# and no protected-mode is given (on the command line or in a config file), add
# `--protected-mode no` right after the optional config file, so later arguments still win.
set -e

# `docker run redis --appendonly yes` and `docker run redis /path/redis.conf` mean redis-server.
case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = redis-server ] || [ "$1" = /usr/bin/redis-server ]; then
  shift
  conf=
  case "$1" in
    ''|-*) ;;
    *) conf=$1; shift ;;
  esac
  given=no
  for a in "$@"; do
    [ "$a" = --protected-mode ] && given=yes
  done
  if [ -n "$conf" ] && [ -r "$conf" ] && grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$conf"; then
    given=yes
  fi
  if [ "$given" = no ]; then
    set -- --protected-mode no "$@"
  fi
  [ -n "$conf" ] && set -- "$conf" "$@"
  set -- redis-server "$@"

  # Set an appropriate umask (if one isn't set already), as the official image does.
  [ "$(umask)" = 0022 ] && umask 0077
  # Started as root (the default): make /data ours, then drop to the redis user (uid 999).
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi

exec "$@"
