// Sink options from the service config (issue 5 §4): credentials come from files named in the config and are read by
// the sinks themselves at start; only URLs without credentials and file paths are ever logged.
import type { SinksOptions } from "../../src/sinks/index.ts";
import type { ServiceConfig } from "../config/service-config.ts";

export function buildSinkOptions(cfg: ServiceConfig, log: (msg: string) => void): SinksOptions | undefined {
  const s = cfg.sinks;
  if (!s.influx && !s.mqtt) return undefined;
  const spool = s.spool_max_bytes !== undefined ? { spoolMaxBytes: s.spool_max_bytes } : {};
  return {
    stateDir: cfg.stateDir,
    ...(s.influx
      ? {
          influx: {
            url: s.influx.url,
            ...(s.influx.database ? { database: s.influx.database } : {}),
            ...(s.influx.username ? { username: s.influx.username } : {}),
            ...(s.influx.password_file ? { passwordFile: s.influx.password_file } : {}),
            ...(s.influx.manage_schema !== undefined ? { manageSchema: s.influx.manage_schema } : {}),
            ...(s.influx.raw_retention ? { rawDuration: s.influx.raw_retention } : {}),
            ...(s.influx.long_retention ? { longDuration: s.influx.long_retention } : {}),
            ...spool,
            log,
          },
        }
      : {}),
    ...(s.mqtt
      ? {
          mqtt: {
            url: s.mqtt.url,
            site: cfg.site.site,
            ...(s.mqtt.username ? { username: s.mqtt.username } : {}),
            ...(s.mqtt.username_file ? { usernameFile: s.mqtt.username_file } : {}),
            ...(s.mqtt.password_file ? { passwordFile: s.mqtt.password_file } : {}),
            ...(s.mqtt.ca_file ? { ca: s.mqtt.ca_file } : {}),
            ...(s.mqtt.cert_file ? { cert: s.mqtt.cert_file } : {}),
            ...(s.mqtt.key_file ? { key: s.mqtt.key_file } : {}),
            ...spool,
            log,
          },
        }
      : {}),
  };
}
