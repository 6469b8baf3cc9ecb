#!/usr/bin/env bash
# Install the command-line tools that test/config/*.test.ts run for real:
#   promtool  (Prometheus config + rule checks, rule unit tests)
#   amtool    (Alertmanager config check)
#   docker compose v2 (`docker compose config`: interpolation and schema; needs no engine)
#
# For: a fresh Debian 12 (bookworm) or Debian 13 (trixie) machine, run as root. Idempotent:
# rerunning changes nothing once the tools are there.
#
# What it does, exactly:
# 1. On bookworm only: Compose v2 is not packaged in bookworm (its docker-compose is v1, in
#    Python), so it adds Debian's trixie suite as an extra apt source, pinned low:
#      /etc/apt/sources.list.d/debian-trixie.sources  (deb822; http://deb.debian.org/debian,
#                                                      suite trixie, component main, signed by
#                                                      debian-archive-keyring)
#      /etc/apt/preferences.d/debian-trixie.pref       (Pin: release n=trixie, Priority 100)
#    Priority 100 (< 500 of bookworm) means apt never picks a trixie package on its own and never
#    upgrades bookworm packages from trixie; only packages named as `pkg/trixie` below come from
#    trixie, and their dependencies are still satisfied from bookworm where possible (all three
#    need only libc6 >= 2.34; bookworm has 2.36). Both files are rewritten only if their content
#    differs; `apt-get update` runs only when a file changed or the trixie lists are missing.
#    On trixie or newer nothing is added: the packages come from the machine's own suite.
# 2. Installs, with --no-install-recommends, from trixie:
#      docker-compose (2.26.x, Go binary; provides /usr/libexec/docker/cli-plugins/docker-compose,
#                      i.e. `docker compose`, and /usr/bin/docker-compose)
#                      -- skipped when `docker compose version` already reports v2 (e.g. Docker's
#                         own docker-compose-plugin, which owns the same path);
#      promtool       (2.53.x; the tool only, no Prometheus server);
#      prometheus-alertmanager (0.28.x; the only package that ships amtool). Its daemon is not
#                      wanted: where systemd runs, the service is disabled and stopped.
#    A package is installed only when its command is missing.
# 3. Prints the versions and exits non-zero if any tool is still missing.
#
# It does not install or start a Docker engine: `docker compose config` works without one.
# The `docker` CLI is optional too; the tests fall back to /usr/bin/docker-compose.
set -euo pipefail

if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
  echo "install-tools.sh: run as root" >&2
  exit 1
fi

. /etc/os-release
if [[ "${ID:-}" != "debian" ]]; then
  echo "install-tools.sh: written for Debian 12/13, found ${PRETTY_NAME:-unknown}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
changed=0

write_if_different() { # path content
  local path=$1 content=$2
  if [[ ! -f "$path" ]] || [[ "$(cat "$path")" != "$content" ]]; then
    printf '%s\n' "$content" >"$path"
    echo "wrote $path"
    changed=1
  fi
}

suffix=""
case "${VERSION_CODENAME:-}" in
  bookworm)
    suffix="/trixie"
    write_if_different /etc/apt/sources.list.d/debian-trixie.sources "Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    write_if_different /etc/apt/preferences.d/debian-trixie.pref "Package: *
Pin: release n=trixie
Pin-Priority: 100"
    if ! compgen -G '/var/lib/apt/lists/*_dists_trixie_*Packages*' >/dev/null; then changed=1; fi
    ;;
  *) ;; # trixie or newer: everything is in the machine's own suite
esac

has_compose_v2() {
  if command -v docker >/dev/null 2>&1 && docker compose version 2>/dev/null | grep -qE 'version v?2\.'; then return 0; fi
  if command -v docker-compose >/dev/null 2>&1 && docker-compose version 2>/dev/null | grep -qE 'version v?2\.'; then return 0; fi
  return 1
}

pkgs=()
has_compose_v2 || pkgs+=("docker-compose${suffix}")
command -v promtool >/dev/null 2>&1 || pkgs+=("promtool${suffix}")
command -v amtool >/dev/null 2>&1 || pkgs+=("prometheus-alertmanager${suffix}")

if ((${#pkgs[@]} > 0)); then
  if ((changed)) || ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update
  fi
  apt-get install -y --no-install-recommends "${pkgs[@]}"
  if [[ " ${pkgs[*]} " == *" prometheus-alertmanager"* ]] && [[ -d /run/systemd/system ]]; then
    systemctl disable --now prometheus-alertmanager.service >/dev/null 2>&1 || true
  fi
elif ((changed)); then
  apt-get update
fi

missing=0
echo "promtool: $(promtool --version 2>/dev/null | head -n1 || echo MISSING)"
command -v promtool >/dev/null 2>&1 || missing=1
echo "amtool:   $(amtool --version 2>/dev/null | head -n1 || echo MISSING)"
command -v amtool >/dev/null 2>&1 || missing=1
if has_compose_v2; then
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    echo "compose:  $(docker compose version)"
  else
    echo "compose:  $(docker-compose version)"
  fi
else
  echo "compose:  MISSING (v2)"
  missing=1
fi
exit "$missing"
