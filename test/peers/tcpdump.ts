// Test peer helper: tcpdump writing a loopback capture to a pcap file (ENVIRONMENT.md: `-U --immediate-mode`, wait for
// "listening on" before sending traffic, `-Z root` so the file stays writable). Used by the real-peer tests and the
// scenario generator; the caller always stops it in a finally block.
import { spawn, type ChildProcess } from "node:child_process";

/** Grace between the last packet sent and SIGINT, so the FIN exchange reaches the capture. */
export const TCPDUMP_SETTLE_MS = 200;
/** After SIGINT, how long tcpdump gets to flush before SIGKILL. */
export const TCPDUMP_STOP_GRACE_MS = 5_000;

export interface FileCapture {
  readonly file: string;
  /** Flushes and stops tcpdump; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startFileCapture(file: string, filter: string, iface = "lo"): Promise<FileCapture> {
  const args = ["-i", iface, "-U", "--immediate-mode", "-s", "0", "-w", file];
  if (process.getuid?.() === 0) args.push("-Z", "root");
  args.push(filter);
  const child: ChildProcess = spawn("tcpdump", args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`tcpdump exited (${code}): ${err.trim()}`)));
  });
  let stopped = false;
  return {
    file,
    async stop(): Promise<void> {
      if (!stopped) {
        stopped = true;
        await new Promise((r) => setTimeout(r, TCPDUMP_SETTLE_MS));
        child.kill("SIGINT");
        const killer = setTimeout(() => child.kill("SIGKILL"), TCPDUMP_STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      await exited;
    },
  };
}
