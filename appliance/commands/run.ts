// `otwatch run --config /etc/otwatch/otwatch.yaml` (issue 5 §1): the live sensor service. Starts the SensorService
// (captures, detection, sinks, state folder) and the HTTP API, then waits for signals: SIGTERM/SIGINT stop gracefully
// (captures end, state saved, sinks flushed), SIGHUP re-reads the config and applies what can change live.
// JSON logs on stdout (journald keeps them). Exit codes: 0 clean stop, 1 failed to start, 2 bad command line/config.

import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../../src/config/site.ts";
import { createApi } from "../api/app.ts";
import { startApiServer, type ApiServer } from "../api/server.ts";
import { loadServiceConfig, type ServiceConfig } from "../config/service-config.ts";
import { createLogger, type Logger } from "../log.ts";
import { createSensorHandle } from "../service/sensor-handle.ts";
import { SensorService } from "../service/service.ts";
import type { Command } from "./types.ts";

export const DEFAULT_CONFIG = "/etc/otwatch/otwatch.yaml";

/** Reads the API token file; warns when others can read it. Never logs the token. */
export function readToken(path: string, log: Logger): string | undefined {
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) log.warn(`${path} is readable by group/others (mode ${mode.toString(8)}): chmod 600 it`);
    const token = readFileSync(path, "utf8").trim();
    if (token.length < 16) {
      log.error(`${path}: the API token is shorter than 16 characters; the API refuses every request`);
      return undefined;
    }
    return token;
  } catch (err) {
    log.error(`cannot read the API token file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); the API refuses every request`);
    return undefined;
  }
}

export interface RunningService {
  service: SensorService;
  api: ApiServer | undefined;
  /** Graceful stop of API and service. */
  stop(): Promise<void>;
  reload(): void;
}

/** Starts service and API from a loaded config (tests call this directly). */
export async function startService(config: ServiceConfig, log: Logger): Promise<RunningService> {
  process.umask(0o027);
  const service = new SensorService(config, log);
  let token = config.api.enabled ? readToken(config.api.token_file, log) : undefined;
  let api: ApiServer | undefined;
  try {
    await service.start();
    if (config.api.enabled) {
      const app = createApi(createSensorHandle(service), { token: () => token });
      api = await startApiServer(app, config.api.bind, config.api.port);
      log.info("API listening", { bind: api.host, port: api.port });
    }
  } catch (err) {
    await service.stop().catch(() => undefined);
    throw err;
  }
  return {
    service,
    api,
    async stop() {
      await api?.close();
      await service.stop();
    },
    reload() {
      let next: ServiceConfig;
      try {
        next = loadServiceConfig(config.path);
      } catch (err) {
        log.error(`reload refused, the running configuration stays: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      service.reload(next);
      if (next.api.enabled) token = readToken(next.api.token_file, log);
    },
  };
}

const usage = `usage: otwatch run [--config <file>]

Runs the live sensor: captures on the configured interfaces, learns then detects, writes metrics to InfluxDB and
anomalies to MQTT, keeps its state in the state folder and serves the HTTP API. JSON logs on stdout.
Signals: SIGTERM/SIGINT stop gracefully (state saved, sinks flushed); SIGHUP reloads the configuration.

options:
  -c, --config <file>   service configuration (default ${DEFAULT_CONFIG})
      --check           validate the configuration and exit
  -h, --help            this text
`;

export const runCommand: Command = {
  name: "run",
  summary: "run the live sensor service (capture, detection, sinks, HTTP API)",
  usage,
  async run(args: string[]): Promise<number> {
    const { values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        config: { type: "string", short: "c" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    const path = values.config ?? DEFAULT_CONFIG;
    let config: ServiceConfig;
    try {
      config = loadServiceConfig(path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // One JSON line per problem, like every other log line (journald keeps them with the service's output).
      const log = createLogger("error");
      for (const line of err.message.split("\n")) log.error(`invalid configuration: ${line}`, { config: path });
      return 2;
    }
    const log = createLogger(config.logLevel);
    if (values.check === true) {
      log.info("configuration is valid", { config: path, interfaces: config.interfaces.map((i) => i.name) });
      return 0;
    }
    log.info("starting", { config: path, interfaces: config.interfaces.map((i) => i.name), state_dir: config.stateDir, pid: process.pid });
    // Signals are taken over before the (second-long) start: a stop or reload request then waits for it.
    let running: RunningService | undefined;
    process.on("SIGHUP", () => (running ? running.reload() : log.warn("reload ignored: still starting")));
    const stopRequested = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    process.on("uncaughtException", (err) => {
      log.error(`internal error, exiting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    });
    try {
      running = await startService(config, log);
    } catch (err) {
      log.error(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    await stopRequested;
    log.info("stopping");
    await running.stop();
    return 0;
  },
};
