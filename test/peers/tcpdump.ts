// Test peer helper: tcpdump writing a loopback capture to a pcap file (ENVIRONMENT.md: `-U --immediate-mode`, wait for
// "listening on" before sending traffic, `-Z root` so the file stays writable). Used by the real-peer tests and the
// scenario generator; the caller always stops it in a finally block. tcpdump runs under a tiny sh watchdog that
// stops it when our stdin pipe closes, so a test worker killed mid-run (timeout, crash) leaves no capture running.
import { spawn } from "node:child_process";

/** Grace between the last packet sent and the stop, so the FIN exchange reaches the capture. */
export const TCPDUMP_SETTLE_MS = 200;
/** After asking tcpdump to stop, how long it gets to flush before SIGKILL. */
export const TCPDUMP_STOP_GRACE_MS = 5_000;

// fd 3 keeps the pipe from node: background jobs of a non-interactive sh get /dev/null as stdin.
const WATCHDOG = [
  'exec 3<&0',
  'tcpdump "$@" </dev/null & pid=$!',
  'echo "tcpdump-pid $pid" >&2',
  '( read -r _ <&3; kill -INT "$pid" 2>/dev/null ) & watcher=$!',
  'wait "$pid"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");

export interface FileCapture {
  readonly file: string;
  /** Packets the kernel dropped (tcpdump's final statistics); known after stop(). */
  dropped(): number;
  /** Flushes and stops tcpdump; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startFileCapture(file: string, filter: string, iface = "lo"): Promise<FileCapture> {
  const args = ["-i", iface, "-U", "--immediate-mode", "-s", "0", "-w", file];
  if (process.getuid?.() === 0) args.push("-Z", "root");
  args.push(filter);
  const child = spawn("sh", ["-c", WATCHDOG, "tcpdump-watchdog", ...args], { stdio: ["pipe", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let pid = 0;
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4096);
      const m = /tcpdump-pid (\d+)/.exec(err);
      if (m) pid = Number(m[1]);
      if (err.includes("listening on")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`tcpdump exited (${code}): ${err.trim()}`)));
  });
  let stopped = false;
  return {
    file,
    dropped: () => Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? 0),
    async stop(): Promise<void> {
      if (!stopped) {
        stopped = true;
        await new Promise((r) => setTimeout(r, TCPDUMP_SETTLE_MS));
        child.stdin.end();
        const killer = setTimeout(() => {
          if (pid > 0) process.kill(pid, "SIGKILL");
          child.kill("SIGKILL");
        }, TCPDUMP_STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      await exited;
    },
  };
}
