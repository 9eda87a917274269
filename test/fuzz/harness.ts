// The fuzz driver (issue 2 item 10): mutated messages of one dissector, on many concurrent TCP (or UDP) flows over IPv4
// or IPv6, tagged or not — some opened with a handshake, some picked up mid-stream, some on a random port (content
// probes), some only ever sending requests (pending-request floods), with SYN-scan bursts filling the flow table — cut
// into segments at random offsets, sometimes reordered, duplicated, overlapped or lost, sometimes with damaged IP/TCP
// headers, pushed frame by frame through the whole Pipeline (frame → decode → flow table → reassembly → framer →
// session). Packet time jumps now and then, so idle expiry and transaction timeouts run too.
// Everything is a function of the seed: a failure is reproduced by (target, seed, packet count).
import { Counters } from "../../src/core/counters.ts";
import type { Dir, Dissector, EventBase } from "../../src/core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from "../../src/core/types.ts";
import { Pipeline, type PipelineLimits } from "../../src/pipeline.ts";
import { type Endpoint, FrameWriter } from "./frames.ts";
import { createMutator, type Seed } from "./mutate.ts";
import { Prng } from "./prng.ts";
import { type Crash, recordCrashes } from "./stacks.ts";

export interface FuzzTarget {
  name: string;
  /** The dissector under test first; others may follow (content probes then have competition). */
  dissectors: readonly Dissector[];
  transport: "tcp" | "udp";
  port: number;
  seeds: readonly Seed[];
  /** A valid request with a unique id (n): flood flows send these and never get an answer (pending-request limit). */
  floodRequest?: (n: number) => Uint8Array;
}

export interface FuzzOptions {
  packets: number;
  seed: number;
  /** Concurrent flows the driver keeps open. */
  flows?: number;
  limits?: Partial<PipelineLimits>;
}

export interface FuzzResult {
  target: string;
  packets: number;
  seconds: number;
  events: number;
  /** Sum of weird.* counters (malformed, bad-length, flooded, …). */
  weird: number;
  /** Sum of internal.* counters: bugs. */
  internal: number;
  /** Exceptions that escaped Pipeline.handleFrame (bugs in the core). */
  escaped: number;
  crashes: Crash[];
  /** Peak of heapUsed + arrayBuffers (payload copies live outside the JS heap), sampled every few thousand packets. */
  peakMemBytes: number;
  /** heapUsed + arrayBuffers after a full GC at the end, with the pipeline (and its flows) still alive. */
  memAfterGcBytes: number;
  maxActiveFlows: number;
  flowLimit: number;
  counters: Record<string, number>;
}

/** Default limits for fuzz runs: a flow cap just above the flows the driver keeps open; scan bursts push past it. */
export const FUZZ_LIMITS: Partial<PipelineLimits> = { maxFlows: 56 };
const DEFAULT_FLOWS = 48;
const MEM_SAMPLE_EVERY = 4096;

/** JS heap plus ArrayBuffer backing stores: what hostile input could make the pipeline hold. */
export function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface DriverFlow {
  vlan: number;
  ipv6: boolean;
  client: Endpoint;
  server: Endpoint;
  seq: [number, number];
  left: number;
  flood: boolean;
}

type Gc = () => void;

