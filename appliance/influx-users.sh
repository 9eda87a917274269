#!/usr/bin/env bash
# Creates the InfluxDB 1.x users otwatch needs (called by install.sh once influxd runs with auth-enabled = true):
#   admin    all privileges      password in <etc>/influx-admin-password (root only)
#   otwatch  all privileges      password in <etc>/influx-password (the sensor creates its database, retention policies
#                                and continuous queries, which InfluxDB 1.x reserves to admin users; loopback only)
#   grafana  READ on otwatch     password in <etc>/grafana-influx-password (the Grafana data source)
# Idempotent: existing users get their password (re)set from the files. Passwords never appear on a command line:
# curl reads credentials and queries from its stdin config.
# usage: influx-users.sh <http://127.0.0.1:8086> <etc dir>
set -euo pipefail
URL="${1:?usage: influx-users.sh URL ETC_DIR}"
ETC="${2:?usage: influx-users.sh URL ETC_DIR}"
ADMIN_PW="$(cat "$ETC/influx-admin-password")"
OTWATCH_PW="$(cat "$ETC/influx-password")"
GRAFANA_PW="$(cat "$ETC/grafana-influx-password")"
DB="${OTWATCH_INFLUX_DB:-otwatch}"

for _ in $(seq 1 100); do curl -fsS "$URL/ping" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$URL/ping" >/dev/null || { echo "influx-users: $URL does not answer /ping" >&2; exit 1; }

# q <user:password or empty> <InfluxQL> → prints the JSON answer
q() {
  local cred="$1" query="$2"
  { [ -n "$cred" ] && printf 'user = "%s"\n' "$cred"; printf 'data-urlencode = "q=%s"\n' "$query"; } |
    curl -sS -K - -X POST "$URL/query"
}

if ! q "admin:$ADMIN_PW" "SHOW USERS" | grep -q '"columns"'; then
  out="$(q "" "CREATE USER admin WITH PASSWORD '$ADMIN_PW' WITH ALL PRIVILEGES")"
  if echo "$out" | grep -q '"error"'; then
    echo "influx-users: cannot create the admin user (users exist and $ETC/influx-admin-password does not match?): $out" >&2
    exit 1
  fi
  echo "influx-users: created admin user" >&2
fi
A="admin:$ADMIN_PW"
for stmt in \
  "CREATE USER otwatch WITH PASSWORD '$OTWATCH_PW' WITH ALL PRIVILEGES" \
  "SET PASSWORD FOR otwatch = '$OTWATCH_PW'" \
  "GRANT ALL PRIVILEGES TO otwatch" \
  "CREATE DATABASE $DB" \
  "CREATE USER grafana WITH PASSWORD '$GRAFANA_PW'" \
  "SET PASSWORD FOR grafana = '$GRAFANA_PW'" \
  "GRANT READ ON $DB TO grafana"; do
  out="$(q "$A" "$stmt")"
  if echo "$out" | grep -q '"error"' && ! echo "$out" | grep -q 'already exists'; then
    echo "influx-users: ${stmt%% WITH PASSWORD*}…: $out" >&2
    exit 1
  fi
done
echo "influx-users: users admin, otwatch, grafana ready" >&2
