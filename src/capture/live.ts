// Live capture: tcpdump writes pcap to a pipe (`tcpdump -i IF -U --immediate-mode -s 0 -w - [filter]`) and its stdout
// feeds the same CaptureReader as files. The privilege to capture stays with tcpdump (setcap or root), never with node.
// Drop statistics come from tcpdump's stderr: on SIGUSR1 (Linux tcpdump's SIGINFO substitute) as one line, and at exit
// as three lines; both are parsed into stats() and the counters capture.captured / capture.received / capture.dropped.
import { spawn } from "node:child_process";
import type { Frame } from "../core/types.ts";
import type { Counters } from "../core/counters.ts";
import { CaptureReader } from "./reader.ts";

/** How often tcpdump is asked for its statistics while running (SIGUSR1). */
export const LIVE_STATS_INTERVAL_MS = 10_000;
/** After stop(), how long tcpdump gets to flush and exit before SIGKILL. */
export const LIVE_STOP_GRACE_MS = 5_000;
/** Bytes of tcpdump's stderr kept for error messages. */
const STDERR_KEEP = 4096;

export interface LiveCaptureOptions {
  iface: string;
  /** BPF capture filter, as for tcpdump. */
  filter?: string;
  /** Snap length; 0 (default) = tcpdump's maximum (262144). */
  snaplen?: number;
  onFrame: (f: Frame) => void;
  counters: Counters;
  /** Period of SIGUSR1 statistics requests; 0 disables them (statistics then only at exit). */
  statsIntervalMs?: number;
  /** tcpdump binary (default "tcpdump" from PATH). */
  tcpdumpPath?: string;
}

export interface LiveStats {
  /** Packets tcpdump wrote to the pipe. */
  captured: number;
  /** Packets the kernel filter accepted (on `lo` every packet is seen twice: not a loss). */
  received: number;
  /** Packets dropped by the kernel (buffer full) plus by the interface. */
  dropped: number;
}

export interface LiveCapture {
  /** Resolves once tcpdump is listening; rejects when it cannot start (missing binary, no such interface, bad filter). */
  ready: Promise<void>;
  /** Resolves when tcpdump has exited and every frame has been delivered; rejects on an unexpected failure. */
  done: Promise<void>;
  /** Asks tcpdump to stop (SIGINT: it flushes and prints final statistics); resolves when done has settled. */
  stop(): Promise<void>;
  stats(): LiveStats;
  /** tcpdump's process id (undefined when it could not be spawned): for CPU accounting in benchmarks. */
  readonly pid: number | undefined;
}

export function startLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  const { iface, counters } = opts;
  const bin = opts.tcpdumpPath ?? "tcpdump";
  const args = ["-i", iface, "-U", "--immediate-mode", "-s", String(opts.snaplen ?? 0), "-w", "-"];
  // As root tcpdump drops to the `tcpdump` user after opening the device; keep root so it can write to our pipe freely.
  if (process.getuid?.() === 0) args.push("-Z", "root");
  if (opts.filter) args.push(opts.filter);

  const stats: LiveStats = { captured: 0, received: 0, dropped: 0 };
  let ifDropped = 0;
  let kernelDropped = 0;
  let listening = false;
  let stopping = false;
  let exited = false;
  let failure: Error | undefined;
  let stderrTail = "";
  let lineBuf = "";
  let statsTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  // Callers may await only one of the two: never let the other become an unhandled rejection.
  ready.catch(() => undefined);
  done.catch(() => undefined);

  const reader = new CaptureReader(opts.onFrame, counters);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });

  child.stdout.on("data", (chunk: Buffer) => {
    if (failure) return;
    try {
      reader.push(chunk);
    } catch (e) {
      // A consumer bug must not leave tcpdump running with nobody reading.
      failure = e instanceof Error ? e : new Error(String(e));
      child.kill("SIGTERM");
    }
  });

  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_KEEP);
    lineBuf += text;
    let nl: number;
    while ((nl = lineBuf.indexOf("\n")) >= 0) {
      onStderrLine(lineBuf.slice(0, nl));
      lineBuf = lineBuf.slice(nl + 1);
    }
  });

  function onStderrLine(line: string): void {
    if (!listening && /listening on/.test(line)) {
      listening = true;
      const every = opts.statsIntervalMs ?? LIVE_STATS_INTERVAL_MS;
      // SIGUSR1 only once tcpdump is listening: before its handler is installed the signal would kill it.
      if (every > 0) {
        statsTimer = setInterval(() => {
          if (!exited) child.kill("SIGUSR1");
        }, every);
        statsTimer.unref();
      }
      resolveReady();
      return;
    }
    let m: RegExpExecArray | null;
    let seen = false;
    if ((m = /(\d+) packets? captured/.exec(line))) (stats.captured = Number(m[1])), (seen = true);
    if ((m = /(\d+) packets? received by filter/.exec(line))) (stats.received = Number(m[1])), (seen = true);
    if ((m = /(\d+) packets? dropped by kernel/.exec(line))) (kernelDropped = Number(m[1])), (seen = true);
    if ((m = /(\d+) packets? dropped by interface/.exec(line))) (ifDropped = Number(m[1])), (seen = true);
    if (seen) {
      stats.dropped = kernelDropped + ifDropped;
      counters.set("capture.captured", stats.captured);
      counters.set("capture.received", stats.received);
      counters.set("capture.dropped", stats.dropped);
    }
  }

  function lastError(): string {
    const lines = stderrTail.split("\n").map((l) => l.trim()).filter((l) => l && !/^\(.*\)$/.test(l));
    return lines.slice(-2).join(" ") || "no message";
  }

  child.on("error", (err: NodeJS.ErrnoException) => {
    exited = true;
    failure =
      err.code === "ENOENT"
        ? new Error(`${bin} not found: live capture needs tcpdump (Debian: apt-get install tcpdump)`)
        : new Error(`cannot start ${bin}: ${err.message}`);
    clearInterval(statsTimer);
    rejectReady(failure);
    rejectDone(failure);
  });

  child.on("close", (code, signal) => {
    exited = true;
    clearInterval(statsTimer);
    clearTimeout(killTimer);
    if (lineBuf) onStderrLine(lineBuf);
    reader.end();
    if (!listening && !failure && stopping) {
      rejectReady(new Error(`live capture on "${iface}" stopped before tcpdump was listening`));
    } else if (!listening && !failure) {
      failure = new Error(`tcpdump could not capture on interface "${iface}"${opts.filter ? ` with filter "${opts.filter}"` : ""}: ${lastError()}`);
    } else if (!failure && !stopping && code !== 0) {
      failure = new Error(`tcpdump on "${iface}" exited unexpectedly (${signal ?? `code ${code}`}): ${lastError()}`);
    }
    if (failure) {
      rejectReady(failure);
      rejectDone(failure);
    } else {
      resolveDone();
    }
  });

  return {
    ready,
    done,
    stats: () => ({ ...stats }),
    pid: child.pid,
    async stop(): Promise<void> {
      if (!exited && !stopping) {
        stopping = true;
        child.kill("SIGINT");
        killTimer = setTimeout(() => child.kill("SIGKILL"), LIVE_STOP_GRACE_MS);
        killTimer.unref();
      }
      await done.catch(() => undefined);
    },
  };
}
