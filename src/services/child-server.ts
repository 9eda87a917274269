// A server run as a foreground child process (influxd, mosquitto): spawn, keep the last lines of its output for error
// messages, wait until a readiness probe passes, stop with SIGTERM and await the exit (SIGKILL after STOP_GRACE_MS).
// Servers backgrounded from a shell become zombies on these machines (ENVIRONMENT.md), so Node owns the process.
// startRestartable adds what influxd.ts and mosquitto.ts share: one retry on new ports and restart on the same ones.
import { spawn, type ChildProcess } from "node:child_process";

export const READY_TIMEOUT_MS = 20_000;
export const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 4000;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort: a test or demo that dies without calling stop() must not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGTERM");
  });
}

export interface ChildServer {
  readonly pid: number | undefined;
  /** Output (stdout + stderr) tail, for error messages. */
  output(): string;
  /** Resolves once the process has exited (immediately when it already has). */
  stop(): Promise<void>;
  readonly exited: boolean;
}

export async function startChildServer(
  name: string,
  command: string,
  args: readonly string[],
  ready: () => Promise<boolean>,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<ChildServer> {
  installExitHook();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let tail = "";
  let exited = false;
  let spawnError: Error | undefined;
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  child.once("error", (err) => {
    spawnError = err;
    exited = true;
    running.delete(child);
  });

  const server: ChildServer = {
    pid: child.pid,
    output: () => tail,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exitPromise;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`${name}: cannot start ${command}: ${spawnError.message}`);
    if (exited) throw new Error(`${name} exited during start-up:\n${tail}`);
    if (await ready()) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A launched server that can be restarted with the same configuration (outage tests). */
export interface RestartableServer {
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stops (if running) and launches again. */
  restart(): Promise<void>;
}

/**
 * Launches once; when that fails and `newPorts` is given (the ports were picked, not fixed by the caller), another
 * process may have taken a free port between the probe and the bind: newPorts() picks others and launch runs once more.
 */
export async function startRestartable(launch: () => Promise<ChildServer>, newPorts?: () => Promise<void>): Promise<RestartableServer> {
  let child: ChildServer;
  try {
    child = await launch();
  } catch (err) {
    if (newPorts === undefined) throw err;
    await newPorts();
    child = await launch();
  }
  return {
    get pid() {
      return child.pid;
    },
    stop: () => child.stop(),
    async restart() {
      await child.stop();
      child = await launch();
    },
  };
}
