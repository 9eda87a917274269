// UA TCP transport (OPC UA Part 6 §7.1: HEL, ACK, ERR, RHE) and the secure conversation headers of OPN/MSG/CLO
// (Part 6 §6.7.2: message header with secure channel id, asymmetric security header for OPN, symmetric security header
// (token id) for MSG/CLO, sequence header), plus chunk assembly per (direction, request id) with bounds.
// Framing: every message starts with an 8-byte header — 3 ASCII bytes type, 1 byte chunk type, UInt32 size (LE) that
// counts the whole message (Part 6 §7.1.2.2).

import {
  isChunkType, messageTypeOf, OPCUA_HEADER_LEN, OPCUA_MAX_ASSEMBLIES, OPCUA_MAX_ASSEMBLY_BYTES, OPCUA_MAX_CHUNKS, OPCUA_MAX_MESSAGE_BYTES,
  OPCUA_MAX_PDU, OPCUA_MIN_PDU, type MessageType,
} from "./constants.ts";
import type { SessionContext } from "../../src/core/types.ts";
import { Cursor } from "./types/cursor.ts";

export type ChunkType = "F" | "C" | "A";

const NO_BODY = new Uint8Array(0);

/** Size at offset 4 when the 8 bytes look like a UA TCP header, else -1 (impossible: the framer resynchronises). */
export function messageLength(h: Uint8Array): number {
  if (h.length < OPCUA_HEADER_LEN) return -1;
  if (messageTypeOf(h[0] ?? 0, h[1] ?? 0, h[2] ?? 0) === undefined || !isChunkType(h[3] ?? 0)) return -1;
  const size = ((h[4] ?? 0) | ((h[5] ?? 0) << 8) | ((h[6] ?? 0) << 16) | ((h[7] ?? 0) << 24)) >>> 0;
  return size < OPCUA_MIN_PDU || size > OPCUA_MAX_PDU ? -1 : size;
}

/** Offset of the first plausible header in `data` (0 included), or -1: the framer's resync. */
export function findNextHeader(data: Uint8Array): number {
  for (let i = 0; i + OPCUA_HEADER_LEN <= data.length; i++) {
    if (messageLength(data.subarray(i, i + OPCUA_HEADER_LEN)) > 0) return i;
  }
  return -1;
}

export interface Hello {
  protocolVersion: number;
  receiveBufferSize: number;
  sendBufferSize: number;
  maxMessageSize: number;
  maxChunkCount: number;
  endpointUrl: string;
}

/** HEL (Part 6 §7.1.2.3) and ACK (§7.1.2.4, no endpoint URL): five UInt32 then, for HEL, the EndpointUrl. */
export function readHello(c: Cursor, withUrl: boolean): Hello {
  const protocolVersion = c.u32();
  const receiveBufferSize = c.u32();
  const sendBufferSize = c.u32();
  const maxMessageSize = c.u32();
  const maxChunkCount = c.u32();
  const endpointUrl = withUrl ? (c.string() ?? "") : "";
  return { protocolVersion, receiveBufferSize, sendBufferSize, maxMessageSize, maxChunkCount, endpointUrl };
}

/** ERR (§7.1.2.5) and the body of an abort chunk (§6.7.3): Error (StatusCode), Reason (String). */
export function readError(c: Cursor): { error: number; reason: string } {
  const error = c.u32();
  const reason = c.string() ?? "";
  return { error, reason };
}

/** The secure conversation part of an OPN/MSG/CLO chunk; fields not readable (encrypted) stay undefined. */
export class SecureChunk {
  type: MessageType = "MSG";
  chunk: ChunkType = "F";
  size = 0;
  channelId = 0;
  /** OPN asymmetric header. */
  policyUri: string | undefined = undefined;
  senderCert: Uint8Array | undefined = undefined;
  receiverThumbprint: Uint8Array | undefined = undefined;
  /** MSG/CLO symmetric header. */
  tokenId: number | undefined = undefined;
  /** Sequence header (undefined when encrypted). */
  sequenceNumber: number | undefined = undefined;
  requestId: number | undefined = undefined;
  /** The whole chunk, and where its body starts: after the sequence header (or after the security header when
   *  encrypted). Kept as an offset so a session can decode the body in place, without a view per message. */
  pdu: Uint8Array = NO_BODY;
  bodyStart = 0;

