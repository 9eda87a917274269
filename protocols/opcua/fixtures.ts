// Test fixtures (used only by *.test.ts): annotated hex → bytes, a small little-endian writer for OPC UA primitives
// (Part 6 §5.2), UA TCP message builders (Part 6 §7.1, §6.7) and a recording SessionContext.

import type { Dir, EventBase, FlowInfo, SessionContext, WeirdEvent } from "../../src/core/types.ts";

/** Hex with `#` comments and any whitespace → bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (clean.length % 2 !== 0) throw new Error(`odd hex length ${clean.length}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

export class Writer {
  private parts: number[] = [];

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  i32(v: number): this {
    return this.u32(v >>> 0);
  }
  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.raw(b);
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(s: string | undefined): this {
    if (s === undefined) return this.i32(-1);
    const b = new TextEncoder().encode(s);
    return this.i32(b.length).raw(b);
  }
  bytes(b: Uint8Array | undefined): this {
    if (b === undefined) return this.i32(-1);
    return this.i32(b.length).raw(b);
  }
  /** Numeric NodeId in the smallest encoding (two-byte, four-byte or numeric). */
  nodeId(id: number, ns = 0): this {
    if (ns === 0 && id < 256) return this.u8(0).u8(id);
    if (ns < 256 && id < 65536) return this.u8(1).u8(ns).u16(id);
    return this.u8(2).u16(ns).u32(id);
  }
  stringNodeId(ns: number, s: string): this {
    return this.u8(3).u16(ns).string(s);
  }
  /** RequestHeader (Part 4 §7.33) with a two-byte null auth token unless given. */
  requestHeader(handle: number, auth?: (w: Writer) => void): this {
    if (auth) auth(this);
    else this.nodeId(0);
    return this.raw(new Uint8Array(8)).u32(handle).u32(0).string(undefined).u32(10000).nodeId(0).u8(0);
  }
  /** ResponseHeader (Part 4 §7.34). */
  responseHeader(handle: number, result = 0): this {
    return this.raw(new Uint8Array(8)).u32(handle).u32(result).u8(0).i32(-1).nodeId(0).u8(0);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function w(): Writer {
  return new Writer();
}

function withHeader(type: string, chunk: string, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + rest.length);
  out.set([type.charCodeAt(0), type.charCodeAt(1), type.charCodeAt(2), chunk.charCodeAt(0)], 0);
  new DataView(out.buffer).setUint32(4, out.length, true);
  out.set(rest, 8);
  return out;
}

export function hel(url: string): Uint8Array {
  return withHeader("HEL", "F", w().u32(0).u32(65536).u32(65536).u32(0).u32(0).string(url).done());
}

export function ack(): Uint8Array {
  return withHeader("ACK", "F", w().u32(0).u32(65536).u32(65536).u32(0).u32(0).done());
}

export function err(code: number, reason: string): Uint8Array {
  return withHeader("ERR", "F", w().u32(code).string(reason).done());
}

const NONE = "http://opcfoundation.org/UA/SecurityPolicy#None";

/** OPN chunk: asymmetric header (policy, sender cert, receiver thumbprint), sequence header, body (clear or not). */
export function opn(channelId: number, requestId: number, body: Uint8Array, policy = NONE, cert?: Uint8Array): Uint8Array {
  return withHeader("OPN", "F", w().u32(channelId).string(policy).bytes(cert).bytes(undefined).u32(requestId).u32(requestId)
    .raw(body).done());
}

/** MSG or CLO chunk with symmetric header and sequence header. */
export function msg(channelId: number, tokenId: number, requestId: number, body: Uint8Array, chunk = "F", type = "MSG"): Uint8Array {
  return withHeader(type, chunk, w().u32(channelId).u32(tokenId).u32(requestId + 100).u32(requestId).raw(body).done());
}

/** MSG chunk whose bytes after the symmetric header are opaque (an encrypted channel). */
export function sealed(channelId: number, tokenId: number, payload: Uint8Array): Uint8Array {
  return withHeader("MSG", "F", w().u32(channelId).u32(tokenId).raw(payload).done());
}

export function openRequest(handle: number, requestType: number, mode: number, lifetime: number): Uint8Array {
  return w().nodeId(446, 0).requestHeader(handle).u32(0).u32(requestType).u32(mode).bytes(new Uint8Array(0)).u32(lifetime).done();
}

export function openResponse(handle: number, channelId: number, tokenId: number): Uint8Array {
  return w().nodeId(449, 0).responseHeader(handle).u32(0).u32(channelId).u32(tokenId).raw(new Uint8Array(8)).u32(600000)
    .bytes(new Uint8Array(0)).done();
}

export const FLOW: FlowInfo = {
  id: "F0", transport: "tcp", client: "10.0.0.1", clientPort: 50000, server: "10.0.0.2", serverPort: 4840,
  clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 1000,
};

/** A SessionContext that records events, weirds and counters; set `frame`/`ts` before each call. */
export class RecordingContext implements SessionContext {
  readonly flow = FLOW;
  frame = 1;
  ts = 1000;
  readonly events: EventBase[] = [];
  readonly weirds: WeirdEvent[] = [];
  readonly counts = new Map<string, number>();

  emit(event: EventBase): void {
    this.events.push(event);
  }
  count(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  weird(name: string, detail: string, _dir?: Dir): void {
    const f = this.flow;
    this.weirds.push({ type: "weird", ts: this.ts, frame: this.frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server,
      dport: f.serverPort, proto: "opcua", name, detail });
    this.count(`weird.opcua.${name}`);
  }
  /** Session budget: `budget` bytes may be reserved (refusals counted as the host does), `held` is what is held now. */
  budget = Infinity;
  held = 0;
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.budget) {
      this.count("budget.session.refused");
      return false;
    }
    this.held += bytes;
    return true;
  }
  release(bytes: number): void {
    this.held -= bytes;
  }
  of<T extends EventBase>(type: string): T[] {
    return this.events.filter((e) => e.type === type) as T[];
  }
}