export function runFuzz(target: FuzzTarget, opts: FuzzOptions, gc?: Gc): FuzzResult {
  const rng = new Prng(opts.seed);
  const mutator = createMutator(rng, target.seeds);
  const byDir: [Seed[], Seed[]] = [target.seeds.filter((s) => s.dir === 0), target.seeds.filter((s) => s.dir === 1)];
  const crashes: Crash[] = [];
  const counters = new Counters();
  let events = 0;
  const limits = { ...FUZZ_LIMITS, ...opts.limits };
  const pipeline = new Pipeline({
    dissectors: target.dissectors.map((d) => recordCrashes(d, crashes)),
    onEvent: (_e: EventBase) => {
      events++;
    },
    counters,
    limits,
  });
  const w = new FrameWriter();
  let ts = 1_700_000_000;
  let index = 0;
  let escaped = 0;
  let peakMem = 0;
  let maxActive = 0;
  let nextPort = 1024;
  let hostSeq = 0;
  let floodSeq = 0;

  /** Lost and damaged frames and segments, off for flood flows (a gap would reset what they are testing). */
  let hostile = true;
  const send = (f: ReturnType<FrameWriter["tcp"]>): void => {
    f.index = ++index;
    f.ts = ts;
    if (hostile && rng.chance(0.01)) w.corrupt(rng);
    try {
      pipeline.handleFrame(f);
    } catch (err) {
      escaped++;
      if (crashes.length < 20) {
        crashes.push({ dissector: "pipeline", op: "handleFrame", dir: undefined, inputHex: Buffer.from(f.data).toString("hex"), stack: err instanceof Error ? (err.stack ?? String(err)) : String(err) });
      }
    }
    if ((index & (MEM_SAMPLE_EVERY - 1)) === 0) {
      const m = usedMemory();
      if (m > peakMem) peakMem = m;
    }
    if (pipeline.activeFlows > maxActive) maxActive = pipeline.activeFlows;
  };

  const newFlow = (): DriverFlow => {
    hostSeq++;
    nextPort = nextPort >= 65535 ? 1024 : nextPort + 1;
    const flood = rng.chance(0.05);
    const f: DriverFlow = {
      vlan: rng.chance(0.1) ? rng.int(4096) : -1,
      ipv6: rng.chance(0.1),
      client: { ip: (10 << 24) | (1 << 16) | ((hostSeq >> 8) & 0xff) << 8 | (hostSeq & 0xff), port: nextPort },
      // Some flows on a random port, found (or not) by content probes; floods stay on the well-known port so that the
      // roles are certain.
      server: { ip: (10 << 24) | (2 << 16) | rng.int(4), port: flood || rng.chance(0.85) ? target.port : rng.range(1, 65535) },
      seq: [rng.u32(), rng.u32()],
      // Floods: enough bursts to pass the pending limit, not so many that they crowd out everything else.
      left: flood ? rng.range(20, 40) : rng.chance(0.5) ? rng.range(2, 40) : rng.range(40, 3000),
      flood,
    };
    w.vlan = f.vlan;
    w.ipv6 = f.ipv6;
    if (target.transport === "tcp" && rng.chance(0.5)) {
      send(w.tcp(f.client, f.server, f.seq[0], 0, TCP_SYN, EMPTY));
      f.seq[0] = (f.seq[0] + 1) >>> 0;
      if (rng.chance(0.9)) {
        send(w.tcp(f.server, f.client, f.seq[1], f.seq[0], TCP_SYN | TCP_ACK, EMPTY));
        f.seq[1] = (f.seq[1] + 1) >>> 0;
        send(w.tcp(f.client, f.server, f.seq[0], f.seq[1], TCP_ACK, EMPTY));
      }
    }
    return f;
  };

  const closeFlow = (f: DriverFlow): void => {
    if (target.transport !== "tcp") return;
    w.vlan = f.vlan;
    w.ipv6 = f.ipv6;
    if (rng.chance(0.3)) {
      send(w.tcp(f.client, f.server, f.seq[0], f.seq[1], TCP_RST | TCP_ACK, EMPTY));
      return;
    }
    send(w.tcp(f.client, f.server, f.seq[0], f.seq[1], TCP_FIN | TCP_ACK, EMPTY));
    if (rng.chance(0.8)) send(w.tcp(f.server, f.client, f.seq[1], f.seq[0] + 1, TCP_FIN | TCP_ACK, EMPTY));
  };

  /** One direction's bytes as TCP segments: cut at random offsets, then sometimes reordered, duplicated or lost. */
  const sendTcp = (f: DriverFlow, dir: Dir, bytes: Uint8Array): void => {
    const [src, dst] = dir === 0 ? [f.client, f.server] : [f.server, f.client];
    const cuts: number[] = [0];
    if (bytes.length > 1 && rng.chance(0.4)) {
      const k = rng.range(1, Math.min(6, bytes.length - 1));
      for (let i = 0; i < k; i++) cuts.push(rng.range(1, bytes.length - 1));
      cuts.sort((a, b) => a - b);
    }
    cuts.push(bytes.length);
    const base = f.seq[dir];
    const segs: [number, number][] = [];
    for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) segs.push([cuts[i]!, cuts[i + 1]!]);
    if (segs.length > 1 && rng.chance(0.05)) {
      const i = rng.int(segs.length - 1);
      [segs[i], segs[i + 1]] = [segs[i + 1]!, segs[i]!];
    }
    if (segs.length > 0 && rng.chance(0.03)) segs.splice(rng.int(segs.length), 0, segs[rng.int(segs.length)]!);
    if (hostile && segs.length > 1 && rng.chance(0.01)) segs.splice(rng.int(segs.length), 1);
    const ack = f.seq[dir === 0 ? 1 : 0];
    for (const [a, e] of segs) {
      if (rng.chance(0.01) && a > 4) {
        // Overlap: a segment starting before the current one, its first bytes different (first copy must win).
        const junk = bytes.slice(a - 4, e);
        junk[0]! ^= 0xff;
        send(w.tcp(src, dst, (base + a - 4) >>> 0, ack, TCP_PSH | TCP_ACK, junk));
      }
      send(w.tcp(src, dst, (base + a) >>> 0, ack, TCP_PSH | TCP_ACK, bytes.subarray(a, e)));
    }
    f.seq[dir] = (base + bytes.length) >>> 0;
    if (hostile && rng.chance(0.005)) f.seq[dir] = (f.seq[dir] + rng.range(1, 5000)) >>> 0;
  };

  const pool: DriverFlow[] = [];
  const nFlows = opts.flows ?? DEFAULT_FLOWS;
  const t0 = process.hrtime.bigint();
  while (index < opts.packets) {
    const r = rng.u32() & 0xffff;
    if (r < 3) ts += 400;
    else if (r < 30) ts += 11;
    else ts += rng.int(10) / 1000;
    if (target.transport === "tcp" && rng.chance(0.002)) {
      w.vlan = -1;
      w.ipv6 = false;
      // A SYN scan: half-open flows fill the table, so the flow cap and eviction are exercised.
      const scanner: Endpoint = { ip: (10 << 24) | (9 << 16) | rng.int(256), port: rng.range(1024, 65535) };
      for (let i = rng.range(5, 30); i > 0; i--) {
        send(w.tcp(scanner, { ip: (10 << 24) | (2 << 16) | rng.int(4), port: rng.range(1, 65535) }, rng.u32(), 0, TCP_SYN, EMPTY));
      }
    }
    const slot = rng.int(nFlows);
    let f = pool[slot];
    if (f === undefined || f.left <= 0) {
      if (f !== undefined && rng.chance(0.8)) closeFlow(f);
      f = newFlow();
      pool[slot] = f;
    }
    f.left--;
    w.vlan = f.vlan;
    w.ipv6 = f.ipv6;
    const seedDir: Dir = f.flood ? 0 : rng.chance(0.5) ? 0 : 1;
    const group = byDir[seedDir].length > 0 ? byDir[seedDir] : target.seeds;
    let dir: Dir = seedDir;
    if (!f.flood && rng.chance(0.05)) dir = dir === 0 ? 1 : 0;
    let msg: Uint8Array;
    const flood = target.floodRequest;
    hostile = !f.flood;
    if (f.flood && flood !== undefined) {
      // A burst of unanswered requests with distinct ids: the session's pending limit must hold (packet time moves
      // slower than the transaction timeout within a burst).
      const reqs: Uint8Array[] = [];
      for (let i = rng.range(20, 60); i > 0; i--) reqs.push(flood(++floodSeq));
      msg = joinAll(reqs);
    } else {
      const n = rng.chance(0.75) ? 1 : rng.range(2, 4);
      msg = mutator.mutate(rng.pick(group));
      for (let i = 1; i < n; i++) msg = joinAll([msg, rng.chance(0.1) ? rng.bytes(rng.range(1, 16)) : mutator.mutate(rng.pick(group))]);
    }
    if (target.transport === "udp") {
      const [src, dst] = dir === 0 ? [f.client, f.server] : [f.server, f.client];
      send(w.udp(src, dst, msg));
      if (rng.chance(0.02)) send(w.udp(src, dst, msg));
    } else if (msg.length > 0) {
      sendTcp(f, dir, msg);
    }
  }
  const m = usedMemory();
  if (m > peakMem) peakMem = m;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  gc?.();
  const memAfterGc = usedMemory();
  try {
    pipeline.finish();
  } catch (err) {
    escaped++;
    crashes.push({ dissector: "pipeline", op: "finish", dir: undefined, inputHex: "", stack: err instanceof Error ? (err.stack ?? String(err)) : String(err) });
  }
  return {
    target: target.name,
    packets: index,
    seconds,
    events,
    weird: counters.sum("weird."),
    internal: counters.sum("internal."),
    escaped,
    crashes,
    peakMemBytes: peakMem,
    memAfterGcBytes: memAfterGc,
    maxActiveFlows: maxActive,
    flowLimit: pipeline.limits.maxFlows,
    counters: counters.snapshot(),
  };
}

const EMPTY = new Uint8Array(0);

function joinAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
