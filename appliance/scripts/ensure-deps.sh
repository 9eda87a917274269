#!/usr/bin/env bash
# Installs what otwatch's demo and tests need on Debian: the real servers and capture tools (apt), then npm packages.
# Idempotent and quiet when everything is already there. Used by the quick-start commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
command -v influxd >/dev/null || need+=(influxdb)
command -v influx >/dev/null || need+=(influxdb-client)
command -v mosquitto >/dev/null || need+=(mosquitto)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tshark >/dev/null || need+=(tshark)
command -v tcprewrite >/dev/null || need+=(tcpreplay)
# Used by the tests of appliance/install.sh: traced execs, the unit checked, file capabilities, self-signed TLS certificates.
command -v strace >/dev/null || need+=(strace)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v setcap >/dev/null || [ -x /sbin/setcap ] || [ -x /usr/sbin/setcap ] || need+=(libcap2-bin)
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "otwatch: missing Debian packages: ${need[*]} (run as root or install them)" >&2; exit 1; fi
  echo "otwatch: installing Debian packages: ${need[*]}" >&2
  for i in 1 2 3 4 5; do
    if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
       echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections &&
       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; then break; fi
    echo "otwatch: apt-get failed (dpkg lock?), retrying in 10 s" >&2; sleep 10
  done
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "otwatch: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
