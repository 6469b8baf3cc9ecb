#!/usr/bin/env bash
# Smoke test of the e2e images (test/images/build.sh): runs each one with `docker run` on a
# throwaway network and checks that it does its job the way the upstream image would:
#   prometheus /-/ready and scraping node-exporter, redis-exporter and stand-ins; promtool;
#   alertmanager /-/ready, amtool; node-exporter /metrics; redis PING/SET from another container,
#   appendonly on a volume, uid 999; redis-exporter redis_up 1 via REDIS_ADDR; postgres password
#   auth over TCP from another container, POSTGRES_USER/DB, restart without re-init, uid 999;
#   adminer logging in to that postgres and running a query; every stand-in on each of its ports.
# Builds the images first if needed (warm: about a second) and loads the archive if the images
# are not in the local engine. Cleans up its containers, volumes and network. Exits non-zero on
# any failure; the last line is "N passed, N failed".
# shellcheck disable=SC2016 # the single-quoted snippets run in a child bash or container
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=smoke$$
net=provision-$run
tmp=$(mktemp -d)
pass=0 fail=0

cleanup() {
  docker ps -aq --filter "label=provision-smoke=$run" | xargs -r docker rm -fv >/dev/null 2>&1
  docker volume ls -q --filter "label=provision-smoke=$run" | xargs -r docker volume rm -f >/dev/null 2>&1
  docker network rm "$net" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

ok()   { pass=$((pass + 1)); echo "ok   - $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL - $*"; }
# check DESCRIPTION CMD...: runs CMD once.
check() { local d=$1; shift; if "$@" >"$tmp/out" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/       /' "$tmp/out" | tail -n 15; fi; }
# retry SECONDS CMD...: true as soon as CMD succeeds.
retry() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 1; done; "$@"; }
# eventually DESCRIPTION SECONDS CMD...
eventually() { local d=$1 n=$2; shift 2; check "$d" retry "$n" "$@"; }

# dr NAME IMAGE [docker run args and command...]: a labelled container on the test network.
dr() { local name=$1; shift; docker run -d --name "$run-$name" --network "$net" --network-alias "$name" \
  --label "provision-smoke=$run" "$@" >/dev/null; }
# client CMD...: runs CMD in a throwaway busybox-capable container on the test network.
client() { docker run --rm --network "$net" --label "provision-smoke=$run" provision-test/base:trixie "$@"; }
fetch() { client busybox wget -q -T 5 -O- "$1"; }
uid_of() { docker exec "$run-$1" awk '/^Uid:/{print $2}' /proc/1/status; }
export net run
export -f client fetch

# --- images -------------------------------------------------------------------------------------
archive=$(bash "$here/build.sh" | tail -n 1) || { echo "build.sh failed"; exit 1; }
cache=$(dirname "$archive")
mapfile -t refs <"$cache/images.txt"
missing=0
for r in "${refs[@]}" provision-test/base:trixie; do docker image inspect "$r" >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 1 ]; then echo "loading $archive"; docker load -i "$archive" >/dev/null; fi
if ! docker image inspect provision-test/base:trixie >/dev/null 2>&1; then
  bash "$here/base.sh" >/dev/null
fi
docker network create --label "provision-smoke=$run" "$net" >/dev/null

# --- redis + redis-exporter ---------------------------------------------------------------------
docker volume create --label "provision-smoke=$run" "$run-redis" >/dev/null
dr redis -v "$run-redis:/data" provision-test/redis:debian13 redis-server --appendonly yes
dr redis-exporter -e REDIS_ADDR=redis://redis:6379 provision-test/redis-exporter:debian13
redis_cli() { docker run --rm --network "$net" --label "provision-smoke=$run" --entrypoint redis-cli \
  provision-test/redis:debian13 -h redis "$@"; }