  /** The body as a view (built on each call). */
  get body(): Uint8Array {
    return this.pdu.subarray(this.bodyStart);
  }
}

export function chunkTypeOf(b: number): ChunkType {
  return b === 0x43 ? "C" : b === 0x41 ? "A" : "F";
}

/**
 * Reads the headers of an OPN/MSG/CLO chunk. `encrypted` says whether the sequence header and body are ciphertext
 * (security policy ≠ None for OPN; SignAndEncrypt or unknown mode for MSG/CLO). Throws DecodeError when truncated.
 * `cursor` and `out`, when given, are reused (one each per session): the result is then valid until the next call.
 */
export function readSecureChunk(pdu: Uint8Array, type: MessageType, encrypted: boolean, cursor?: Cursor, out?: SecureChunk):
  SecureChunk {
  const c = cursor ? cursor.reset(pdu) : new Cursor(pdu);
  c.skip(3);
  const chunk = chunkTypeOf(c.u8());
  const size = c.u32();
  const channelId = c.u32();
  let policyUri: string | undefined;
  let senderCert: Uint8Array | undefined;
  let receiverThumbprint: Uint8Array | undefined;
  let tokenId: number | undefined;
  if (type === "OPN") {
    policyUri = c.string() ?? "";
    senderCert = c.byteString();
    receiverThumbprint = c.byteString();
  } else {
    tokenId = c.u32();
  }
  let sequenceNumber: number | undefined;
  let requestId: number | undefined;
  if (!encrypted) {
    sequenceNumber = c.u32();
    requestId = c.u32();
  }
  out ??= newSecureChunk();
  out.type = type;
  out.chunk = chunk;
  out.size = size;
  out.channelId = channelId;
  out.policyUri = policyUri;
  out.senderCert = senderCert;
  out.receiverThumbprint = receiverThumbprint;
  out.tokenId = tokenId;
  out.sequenceNumber = sequenceNumber;
  out.requestId = requestId;
  out.pdu = pdu;
  out.bodyStart = c.pos;
  return out;
}


export function newSecureChunk(): SecureChunk {
  return new SecureChunk();
}
export type AssemblyResult =
  | { readonly kind: "complete"; readonly body: Uint8Array }
  | { readonly kind: "pending" }
  | { readonly kind: "aborted" }
  /** A chunk of a message dropped earlier: ignored up to and including its final or abort chunk. */
  | { readonly kind: "skipped" }
  | { readonly kind: "dropped"; readonly reason: "too-many-chunks" | "message-too-large" | "too-many-assemblies" | "budget" };

/** Where copied chunk bodies are accounted: the session's context (pipeline-wide session budget). */
export type AssemblyBudget = Pick<SessionContext, "reserve" | "release">;

const UNLIMITED: AssemblyBudget = { reserve: () => true, release: () => undefined };

interface Assembly {
  parts: Uint8Array[];
  bytes: number;
}

const PENDING: AssemblyResult = { kind: "pending" };
const ABORTED: AssemblyResult = { kind: "aborted" };
const SKIPPED: AssemblyResult = { kind: "skipped" };

/**
 * Puts message bodies back together from chunks (Part 6 §6.7.2.2: 'C' intermediate, 'F' final, 'A' abort) per
 * direction and request id. A lone 'F' is returned as is (zero copy); intermediate chunk bodies are copied because
 * they must outlive the segment they came in. Bounded by OPCUA_MAX_CHUNKS, OPCUA_MAX_MESSAGE_BYTES, OPCUA_MAX_ASSEMBLIES
 * and OPCUA_MAX_ASSEMBLY_BYTES (all partial messages of the flow together); an abort chunk discards what was collected.
 * Every copied byte is also reserved from `budget` (the pipeline-wide session budget): when it says no, the message being
 * assembled is dropped (`budget`), so all flows together stay bounded, not just each one. The rest of a dropped message
 * is skipped up to its final or abort chunk (not assembled again from its middle into a body that cannot decode).
 */
