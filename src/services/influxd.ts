// Starts a private InfluxDB 1.x (`influxd run -config FILE`, Debian package) as a child process for tests and the demo:
// loopback only (HTTP and the RPC bind-address), meta/data/wal inside `dir`, usage reporting and the _internal monitor
// store off. Ready when GET /ping answers 204. `restart()` keeps the port and the data folder (outage tests).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startChildServer, startRestartable, type ChildServer } from "./child-server.ts";
import { freePort } from "./free-port.ts";

export interface InfluxdOptions {
  /** State folder (created); holds influxd.conf, meta/, data/, wal/. Reusing it keeps the data. */
  dir: string;
  /** HTTP port; a free one when omitted. */
  port?: number;
  /** RPC (backup/restore) port; a free one when omitted. */
  rpcPort?: number;
  /** Binary, default "influxd". */
  command?: string;
}

export interface InfluxdHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port with the same data folder. */
  restart(): Promise<void>;
}

export function influxdConfig(dir: string, port: number, rpcPort: number): string {
  const q = (p: string): string => JSON.stringify(p);
  return [
    "reporting-enabled = false",
    `bind-address = "127.0.0.1:${rpcPort}"`,
    "[meta]",
    `  dir = ${q(join(dir, "meta"))}`,
    "[data]",
    `  dir = ${q(join(dir, "data"))}`,
    `  wal-dir = ${q(join(dir, "wal"))}`,
    "  query-log-enabled = false",
    "[monitor]",
    "  store-enabled = false",
    "[http]",
    "  enabled = true",
    `  bind-address = "127.0.0.1:${port}"`,
    "  log-enabled = false",
    "[continuous_queries]",
    "  log-enabled = false",
    "",
  ].join("\n");
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

export async function startInfluxd(opts: InfluxdOptions): Promise<InfluxdHandle> {
  mkdirSync(opts.dir, { recursive: true });
  const fixedPorts = opts.port !== undefined;
  let port = opts.port ?? (await freePort());
  let rpcPort = opts.rpcPort ?? (await freePort());
  const command = opts.command ?? "influxd";
  const confPath = join(opts.dir, "influxd.conf");

  const launch = async (): Promise<ChildServer> => {
    writeFileSync(confPath, influxdConfig(opts.dir, port, rpcPort));
    const url = `http://127.0.0.1:${port}`;
    return startChildServer("influxd", command, ["run", "-config", confPath], () => ping(url));
  };

  const server = await startRestartable(
    launch,
    fixedPorts
      ? undefined
      : async () => {
          port = await freePort();
          rpcPort = opts.rpcPort ?? (await freePort());
        },
  );

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir: opts.dir,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    restart: () => server.restart(),
  };
}