export -f redis_cli
eventually "redis answers PING from another container" 20 bash -c '[ "$(redis_cli PING)" = PONG ]'
check "redis SET/GET from another container" bash -c 'redis_cli SET smoke 42 >/dev/null && [ "$(redis_cli GET smoke)" = 42 ]'
check "redis runs as uid 999" test "$(uid_of redis)" = 999
check "redis --appendonly yes writes into the /data volume" docker exec "$run-redis" sh -c 'ls -d /data/appendonlydir && [ "$(stat -c %u /data/appendonlydir)" = 999 ]'
check "redis protected mode is off" bash -c 'redis_cli CONFIG GET protected-mode | grep -qx no'
eventually "redis-exporter reports redis_up 1 (REDIS_ADDR)" 20 bash -c 'fetch http://redis-exporter:9121/metrics | grep -qx "redis_up 1"'
check "redis-exporter runs as uid 65534" test "$(uid_of redis-exporter)" = 65534

# --- node-exporter ------------------------------------------------------------------------------
dr node-exporter provision-test/node-exporter:debian13
eventually "node-exporter serves /metrics on 9100" 20 bash -c 'fetch http://node-exporter:9100/metrics | grep -q ^node_exporter_build_info'
check "node-exporter runs as uid 65534" test "$(uid_of node-exporter)" = 65534

# --- stand-ins ----------------------------------------------------------------------------------
# name|ports|uid|extra readiness paths[|name on its page, if not name]
standins=(
  "grafana|3000|472|/api/health"
  "loki|3100|10001|/ready"
  "tempo|3200 4317 4318 9411 14268|10001|/ready"
  "promtail|9080|0|/ready"
  "alloy|12345|0|/-/ready"
  "traefik|80 8080|0|/ping"
  "portainer|9000|0|/api/status /api/system/status"
  "homepage|3000|0|/api/healthcheck"
  "cadvisor|8080|0|/healthz"
  "app|8000|1000|/health"
)
for s in "${standins[@]}"; do
  IFS='|' read -r name ports uid paths <<<"$s"
  # Arguments like the real program's must be ignored.
  dr "$name" "provision-test/$name-standin:1" --config.file=/etc/whatever.yml -some-flag
done
# One app stand-in the way the trading apps use it: its own name and ports from the environment.
dr shioaji-gateway -e STANDIN_NAME=shioaji-gateway -e STANDIN_PORTS=8000,8001 provision-test/app-standin:1 uvicorn app:main
standins+=("shioaji-gateway|8000 8001|1000|/health")
# ... and the way compose.yml runs them: only PORT is set.
dr shioaji-frontend -e PORT=3000 provision-test/app-standin:1
standins+=("shioaji-frontend|3000 8000|1000|/health|app")
sleep 1
for s in "${standins[@]}"; do
  IFS='|' read -r name ports uid paths shows <<<"$s"
  shows=${shows:-$name}
  script="set -e"
  for p in $ports; do
    script+="; busybox wget -q -T 5 -O- http://$name:$p/ | grep -q 'stand-in for $shows'"
    script+="; busybox wget -q -T 5 -O- http://$name:$p/metrics | grep -q 'standin_up{name=\"$shows\"} 1'"
    for path in $paths; do script+="; busybox wget -q -T 5 -O /dev/null http://$name:$p$path"; done
  done
  eventually "stand-in $name answers on $ports (/, /metrics${paths:+, ${paths// /, }})" 10 client sh -c "$script"
  check "stand-in $name runs as uid $uid" test "$(uid_of "$name")" = "$uid"
