// Live capture through real tcpdump on `lo`: UDP datagrams and a TCP connection between 127.77.0.2 and 127.77.0.1 (an
// address used by no other test) arrive decoded with the right addresses, ports and payloads; statistics are parsed;
// a missing interface or binary is a clear error; tcpdump dies with the node process that started it (SIGKILL included).
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { createServer, connect, type Server } from "node:net";
import { Counters } from "../core/counters.ts";
import { createPacket, decodeFrame } from "../decode/decode.ts";
import { formatIp } from "../decode/format.ts";
import { LIVE_STOP_FLUSH_MS, startLiveCapture, type LiveCapture } from "./live.ts";

const SERVER = "127.77.0.1";
const CLIENT = "127.77.0.2";
const UDP_PORT = 47_001;
const TCP_PORT = 47_002;

let live: LiveCapture | undefined;
afterEach(async () => {
  await live?.stop();
  live = undefined;
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** Pids of processes (tcpdump and its watchdog) whose command line contains `text`. */
function pgrep(text: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", text]).toString().trim().split("\n").map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe("live capture (tcpdump)", () => {
  it("captures UDP and TCP on lo with a filter and decodes them", async () => {
    const counters = new Counters();
    const pkt = createPacket();
    const seen: string[] = [];
    live = startLiveCapture({
      iface: "lo",
      filter: `host ${SERVER} and (udp port ${UDP_PORT} or tcp port ${TCP_PORT})`,
      counters,
      statsIntervalMs: 200,
      onFrame: (f) => {
        if (!decodeFrame(f, pkt, counters)) return;
        seen.push(`${pkt.proto} ${formatIp(pkt.srcIp)}:${pkt.srcPort} > ${formatIp(pkt.dstIp)}:${pkt.dstPort} ${Buffer.from(pkt.payload).toString()} #${f.index}`);
      },
    });
    await live.ready;

    const rx = createSocket("udp4");
    await new Promise<void>((r) => rx.bind(UDP_PORT, SERVER, () => r()));
    const tx = createSocket("udp4");
    await new Promise<void>((r) => tx.bind(0, CLIENT, () => r()));
    const txPort = tx.address().port;
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => tx.send(`udp-${i}`, UDP_PORT, SERVER, () => r()));

    const server: Server = createServer((s) => s.on("data", () => s.end()));
    await new Promise<void>((r) => server.listen(TCP_PORT, SERVER, () => r()));
    const sock = connect({ host: SERVER, port: TCP_PORT, localAddress: CLIENT });
    await new Promise<void>((r) => sock.on("connect", () => r()));
    const tcpPort = sock.localPort!;
    sock.write("hello-modbus");
    await new Promise<void>((r) => sock.on("close", () => r()));

    await waitFor(() => seen.some((s) => s.includes("hello-modbus")) && seen.filter((s) => s.startsWith("17 ")).length >= 5, 5000);
    // Let one SIGUSR1 statistics line arrive while running.
    await waitFor(() => live!.stats().captured > 0, 2000);
    const running = live.stats();
    await live.stop();
    await live.done;
    rx.close();
    tx.close();
    server.close();

    const udp = seen.filter((s) => s.startsWith("17 "));
    expect(udp.map((s) => s.replace(/ #\d+$/, ""))).toEqual([0, 1, 2, 3, 4].map((i) => `17 ${CLIENT}:${txPort} > ${SERVER}:${UDP_PORT} udp-${i}`));
    expect(seen.some((s) => s.startsWith(`6 ${CLIENT}:${tcpPort} > ${SERVER}:${TCP_PORT} hello-modbus`))).toBe(true);
    expect(seen.some((s) => s.startsWith(`6 ${SERVER}:${TCP_PORT} > ${CLIENT}:${tcpPort}`))).toBe(true);
    // Frame numbers run 1..n without gaps.
    expect(seen.map((s) => Number(s.split("#")[1]))).toEqual(seen.map((_, i) => i + 1));

    const final = live.stats();
    expect(running.captured).toBeGreaterThan(0);
    expect(final.captured).toBe(seen.length);
    expect(final.received).toBeGreaterThanOrEqual(final.captured);
    expect(final.dropped).toBe(0);
    expect(counters.get("capture.received")).toBe(final.received);
    expect(counters.get("capture.dropped")).toBe(0);
    expect(counters.get("capture.truncated-record")).toBe(0);
  });

  it("throughput mode (no --immediate-mode, big buffer) delivers every packet, those right before stop() included", async () => {
    const counters = new Counters();
    const pkt = createPacket();
    const got: string[] = [];
    live = startLiveCapture({
      iface: "lo",
      filter: `host ${SERVER} and udp port ${UDP_PORT + 10}`,
      counters,
      statsIntervalMs: 0,
      immediate: false,
      bufferKiB: 4096,
      onFrame: (f) => {
        if (decodeFrame(f, pkt, counters)) got.push(Buffer.from(pkt.payload).toString());
      },
    });
    await live.ready;
    const tx = createSocket("udp4");
    await new Promise<void>((r) => tx.bind(0, CLIENT, () => r()));
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => tx.send(`batch-${i}`, UDP_PORT + 10, SERVER, () => r()));
    tx.close();
    // Stopped at once: the kernel has not handed over its block yet; stop() must wait for it rather than lose it.
    const t0 = Date.now();
    await live.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(LIVE_STOP_FLUSH_MS - 50);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `batch-${i}`));
    expect(live.stats()).toMatchObject({ captured: 20, dropped: 0 });
    // Neither tcpdump nor its watchdog outlives a normal stop.
    await waitFor(() => pgrep(`udp port ${UDP_PORT + 10}`).length === 0, 3000);
    expect(pgrep(`udp port ${UDP_PORT + 10}`)).toEqual([]);
  });

  it("tcpdump dies when the node process that started it is killed with SIGKILL", async () => {
    // The filter reaches the child through the environment, so only tcpdump (and its watchdog) carry it in argv.
    const filter = "host 127.77.0.3 and udp port 47077";
    const liveTs = fileURLToPath(new URL("./live.ts", import.meta.url));
    const code = [
      `const { startLiveCapture } = await import(${JSON.stringify(liveTs)});`,
      `const { Counters } = await import(${JSON.stringify(fileURLToPath(new URL("../core/counters.ts", import.meta.url)))});`,
      `const live = startLiveCapture({ iface: "lo", filter: process.env.LIVE_FILTER, immediate: false, onFrame: () => {}, counters: new Counters() });`,
      `await live.ready; console.log("ready " + live.pid); setInterval(() => {}, 1000);`,
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      env: { ...process.env, LIVE_FILTER: filter },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const tcpdumpPid = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          const m = /ready (\d+)/.exec((out += d.toString()));
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (c) => reject(new Error(`child exited (${c}) before capturing`)));
      });
      // LiveCapture.pid is tcpdump itself (SIGUSR1 goes there), a direct child of the node process.
      expect(pgrep(filter)).toContain(tcpdumpPid);
      expect(execFileSync("ps", ["-o", "comm=,ppid=", "-p", String(tcpdumpPid)]).toString().trim().split(/\s+/)).toEqual(["tcpdump", String(child.pid)]);
      child.kill("SIGKILL");
      await waitFor(() => pgrep(filter).length === 0, 5000);
      expect(pgrep(filter)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      for (const pid of pgrep(filter)) process.kill(pid, "SIGKILL");
    }
  });

  it("a missing interface rejects ready and done with tcpdump's reason", async () => {
    live = startLiveCapture({ iface: "nosuchif0", onFrame: () => undefined, counters: new Counters() });
    await expect(live.ready).rejects.toThrow(/nosuchif0.*No such device/);
    await expect(live.done).rejects.toThrow(/nosuchif0/);
  });

  it("a bad filter is reported", async () => {
    live = startLiveCapture({ iface: "lo", filter: "port not-a-port-at-all", onFrame: () => undefined, counters: new Counters() });
    await expect(live.ready).rejects.toThrow(/filter/);
  });

  it("a missing tcpdump binary is a clear error", async () => {
    live = startLiveCapture({ iface: "lo", onFrame: () => undefined, counters: new Counters(), tcpdumpPath: "/nonexistent/tcpdump" });
    await expect(live.ready).rejects.toThrow(/not found.*apt-get install tcpdump/);
    await expect(live.done).rejects.toThrow(/not found/);
  });
});
