#!/usr/bin/env bash
# otwatch installer for Debian (issue 5 §3). Idempotent: a second run changes nothing. Run as root from a checkout:
#   sudo appliance/install.sh                 install or upgrade
#   sudo appliance/install.sh --uninstall     remove the program, unit and service configs (keeps /etc/otwatch and
#                                             /var/lib/otwatch; add --purge to remove them and the otwatch user too)
# Options for tests and special cases:
#   --root DIR        install into DIR instead of / (implies --no-services)
#   --no-packages     do not apt-get install influxdb, mosquitto, tcpdump (they must be there already)
#   --no-user         do not create the otwatch user nor chown to it / to mosquitto (a temporary root has no such users)
#   --no-npm          do not run npm ci (node_modules must already be in place)
#   --no-services     do not touch systemd (daemon-reload, enable, restart) nor bootstrap InfluxDB users
#   --node PATH       Node.js ≥ 20.10 to run otwatch with (default: node from PATH)
# Privilege model (why file capabilities on a private tcpdump copy): see appliance/systemd/otwatch.service and the
# README ("Security"). The sensor never transmits: bringing the capture interface up without an address is described
# in the README, not done here (the installer cannot know which port is the SPAN port).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
UNINSTALL=0
PURGE=0
PACKAGES=1
USERS=1
NPM=1
SERVICES=1
NODE=""

die() { echo "otwatch install: $*" >&2; exit 1; }
say() { echo "otwatch install: $*" >&2; }

while (($#)); do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    --no-packages) PACKAGES=0; shift ;;
    --no-user) USERS=0; shift ;;
    --no-npm) NPM=0; shift ;;
    --no-services) SERVICES=0; shift ;;
    --node) NODE="${2:?--node needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
if [ -n "$ROOT" ]; then
  ROOT="$(cd "$ROOT" && pwd)"
  SERVICES=0
fi
[ "$(id -u)" = 0 ] || die "run as root (sudo $0 $*)"

OPT="$ROOT/opt/otwatch"
ETC="$ROOT/etc/otwatch"
STATE="$ROOT/var/lib/otwatch"
UNIT="$ROOT/etc/systemd/system/otwatch.service"
MQ_DIR="$ROOT/etc/mosquitto"
INFLUX_CONF="$ROOT/etc/influxdb/influxdb.conf"
WRAPPER="$ROOT/usr/local/bin/otwatch"

# Writes stdin to $1 only when the content differs (so mtimes and checksums stay put), then sets mode and owner.
put() {
  local dest="$1" mode="$2" owner="$3" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then rm -f "$tmp"; else mv "$tmp" "$dest"; fi
  chmod "$mode" "$dest"
  own "$owner" "$dest"
}

own() {
  local owner="$1"; shift
  if ((USERS)); then chown "$owner" "$@"; fi
}

# A secret file created once (never rewritten: running twice must not change passwords).
secret() {
  local dest="$1" owner="$2"
  if [ ! -s "$dest" ]; then
    mkdir -p "$(dirname "$dest")"
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$dest" && echo >>"$dest")
    say "generated $dest"
  fi
  chmod 0600 "$dest"
  own "$owner" "$dest"
}

uninstall() {
  if ((SERVICES)); then
    systemctl disable --now otwatch.service 2>/dev/null || true
  fi
  rm -f "$UNIT" "$WRAPPER" "$MQ_DIR/conf.d/otwatch.conf" "$MQ_DIR/otwatch.passwd" "$MQ_DIR/otwatch.acl"
  rm -rf "$OPT"
  if [ -f "$INFLUX_CONF.otwatch-orig" ]; then mv -f "$INFLUX_CONF.otwatch-orig" "$INFLUX_CONF"
  elif [ -f "$INFLUX_CONF" ] && grep -q '^# otwatch:' "$INFLUX_CONF"; then rm -f "$INFLUX_CONF"; fi
  if ((PURGE)); then
    rm -rf "$ETC" "$STATE"
    if ((USERS)) && getent passwd otwatch >/dev/null; then userdel otwatch || true; fi
    say "removed otwatch, its configuration, state and user"
  else
    say "removed otwatch; kept $ETC and $STATE (--purge removes them)"
  fi
  if ((SERVICES)); then
    systemctl daemon-reload || true
    systemctl try-restart mosquitto.service influxdb.service 2>/dev/null || true
  fi
}

if ((UNINSTALL)); then
  uninstall
  exit 0
fi