done
docker kill --signal HUP "$run-promtail" >/dev/null
eventually "a stand-in logs SIGHUP and keeps running (no restart)" 5 bash -c "
  docker logs $run-promtail 2>&1 | grep -q 'stand-in for promtail: SIGHUP received' &&
  [ \"\$(docker inspect -f '{{.State.Running}} {{.RestartCount}}' $run-promtail)\" = 'true 0' ]"
check "stand-ins are labelled io.provision.standin=true, real images are not" bash -c "
  [ \"\$(docker image inspect provision-test/loki-standin:1 --format '{{index .Config.Labels \"io.provision.standin\"}}')\" = true ] &&
  [ -z \"\$(docker image inspect provision-test/prometheus:debian13 --format '{{index .Config.Labels \"io.provision.standin\"}}')\" ]"

# --- prometheus ---------------------------------------------------------------------------------
cat >"$tmp/prometheus.yml" <<'EOF'
global:
  scrape_interval: 2s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['localhost:9090']}]
  - job_name: node
    static_configs: [{targets: ['node-exporter:9100']}]
  - job_name: redis
    static_configs: [{targets: ['redis-exporter:9121']}]
  - job_name: standins
    static_configs: [{targets: ['cadvisor:8080', 'traefik:8080', 'loki:3100']}]
  - job_name: alertmanager
    static_configs: [{targets: ['alertmanager:9093']}]
EOF
chmod 644 "$tmp/prometheus.yml"
docker volume create --label "provision-smoke=$run" "$run-prom" >/dev/null
dr alertmanager provision-test/alertmanager:debian13
dr prometheus -v "$tmp/prometheus.yml:/etc/prometheus/prometheus.yml:ro" -v "$run-prom:/prometheus" \
  provision-test/prometheus:debian13
eventually "prometheus answers /-/ready on 9090 (docker exec wget)" 30 docker exec "$run-prometheus" wget -qO- localhost:9090/-/ready
check "prometheus runs as uid 65534, named volume /prometheus is writable" bash -c "
  [ \"\$(docker exec $run-prometheus awk '/^Uid:/{print \$2}' /proc/1/status)\" = 65534 ] &&
  docker exec $run-prometheus sh -c 'touch /prometheus/.w && [ \$(stat -c %u /prometheus) = 65534 ]'"
eventually "prometheus scrapes node, redis, alertmanager and stand-ins (all targets up)" 30 bash -c "
  out=\$(docker exec $run-prometheus wget -qO- 'localhost:9090/api/v1/query?query=count(up==1)')
  echo \"\$out\"; echo \"\$out\" | grep -q '\"value\":\[[0-9.]*,\"7\"\]'"
check "promtool at /bin/promtool checks the config" docker exec "$run-prometheus" /bin/promtool check config /etc/prometheus/prometheus.yml
check "prometheus image: entrypoint, cmd, workdir like upstream" bash -c "
  [ \"\$(docker image inspect provision-test/prometheus:debian13 --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.WorkingDir}} {{.Config.User}}')\" = \
    '[\"/bin/prometheus\"] [\"--config.file=/etc/prometheus/prometheus.yml\",\"--storage.tsdb.path=/prometheus\"] /prometheus 65534:65534' ]"

# --- alertmanager -------------------------------------------------------------------------------
eventually "alertmanager answers /-/ready on 9093" 30 docker exec "$run-alertmanager" wget -qO- localhost:9093/-/ready
check "amtool at /bin/amtool checks the config" docker exec "$run-alertmanager" /bin/amtool check-config /etc/alertmanager/alertmanager.yml
check "alertmanager runs as uid 65534 in /alertmanager" bash -c "
  [ \"\$(docker exec $run-alertmanager awk '/^Uid:/{print \$2}' /proc/1/status)\" = 65534 ] &&
  [ \"\$(docker exec $run-alertmanager stat -c %u /alertmanager)\" = 65534 ]"

# --- postgres -----------------------------------------------------------------------------------
docker volume create --label "provision-smoke=$run" "$run-pg" >/dev/null
dr postgres -v "$run-pg:/var/lib/postgresql/data" -e POSTGRES_PASSWORD=smoke-pw -e POSTGRES_USER=app \
  -e POSTGRES_DB=appdb provision-test/postgres:debian13
pg_remote() { docker run --rm --network "$net" --label "provision-smoke=$run" -e PGPASSWORD="$1" \
  --entrypoint psql provision-test/postgres:debian13 -h postgres -U app -d appdb -tAc "$2"; }
export -f pg_remote
eventually "postgres accepts POSTGRES_USER/POSTGRES_PASSWORD over TCP from another container" 60 \
  bash -c '[ "$(pg_remote smoke-pw "select concat_ws(chr(47), current_user, current_database())")" = app/appdb ]'
check "postgres rejects a wrong password (scram-sha-256 for host connections)" bash -c "
  ! pg_remote wrong 'select 1' && docker exec $run-postgres grep -q '^host all all all scram-sha-256' /var/lib/postgresql/data/pg_hba.conf"
check "postgres: psql and pg_isready on PATH, runs as uid 999" bash -c "
  docker exec $run-postgres pg_isready -U app -d appdb &&
  docker exec $run-postgres psql -U app -d appdb -tAc 'create table smoke(x int); insert into smoke values (42)' &&
  [ \"\$(docker exec $run-postgres awk '/^Uid:/{print \$2}' /proc/1/status)\" = 999 ]"
docker restart "$run-postgres" >/dev/null
eventually "postgres restarts on its data without re-init and keeps it" 60 \
  bash -c '[ "$(pg_remote smoke-pw "select x from smoke")" = 42 ]'
check "postgres log: initialized once, skipped on restart" bash -c "
  logs=\$(docker logs $run-postgres 2>&1)
  [ \"\$(grep -c 'initializing database' <<<\"\$logs\")\" = 1 ] && grep -q 'Skipping initialization' <<<\"\$logs\""
check "postgres refuses to initialize without POSTGRES_PASSWORD" bash -c "
  out=\$(docker run --rm --label provision-smoke=$run provision-test/postgres:debian13 2>&1); rc=\$?
  [ \$rc != 0 ] && grep -q 'POSTGRES_PASSWORD' <<<\"\$out\""

# --- adminer ------------------------------------------------------------------------------------
# Logged in from this machine (curl) to the container's address, as a browser would.
dr adminer -e ADMINER_DEFAULT_SERVER=postgres provision-test/adminer:debian13
adminer_login() { # PASSWORD QUERY
  local ip
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$run-adminer")
  printf '%s' "$1" | bash "$here/../e2e/adminer-login.sh" "http://$ip:8080" postgres app appdb "$2"
}
export -f adminer_login
export here
eventually "adminer (real, PHP's built-in server) logs in to postgres and runs a query" 30 bash -c '
  out=$(adminer_login smoke-pw "select concat_ws(chr(47), current_user, current_database(), 6*7)")
  echo "$out"; [ "$out" = "$(printf "server=postgres\nresult=app/appdb/42")" ]'
check "adminer shows postgres refusing a wrong password" bash -c '
  out=$(adminer_login wrong "select 1"); echo "$out"; grep -q "^error=.*password authentication failed for user \"app\"" <<<"$out"'
check "adminer runs as uid 100" test "$(uid_of adminer)" = 100

# --- the health checks of files/*/compose.yml, run as compose would run them -----------------
hc() { check "compose healthcheck of $1: $2" docker exec "$run-$1" sh -c "$2"; }
hc traefik 'traefik healthcheck --ping'
hc homepage 'wget -qO /dev/null http://127.0.0.1:3000/api/healthcheck || exit 1'
hc grafana 'wget -qO /dev/null http://127.0.0.1:3000/api/health || exit 1'
hc cadvisor 'wget -qO /dev/null http://127.0.0.1:8080/healthz || exit 1'
hc prometheus 'wget -qO /dev/null http://127.0.0.1:9090/-/healthy || exit 1'
hc alertmanager 'wget -qO /dev/null http://127.0.0.1:9093/-/healthy || exit 1'
hc node-exporter 'wget -qO /dev/null http://127.0.0.1:9100/ || exit 1'
hc redis 'redis-cli ping | grep -q PONG'
hc postgres 'pg_isready -U "${POSTGRES_USER}" -d "${POSTGRES_DB}"'

echo
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
