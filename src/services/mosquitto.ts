// Starts a private Mosquitto 2.x broker (`mosquitto -c FILE`, never -d) as a child process for tests and the demo:
// one listener on 127.0.0.1, anonymous unless a password file is given, optional TLS listener, persistence off unless
// asked (the outage test keeps subscriber sessions across a broker restart). Ready when the port accepts connections.
// Started as root it would switch to the `mosquitto` user before reading password/cert files: `user root` avoids that.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startChildServer, startRestartable, type ChildServer } from "./child-server.ts";
import { freePort, portAccepts } from "./free-port.ts";

export interface MosquittoTls {
  /** PEM files: CA, server certificate (subjectAltName IP:127.0.0.1), server key. */
  ca: string;
  cert: string;
  key: string;
  /** TLS listener port; a free one when omitted. */
  port?: number;
  /** Require client certificates signed by `ca`. */
  requireCertificate?: boolean;
}

export interface MosquittoOptions {
  /** State folder (created); holds mosquitto.conf and, with persistence, mosquitto.db. */
  dir: string;
  port?: number;
  /** mosquitto_passwd file; when set, anonymous clients are refused. */
  passwordFile?: string;
  tls?: MosquittoTls;
  /** Keep sessions and retained messages across restarts (in `dir`). Default false. */
  persistence?: boolean;
  command?: string;
}

export interface MosquittoHandle {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** mqtts://127.0.0.1:<tlsPort> when TLS was configured. */
  readonly tlsUrl: string | undefined;
  readonly tlsPort: number | undefined;
  readonly dir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export function mosquittoConfig(opts: MosquittoOptions, port: number, tlsPort: number | undefined): string {
  const lines: string[] = [];
  if (process.getuid?.() === 0) lines.push("user root");
  lines.push("per_listener_settings false");
  lines.push(`persistence ${opts.persistence ? "true" : "false"}`);
  if (opts.persistence) lines.push(`persistence_location ${opts.dir}/`, "autosave_interval 1");
  lines.push("log_dest stderr", "log_type error", "log_type warning");
  if (opts.passwordFile) lines.push("allow_anonymous false", `password_file ${opts.passwordFile}`);
  else lines.push("allow_anonymous true");
  lines.push(`listener ${port} 127.0.0.1`);
  if (opts.tls && tlsPort !== undefined) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`);
    if (opts.tls.requireCertificate) lines.push("require_certificate true");
  }
  return lines.join("\n") + "\n";
}

export async function startMosquitto(opts: MosquittoOptions): Promise<MosquittoHandle> {
  mkdirSync(opts.dir, { recursive: true });
  const fixedPorts = opts.port !== undefined;
  let port = opts.port ?? (await freePort());
  let tlsPort = opts.tls ? (opts.tls.port ?? (await freePort())) : undefined;
  const command = opts.command ?? "mosquitto";
  const confPath = join(opts.dir, "mosquitto.conf");

  const launch = async (): Promise<ChildServer> => {
    writeFileSync(confPath, mosquittoConfig(opts, port, tlsPort));
    const ready = async (): Promise<boolean> =>
      (await portAccepts(port)) && (tlsPort === undefined || (await portAccepts(tlsPort)));
    return startChildServer("mosquitto", command, ["-c", confPath], ready);
  };

  const server = await startRestartable(
    launch,
    fixedPorts
      ? undefined
      : async () => {
          port = await freePort();
          if (opts.tls && opts.tls.port === undefined) tlsPort = await freePort();
        },
  );

  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get tlsUrl() {
      return tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${tlsPort}`;
    },
    get tlsPort() {
      return tlsPort;
    },
    dir: opts.dir,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    restart: () => server.restart(),
  };
}

/** Writes a mosquitto password file with one user (via `mosquitto_passwd -b -c`). */
export async function writeMosquittoPasswordFile(path: string, user: string, password: string): Promise<void> {
  const { execFile } = await import("node:child_process");
  await new Promise<void>((resolve, reject) => {
    execFile("mosquitto_passwd", ["-b", "-c", path, user, password], (err) => (err ? reject(err) : resolve()));
  });
}
