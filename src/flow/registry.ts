// Dissector selection (issue 2 item 4; STYLE "ports first, then heuristics", like Wireshark's dissector tables and
// heuristic dissectors): the server port picks a dissector when one registered it; otherwise each candidate's content
// probe looks at the first bytes of either direction (yes / no / more) until one says yes, all say no, or the bounded
// number of attempts is spent. The bytes seen while probing are kept (copied, bounded) so the chosen session gets them.

import type { Dir, Dissector, ProbeVerdict } from "../core/types.ts";
import { type ByteBudget, unlimitedBudget } from "./budget.ts";

/** Payload chunks (segments or datagrams, either direction) probed before giving up on a flow. */
export const MAX_PROBE_CHUNKS = 8;
/** Bytes kept per flow while probing; beyond this the flow is given up. */
export const MAX_PROBE_BYTES = 8 * 1024;

export type Transport = "tcp" | "udp";

export class Registry {
  readonly dissectors: readonly Dissector[];
  private readonly ports: [Map<number, Dissector>, Map<number, Dissector>] = [new Map(), new Map()];
  private readonly byTransport: [Dissector[], Dissector[]] = [[], []];

  constructor(dissectors: readonly Dissector[]) {
    this.dissectors = dissectors;
    for (const d of dissectors) {
      const t = d.transport === "tcp" ? 0 : 1;
      this.byTransport[t].push(d);
      // The first dissector to claim a port keeps it (order of protocols/index.ts).
      for (const p of d.ports) if (!this.ports[t].has(p)) this.ports[t].set(p, d);
    }
  }

  byPort(transport: Transport, port: number): Dissector | undefined {
    return this.ports[transport === "tcp" ? 0 : 1].get(port);
  }

  isServerPort(transport: Transport, port: number): boolean {
    return this.ports[transport === "tcp" ? 0 : 1].has(port);
  }

  /** Dissectors whose probes are tried for a flow of this transport. */
  candidates(transport: Transport): readonly Dissector[] {
    return this.byTransport[transport === "tcp" ? 0 : 1];
  }
}

/** Runs one probe; the pipeline supplies it so a throwing probe is caught at the single session boundary. */
export interface ProbeRunner {
  runProbe(d: Dissector, data: Uint8Array, dir: Dir): ProbeVerdict;
}

export interface ProbeChunk {
  readonly dir: Dir;
  readonly data: Uint8Array;
}

/** Per-flow probing state. */
export class ProbeState {
  /** Copies of the chunks seen so far, in arrival order, to replay into the chosen session. */
  readonly chunks: ProbeChunk[] = [];
  private bytes = 0;
  /** Bytes reserved in the budget (chunk copies and prefixes). */
  private held = 0;
  /** Set when the assembly budget ran out: the caller gives up on the flow. */
  exhausted = false;
  private readonly prefix: [Uint8Array | undefined, Uint8Array | undefined] = [undefined, undefined];
  private readonly excluded: boolean[];

  constructor(
    private readonly candidates: readonly Dissector[],
    /** TCP: probes see the concatenated first bytes of a direction; UDP: each datagram alone. */
    private readonly stream: boolean,
    private readonly budget: ByteBudget = unlimitedBudget(),
  ) {
    this.excluded = candidates.map(() => false);
  }

  /** Returns the reserved bytes to the budget; the chunks must not be used afterwards. */
  release(): void {
    this.budget.release(this.held);
    this.held = 0;
    this.chunks.length = 0;
    this.prefix[0] = this.prefix[1] = undefined;
  }

  /**
   * Adds a chunk and runs the probes still in the running. Returns the chosen dissector, null when none can match (all
   * said no, or the attempt/byte budget is spent), undefined while undecided.
   */
  feed(dir: Dir, data: Uint8Array, runner: ProbeRunner): Dissector | null | undefined {
    if (this.candidates.length === 0) return null;
    const prev = this.stream ? this.prefix[dir] : undefined;
    const cost = data.length + (this.stream ? data.length + (prev?.length ?? 0) : 0);
    if (!this.budget.take(cost)) {
      this.exhausted = true;
      return null;
    }
    this.held += cost;
    const copy = new Uint8Array(data);
    this.chunks.push({ dir, data: copy });
    this.bytes += copy.length;
    let view = copy;
    if (this.stream) {
      view = new Uint8Array((prev?.length ?? 0) + copy.length);
      if (prev !== undefined) {
        view.set(prev, 0);
        this.budget.release(prev.length);
        this.held -= prev.length;
      }
      view.set(copy, prev?.length ?? 0);
      this.prefix[dir] = view;
    }
    let open = 0;
    for (let i = 0; i < this.candidates.length; i++) {
      if (this.excluded[i]) continue;
      const d = this.candidates[i] as Dissector;
      const v = runner.runProbe(d, view, dir);
      if (v === "yes") return d;
      if (v === "no") this.excluded[i] = true;
      else open++;
    }
    if (open === 0 || this.chunks.length >= MAX_PROBE_CHUNKS || this.bytes >= MAX_PROBE_BYTES) return null;
    return undefined;
  }
}