export class ChunkAssembler {
  private readonly open = new Map<number, Assembly>();
  /** Bytes held by all partial messages (bounded by OPCUA_MAX_ASSEMBLY_BYTES). */
  private held = 0;
  /** Keys of messages dropped while being assembled whose final or abort chunk has not come yet (bounded; made on
   * first use, most flows never drop anything). */
  private dropped: Set<number> | undefined = undefined;

  add(dir: 0 | 1, requestId: number, chunk: ChunkType, body: Uint8Array, budget: AssemblyBudget = UNLIMITED): AssemblyResult {
    const key = requestId * 2 + dir;
    const dropped = this.dropped;
    if (dropped !== undefined && dropped.has(key)) {
      if (chunk !== "C") dropped.delete(key);
      return SKIPPED;
    }
    const a = this.open.size === 0 ? undefined : this.open.get(key);
    if (chunk === "A") {
      this.drop(key, a, budget);
      return ABORTED;
    }
    if (a === undefined) {
      if (chunk === "F") return { kind: "complete", body };
      if (this.open.size >= OPCUA_MAX_ASSEMBLIES) return this.giveUp(key, chunk, "too-many-assemblies");
      if (this.held + body.length > OPCUA_MAX_ASSEMBLY_BYTES) return this.giveUp(key, chunk, "message-too-large");
      if (!budget.reserve(body.length)) return this.giveUp(key, chunk, "budget");
      this.open.set(key, { parts: [body.slice()], bytes: body.length });
      this.held += body.length;
      return PENDING;
    }
    if (a.parts.length + 1 > OPCUA_MAX_CHUNKS) {
      this.drop(key, a, budget);
      return this.giveUp(key, chunk, "too-many-chunks");
    }
    if (a.bytes + body.length > OPCUA_MAX_MESSAGE_BYTES || this.held + body.length > OPCUA_MAX_ASSEMBLY_BYTES) {
      this.drop(key, a, budget);
      return this.giveUp(key, chunk, "message-too-large");
    }
    if (chunk === "C") {
      if (!budget.reserve(body.length)) {
        this.drop(key, a, budget);
        return this.giveUp(key, chunk, "budget");
      }
      a.parts.push(body.slice());
      a.bytes += body.length;
      this.held += body.length;
      return PENDING;
    }
    this.drop(key, a, budget);
    const out = new Uint8Array(a.bytes + body.length);
    let off = 0;
    for (const p of a.parts) {
      out.set(p, off);
      off += p.length;
    }
    out.set(body, off);
    return { kind: "complete", body: out };
  }

  /** The message of `key` is dropped; when more of it is to come (an intermediate chunk), its rest will be skipped. */
  private giveUp(key: number, chunk: ChunkType, reason: "too-many-chunks" | "message-too-large" | "too-many-assemblies" | "budget"):
    AssemblyResult {
    if (chunk === "C") {
      const dropped = (this.dropped ??= new Set());
      if (dropped.size >= OPCUA_MAX_ASSEMBLIES) dropped.clear();
      dropped.add(key);
    }
    return { kind: "dropped", reason };
  }

  private drop(key: number, a: Assembly | undefined, budget: AssemblyBudget): void {
    if (a === undefined) return;
    this.open.delete(key);
    this.held -= a.bytes;
    budget.release(a.bytes);
  }

  /** Forget partial messages of a direction (after a gap the rest of them cannot be trusted). */
  reset(dir: 0 | 1, budget: AssemblyBudget = UNLIMITED): void {
    for (const [k, a] of [...this.open]) if (k % 2 === dir) this.drop(k, a, budget);
    const dropped = this.dropped;
    if (dropped !== undefined) for (const k of [...dropped]) if (k % 2 === dir) dropped.delete(k);
  }

  /** Nothing is being assembled or skipped: a final chunk is then a whole message by itself (what add would return). */
  get idle(): boolean {
    return this.open.size === 0 && (this.dropped === undefined || this.dropped.size === 0);
  }

  /** Bytes held by partial messages. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.open.size;
  }
}