# --- 1. Debian packages ------------------------------------------------------------------------------------------
if ((PACKAGES)); then
  need=()
  command -v influxd >/dev/null || need+=(influxdb)
  command -v influx >/dev/null || need+=(influxdb-client)
  command -v mosquitto >/dev/null || need+=(mosquitto)
  command -v mosquitto_passwd >/dev/null || need+=(mosquitto-clients)
  command -v tcpdump >/dev/null || need+=(tcpdump)
  command -v setcap >/dev/null || need+=(libcap2-bin)
  if ((${#need[@]})); then
    say "installing Debian packages: ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
for cmd in tcpdump setcap mosquitto_passwd; do command -v "$cmd" >/dev/null || die "$cmd is missing (drop --no-packages, or apt-get install it)"; done

NODE="${NODE:-$(command -v node || true)}"
[ -n "$NODE" ] && [ -x "$NODE" ] || die "Node.js not found: install Node.js 20 (≥ 20.10), e.g. from NodeSource, or pass --node PATH"
NODE="$(readlink -f "$NODE")"
"$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=10||a>=22?0:1)' ||
  die "$NODE is Node.js $("$NODE" --version); otwatch needs 20.10+ (or 22+); Debian bookworm's nodejs (18) is too old"

# --- 2. The otwatch user: may capture (through the tcpdump copy below) and nothing else ----------------------------
if ((USERS)) && ! getent passwd otwatch >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/otwatch --no-create-home --shell /usr/sbin/nologin \
    --comment "otwatch sensor" otwatch
  say "created system user otwatch"
fi

# --- 3. Program in /opt/otwatch -------------------------------------------------------------------------------------
mkdir -p "$OPT"
for d in bin src protocols appliance grafana; do
  [ -d "$SRC/$d" ] || continue
  # Replace the tree only when it differs (tests and upgrades alike); node_modules stays unless the lock changes.
  if ! diff -rq --exclude='*.test.ts' --exclude='tcpdump' "$SRC/$d" "$OPT/$d" >/dev/null 2>&1; then
    keep=""
    [ "$d" = bin ] && [ -f "$OPT/bin/tcpdump" ] && keep="$(mktemp)" && cp -p "$OPT/bin/tcpdump" "$keep"
    rm -rf "$OPT/$d"
    mkdir -p "$OPT/$d"
    (cd "$SRC/$d" && tar --exclude='*.test.ts' -cf - .) | (cd "$OPT/$d" && tar -xf - --no-same-owner)
    if [ -n "$keep" ]; then mv "$keep" "$OPT/bin/tcpdump"; fi
  fi
done
for f in package.json package-lock.json; do put "$OPT/$f" 0644 root:root <"$SRC/$f"; done
[ -f "$SRC/README.md" ] && put "$OPT/README.md" 0644 root:root <"$SRC/README.md"
launcher=("$OPT/bin/otwatch.js" "$OPT/bin/fingerprint.js" "$OPT/bin/fingerprint.d.ts")
chmod -R u=rwX,go=rX "$OPT/src" "$OPT/protocols" "$OPT/appliance" "${launcher[@]}"
own root:root -R "$OPT/src" "$OPT/protocols" "$OPT/appliance" "${launcher[@]}"

LOCK_SUM="$(sha256sum "$OPT/package-lock.json" | cut -d' ' -f1)"
if ((NPM)) && [ "$(cat "$OPT/node_modules/.otwatch-lock.sha256" 2>/dev/null)" != "$LOCK_SUM" ]; then
  say "npm ci --omit=dev (runtime dependencies only; esbuild bundles the TypeScript sources, tsx is the fallback)"
  (cd "$OPT" && PATH="$(dirname "$NODE"):$PATH" npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  echo "$LOCK_SUM" >"$OPT/node_modules/.otwatch-lock.sha256"
fi

# The CLI bundle (bin/otwatch.js builds dist/<fingerprint of the sources>/ on its first run): built here, as root,
# because the service cannot write /opt/otwatch. Same sources → same fingerprint → a second run reuses it.
env -u OTWATCH_DIST_DIR -u OTWATCH_NO_BUNDLE "$NODE" "$OPT/bin/otwatch.js" --help >/dev/null
if compgen -G "$OPT/dist/*/cli.mjs" >/dev/null; then
  chmod -R u=rwX,go=rX "$OPT/dist"
  own root:root -R "$OPT/dist"
else
  say "warning: could not build the CLI bundle in $OPT/dist; otwatch will run the sources through tsx (slower start)"
fi

# The only privileged piece: a private tcpdump copy with file capabilities, executable by root and group otwatch only.
TCPDUMP_SRC="$(readlink -f "$(command -v tcpdump)")"
if ! cmp -s "$TCPDUMP_SRC" "$OPT/bin/tcpdump"; then cp "$TCPDUMP_SRC" "$OPT/bin/tcpdump"; fi
chmod 0750 "$OPT/bin/tcpdump"
if ((USERS)); then chown root:otwatch "$OPT/bin/tcpdump"; else chown root:root "$OPT/bin/tcpdump"; fi
setcap cap_net_raw,cap_net_admin=eip "$OPT/bin/tcpdump"

put "$WRAPPER" 0755 root:root <<EOF
#!/bin/sh
# otwatch command line (installed by otwatch install.sh)
exec $NODE /opt/otwatch/bin/otwatch.js "\$@"
EOF

# --- 4. Configuration and secrets (only when absent: an integrator's edits are never overwritten) --------------------
mkdir -p "$ETC"
chmod 0750 "$ETC"
own root:otwatch "$ETC"
if [ ! -f "$ETC/otwatch.yaml" ]; then
  put "$ETC/otwatch.yaml" 0640 root:otwatch <"$SRC/appliance/etc/otwatch.yaml"
  say "wrote $ETC/otwatch.yaml: set capture.interfaces and the zones, then systemctl restart otwatch"
fi
secret "$ETC/api-token" otwatch:otwatch
secret "$ETC/mqtt-password" otwatch:otwatch
secret "$ETC/influx-password" otwatch:otwatch
# Credentials for the administrator and for Grafana's read-only access: root only.
secret "$ETC/influx-admin-password" root:root
secret "$ETC/grafana-influx-password" root:root
secret "$ETC/grafana-mqtt-password" root:root

mkdir -p "$STATE"
chmod 0750 "$STATE"
own otwatch:otwatch "$STATE"

# --- 5. Mosquitto: loopback listener, password file, ACL --------------------------------------------------------------
put "$MQ_DIR/conf.d/otwatch.conf" 0644 root:root <"$SRC/appliance/etc/mosquitto-otwatch.conf"
put "$MQ_DIR/otwatch.acl" 0640 root:mosquitto <"$SRC/appliance/etc/mosquitto-otwatch.acl"
# (Re)written when absent or when a password file was replaced since (e.g. deleted to rotate it).
if [ ! -s "$MQ_DIR/otwatch.passwd" ] || [ "$ETC/mqtt-password" -nt "$MQ_DIR/otwatch.passwd" ] ||
   [ "$ETC/grafana-mqtt-password" -nt "$MQ_DIR/otwatch.passwd" ]; then
  (umask 077 && : >"$MQ_DIR/otwatch.passwd.new")
  mosquitto_passwd -b "$MQ_DIR/otwatch.passwd.new" otwatch "$(cat "$ETC/mqtt-password")"
  mosquitto_passwd -b "$MQ_DIR/otwatch.passwd.new" grafana "$(cat "$ETC/grafana-mqtt-password")"
  mv -f "$MQ_DIR/otwatch.passwd.new" "$MQ_DIR/otwatch.passwd"
  say "wrote $MQ_DIR/otwatch.passwd (users otwatch, grafana)"
fi
chmod 0640 "$MQ_DIR/otwatch.passwd"
own root:mosquitto "$MQ_DIR/otwatch.passwd"

# --- 6. InfluxDB: loopback, authentication (the Debian original kept once as .otwatch-orig) ----------------------------
if [ -f "$INFLUX_CONF" ] && [ ! -f "$INFLUX_CONF.otwatch-orig" ] && ! grep -q '^# otwatch:' "$INFLUX_CONF"; then
  cp -p "$INFLUX_CONF" "$INFLUX_CONF.otwatch-orig"
fi
put "$INFLUX_CONF" 0644 root:root <"$SRC/appliance/etc/influxdb.conf"

# --- 7. systemd unit ---------------------------------------------------------------------------------------------------
# ExecPaths: everything the service executes — node, the tcpdump copy, esbuild (only on the tsx fallback, when the
# bundle is missing: tsx starts it to transpile the sources; checked with strace -f -e execve) — and the directories
# their shared libraries live in.
libdirs="$( (ldd "$NODE"; ldd "$TCPDUMP_SRC") 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | xargs -r -n1 dirname | sort -u | tr '\n' ' ')"
exec_paths="$NODE /opt/otwatch/bin/tcpdump /opt/otwatch/node_modules/@esbuild ${libdirs% }"
sed -e "s|@NODE@|$NODE|" -e "s|@EXEC_PATHS@|$exec_paths|" "$SRC/appliance/systemd/otwatch.service" | put "$UNIT" 0644 root:root

if ((SERVICES)); then
  systemctl daemon-reload
  systemctl enable --quiet mosquitto.service influxdb.service otwatch.service
  systemctl restart mosquitto.service influxdb.service
  "$SRC/appliance/influx-users.sh" http://127.0.0.1:8086 "$ETC"
  systemctl restart otwatch.service
  say "otwatch is running: journalctl -u otwatch -f ; API: curl -H \"Authorization: Bearer \$(sudo cat $ETC/api-token)\" http://127.0.0.1:8787/status"
else
  say "installed into ${ROOT:-/} (services not touched)"
fi
