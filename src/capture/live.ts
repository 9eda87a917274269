// Live capture: tcpdump writes pcap to a pipe and its stdout feeds the same CaptureReader as files. The privilege to
// capture stays with tcpdump (setcap or root), never with node. Two modes:
// - throughput (the service): `tcpdump -i IF -U -B <KiB> -s 0 -w - [filter]`. Without --immediate-mode libpcap uses
//   TPACKET_V3: the kernel packs packets into blocks of a large ring (-B) and hands a block over when it is full or when
//   tcpdump's 1 s timeout expires, so tcpdump and node wake up once per block instead of once per packet, and a busy
//   box has seconds of buffer instead of a few dozen packets. Latency: at most ~1 s. -U stays: tcpdump writes each
//   packet of the block without stdio buffering, so the last packets before a silence are not held back.
// - immediate (tests, short captures): `--immediate-mode`, each packet handed over as it arrives (TPACKET_V2 ring, one
//   slot per packet: on `lo`, whose MTU is 64 KiB, tcpdump's default 2 MiB buffer holds ~30 packets).
// Drop statistics come from tcpdump's stderr: on SIGUSR1 (Linux tcpdump's SIGINFO substitute) as one line, and at exit
// as three lines; both are parsed into stats() and the counters capture.captured / capture.received / capture.dropped.
// tcpdump dies with node (WATCHDOG): a node killed with SIGKILL would otherwise leave it running, on a quiet interface for
// ever, holding its kernel buffer.
import { spawn } from "node:child_process";
import type { Frame } from "../core/types.ts";
import type { Counters } from "../core/counters.ts";
import { CaptureReader } from "./reader.ts";

/** How often tcpdump is asked for its statistics while running (SIGUSR1). */
export const LIVE_STATS_INTERVAL_MS = 10_000;
/** After stop(), how long tcpdump gets to flush and exit before SIGKILL. */
export const LIVE_STOP_GRACE_MS = 5_000;
/** Kernel capture buffer in throughput mode (tcpdump -B, KiB): ~400,000 small packets, seconds of traffic at 100,000+
 *  packets/s, for when node or tcpdump is briefly descheduled. Kernel memory, outside node's heap. */
export const LIVE_BUFFER_KIB = 64 * 1024;
/** tcpdump's packet buffer timeout (hard-coded in tcpdump, `pcap_set_timeout(…, 1000)`): in throughput mode a packet
 *  reaches node at the latest this long after it was captured. */
export const TCPDUMP_TIMEOUT_MS = 1000;
/** In throughput mode stop() waits this long before SIGINT: tcpdump exits without reading the block the kernel has not
 *  yet handed over, so the packets captured before stop() would otherwise be lost. */
export const LIVE_STOP_FLUSH_MS = TCPDUMP_TIMEOUT_MS + 200;
/** Bytes of tcpdump's stderr kept for error messages. */
const STDERR_KEEP = 4096;

// `sh -c WATCHDOG otwatch-tcpdump <bin> <args…>`: a background subshell blocks reading a pipe whose only write end is in
// node (our stdin, kept as fd 3: a background job's own stdin is /dev/null), then the shell execs tcpdump in its own
// place, so tcpdump keeps the pid node spawned (stop() and SIGUSR1 reach it directly) and writes straight into node's
// stdout pipe, unbuffered by any shell. When node dies, however, the kernel closes the pipe, the read returns and the
// subshell sends SIGTERM to tcpdump. Node also closes the pipe itself when tcpdump exits: the subshell then finds it
// has been reparented (its ppid is no longer tcpdump's pid) and exits without signalling a pid that may be reused.
// Not prctl(PR_SET_PDEATHSIG) (`setpriv --pdeathsig`): the kernel clears it when exec'ing a binary with file
// capabilities (setcap'd tcpdump, the non-root install) and when tcpdump changes uid (-Z).
const WATCHDOG = [
  "bin=$1; shift",
  "exec 3<&0",
  '( while read -r _ <&3; do :; done; read -r _ _ _ ppid _ </proc/self/stat; [ "$ppid" = "$$" ] && kill -TERM "$$" ) </dev/null >/dev/null 2>&1 &',
  'exec "$bin" "$@" </dev/null 3<&-',
].join("\n");
/** sh's exit codes when exec fails: command not found, found but not executable. */
const SH_NOT_FOUND = 127;
const SH_CANNOT_EXEC = 126;

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
  /**
   * true (default): --immediate-mode, every packet handed over as it arrives; for tests and short captures, loses
   * packets from ~10,000 packets/s on a busy box. false: throughput mode (see the header), for long-running capture;
   * packets arrive in batches up to TCPDUMP_TIMEOUT_MS late and stop() takes LIVE_STOP_FLUSH_MS longer.
   */
  immediate?: boolean;
  /** Kernel capture buffer (tcpdump -B) in KiB. Default: LIVE_BUFFER_KIB in throughput mode, libpcap's (2 MiB) otherwise. */
  bufferKiB?: number;
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
  /** tcpdump's process id (undefined when it could not be spawned): for CPU accounting in benchmarks. The watchdog
   *  shell execs tcpdump in its own place, so this is tcpdump itself once "listening" (ready). */
  readonly pid: number | undefined;
}

export function startLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  const { iface, counters } = opts;
  const bin = opts.tcpdumpPath ?? "tcpdump";
  const immediate = opts.immediate ?? true;
  const bufferKiB = opts.bufferKiB ?? (immediate ? undefined : LIVE_BUFFER_KIB);
  const args = ["-i", iface, "-U", ...(immediate ? ["--immediate-mode"] : []), ...(bufferKiB !== undefined ? ["-B", String(bufferKiB)] : [])];
  args.push("-s", String(opts.snaplen ?? 0), "-w", "-");
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
  let stopped: Promise<void> | undefined;

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
  const child = spawn("sh", ["-c", WATCHDOG, "otwatch-tcpdump", bin, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  // Nothing is ever written: the pipe only signals node's death by closing (node closes it itself when tcpdump exits).
  child.stdin.on("error", () => undefined);

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
    failure = new Error(`cannot start ${bin} (through sh): ${err.message}`);
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
    if (!listening && !failure && code === SH_NOT_FOUND) {
      failure = new Error(`${bin} not found: live capture needs tcpdump (Debian: apt-get install tcpdump)`);
    } else if (!listening && !failure && code === SH_CANNOT_EXEC) {
      failure = new Error(`cannot start ${bin}: ${lastError()}`);
    } else if (!listening && !failure && stopping) {
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
    stop(): Promise<void> {
      // One stop sequence however often it is called: a second call must not cut the flush wait short.
      stopped ??= (async () => {
        if (!exited) {
          stopping = true;
          if (!immediate && listening) {
            let flushTimer: NodeJS.Timeout | undefined;
            await Promise.race([new Promise((r) => (flushTimer = setTimeout(r, LIVE_STOP_FLUSH_MS))), done.catch(() => undefined)]);
            clearTimeout(flushTimer);
          }
          if (!exited) {
            child.kill("SIGINT");
            killTimer = setTimeout(() => child.kill("SIGKILL"), LIVE_STOP_GRACE_MS);
            killTimer.unref();
          }
        }
        await done.catch(() => undefined);
      })();
      return stopped;
    },
  };
}
