// The command-line flags that turn on the sensor (learning, detection, inventory, metrics, sinks), kept apart from
// sensor-options.ts so that a decode-only replay can parse its arguments without loading the detection and sink stack.

/** Default learning period of a replay when neither --learn nor --baseline is given. */
export const DEFAULT_REPLAY_LEARN = "30m";
/** Raw retention of a replay's InfluxDB database: a capture's packet time is often older than the service's 30 days. */
export const REPLAY_RAW_RETENTION = "INF";

export const sensorOptionSpecs = {
  config: { type: "string", short: "c" },
  learn: { type: "string", short: "l" },
  "learn-until": { type: "string" },
  baseline: { type: "string", short: "b" },
  "save-baseline": { type: "string" },
  anomalies: { type: "string", short: "a" },
  influx: { type: "string" },
  "influx-password-file": { type: "string" },
  "influx-retention": { type: "string" },
  mqtt: { type: "string" },
  "mqtt-username-file": { type: "string" },
  "mqtt-password-file": { type: "string" },
  "mqtt-ca": { type: "string" },
  site: { type: "string" },
  "state-dir": { type: "string" },
  mode: { type: "string" },
} as const;

export const sensorOptionsUsage = `learning and detection (any of these turns them on):
  -c, --config <site.yaml>   site configuration: zones (Purdue levels), conduits
  -l, --learn <duration>     learning period from the first packet (packet time), e.g. 45m, 2h (default ${DEFAULT_REPLAY_LEARN})
      --learn-until <time>   learning ends at this packet time instead (ISO 8601, or epoch seconds)
  -b, --baseline <file>      start from a saved baseline and detect from the first packet
      --save-baseline <file> write the learned baseline at the end (readable, diffable JSON)
  -a, --anomalies <file>     write one JSON line per anomaly
      --mode <m>             learning | detecting (override)
sinks (none unless given; data waits in a persistent spool under --state-dir when a server is down):
      --influx <url>         InfluxDB 1.x (or 2.x 1.x-compat) URL, e.g. http://127.0.0.1:8086/otwatch
      --influx-password-file <f>
      --influx-retention <d> raw retention policy (default INF for replays: captures are often older than 30 days)
      --mqtt <url>           MQTT broker URL, e.g. mqtt://127.0.0.1:1883
      --mqtt-username-file <f>  --mqtt-password-file <f>  --mqtt-ca <pem>
      --site <name>          site name for MQTT topics (default: the config's site)
      --state-dir <dir>      spools (default ./state)
`;

export type SensorOptionValues = { [K in keyof typeof sensorOptionSpecs]?: string };

export function wantsSensor(v: SensorOptionValues): boolean {
  return (Object.keys(sensorOptionSpecs) as (keyof typeof sensorOptionSpecs)[]).some((k) => v[k] !== undefined);
}

