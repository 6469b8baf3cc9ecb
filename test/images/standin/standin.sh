#!/bin/sh
# Stand-in for a third-party service in the e2e tests: NOT the real program. It ignores its
# arguments and most of its environment and answers HTTP with busybox httpd on every port in
# $STANDIN_PORTS (space or comma separated) and on $PORT when that is set (the trading apps'
# compose services pass PORT): / (an HTML page saying what it stands in for), /metrics
# (Prometheus text format, served without a Content-Type) and the usual health/readiness paths,
# all with status 200.
#   standin --generate DIR   writes the site into DIR (done at image build time into /www)
#   standin [ANY ARGS]       serves /www, or a fresh copy in $TMPDIR if STANDIN_NAME or the
#                            ports differ from the build-time values
#   <program> healthcheck    when installed under the real program's name (e.g. `traefik
#                            healthcheck --ping` in a compose healthcheck): probes the first port
set -eu
name=${STANDIN_NAME:-app}
ports=$(echo "${STANDIN_PORTS:-8000}" | tr ',' ' ')
if [ -n "${PORT:-}" ]; then
  case " $ports " in *" $PORT "*) ;; *) ports="$ports $PORT" ;; esac
fi

# Called under the real program's name (a symlink), not as the container's entrypoint.
prog=$(basename "$0")
if [ "$prog" != standin ] && [ "$prog" != standin.sh ]; then
  if [ "${1:-}" = healthcheck ]; then
    # shellcheck disable=SC2086 # split the port list
    set -- $ports
    exec busybox wget -q -T 5 -O /dev/null "http://127.0.0.1:$1/ping"
  fi
  echo "stand-in for $name: '$prog $*' is not implemented (this is not the real $prog)" >&2
  exit 0
fi

generate() {
  d=$1
  mkdir -p "$d/-" "$d/api/system" "$d/cgi-bin"
  cat >"$d/index.html" <<HTML
<!doctype html>
<html><head><title>stand-in for $name</title></head>
<body><h1>stand-in for $name</h1>
<p>This is provision-test's stand-in for <b>$name</b>, not the real program: a busybox httpd
that answers on ports $ports so the e2e tests can check wiring, ports, proxies and scraping.</p>
</body></html>
HTML
  cat >"$d/metrics" <<PROM
# HELP standin_up Always 1. This target is a stand-in for $name, not the real program.
# TYPE standin_up gauge
standin_up{name="$name"} 1
# HELP standin_info Which program this stand-in replaces.
# TYPE standin_info gauge
standin_info{name="$name",ports="$ports"} 1
PROM
  # Readiness/health paths of the programs the stand-ins replace (a superset, on every port):
  # loki/tempo/promtail /ready, prometheus-style /-/ready and /-/healthy (alloy), traefik /ping,
  # cadvisor /healthz, grafana /api/health, homepage /api/healthcheck, portainer /api/status and
  # /api/system/status, apps /health.
  for p in ready health healthz ping livez readyz -/ready -/healthy api/healthcheck; do
    echo "OK (stand-in for $name)" >"$d/$p"
  done
  printf '{"database":"ok","version":"standin","commit":"stand-in for %s"}\n' "$name" >"$d/api/health"
  printf '{"Version":"standin","Note":"stand-in for %s"}\n' "$name" >"$d/api/status"
  cp "$d/api/status" "$d/api/system/status"
  rmdir "$d/cgi-bin"
  echo "$name $ports" >"$d/.standin"
}

if [ "${1:-}" = --generate ]; then
  generate "$2"
  exit 0
fi

www=/www
if [ "$(cat /www/.standin 2>/dev/null)" != "$name $ports" ]; then
  www=$(mktemp -d "${TMPDIR:-/tmp}/standin-www.XXXXXX")
  generate "$www"
fi

[ $# -eq 0 ] || echo "stand-in for $name: ignoring arguments: $*"

# Grafana's admin login, as far as the e2e tests need it: GET /api/user with HTTP Basic auth of
# GF_SECURITY_ADMIN_USER and the password from GF_SECURITY_ADMIN_PASSWORD__FILE (or
# GF_SECURITY_ADMIN_PASSWORD) answers 200, anything else 401. (busybox httpd checks an MD5-crypt
# of the password, so any character works.)
conf=
if [ "$name" = grafana ]; then
  pw=
  if [ -n "${GF_SECURITY_ADMIN_PASSWORD__FILE:-}" ]; then pw=$(cat "$GF_SECURITY_ADMIN_PASSWORD__FILE")
  elif [ -n "${GF_SECURITY_ADMIN_PASSWORD:-}" ]; then pw=$GF_SECURITY_ADMIN_PASSWORD; fi
  if [ -n "$pw" ]; then
    if [ "$www" = /www ]; then www=$(mktemp -d "${TMPDIR:-/tmp}/standin-www.XXXXXX"); generate "$www"; fi
    mkdir -p "$www/api"
    printf '{"login":"%s","isGrafanaAdmin":true,"note":"stand-in for grafana"}\n' "${GF_SECURITY_ADMIN_USER:-admin}" >"$www/api/user"
    conf=$(mktemp "${TMPDIR:-/tmp}/standin-httpd.XXXXXX")
    printf '/api/user:%s:%s\n' "${GF_SECURITY_ADMIN_USER:-admin}" "$(busybox httpd -m "$pw")" >"$conf"
    echo "stand-in for grafana: /api/user checks the admin password (from ${GF_SECURITY_ADMIN_PASSWORD__FILE:+a file}${GF_SECURITY_ADMIN_PASSWORD:+the environment})"
  fi
fi

pids=
for p in $ports; do
  busybox httpd -f -p "$p" -h "$www" ${conf:+-c "$conf"} &
  pids="$pids $!"
done
echo "stand-in for $name: serving HTTP on port(s) $ports as uid $(id -u)"

trap 'kill $pids 2>/dev/null; exit 0' TERM INT
# Programs that reread their config on SIGHUP (Promtail, Alloy, Prometheus) get it from provision
# instead of a restart: say so in the log, so a test can see the signal arrived (and that the
# container was not restarted). Without this trap, sh as PID 1 would silently ignore it.
trap 'echo "stand-in for $name: SIGHUP received (the real program rereads its config here; a stand-in has none)"' HUP
# Exit (so Docker shows it) if any listener dies, e.g. because its port is taken.
while sleep 1; do
  for pid in $pids; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "stand-in for $name: an httpd exited; stopping" >&2
      # shellcheck disable=SC2086 # a list of pids
      kill $pids 2>/dev/null || true
      exit 1
    fi
  done
done
