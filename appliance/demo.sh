#!/usr/bin/env bash
# Quick start, command 1: installs what is missing (Debian packages as root, npm packages), then runs the main job end to
# end: local InfluxDB + Mosquitto on loopback, the bundled plant capture learned and checked. Extra arguments go to
# `otwatch demo` (e.g. --keep-running to look at the data afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
bash appliance/scripts/ensure-deps.sh
exec node bin/otwatch.js demo "$@"
