#!/usr/bin/env bash
# The main job on this machine: set up (test/setup.sh), start a fresh test VM and provision
# the whole environment on it with playbooks/site.yml. Leaves the VM running; the inventory
# is .testvm/inventory.yml (rerun `npx provision apply -i .testvm/inventory.yml` to see a
# no-op run, `test/vm/stop.sh` to throw the VM away).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/setup.sh
inv=$(bash test/vm/start.sh provision-testvm .testvm/inventory.yml)
node bin/provision.js apply -i "$inv" "$@"
