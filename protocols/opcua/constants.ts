// OPC UA binary limits and names (OPC UA Part 6 §7.1 UA TCP, §6.7 secure conversation). Every limit the dissector enforces
// is a named constant here; each is also a counter name when it trips ("opcua.<limit>").

/** UA TCP message header: 3-byte type, 1-byte chunk type, UInt32 size (Part 6 §7.1.2.2). */
export const OPCUA_HEADER_LEN = 8;
/** Largest message chunk we accept from the framer (the spec allows up to the negotiated buffer size; 16 MiB is generous). */
export const OPCUA_MAX_PDU = 16 * 1024 * 1024;
/** Smallest legal chunk: the header plus something (HEL/ACK/ERR/OPN/MSG all carry a body). */
export const OPCUA_MIN_PDU = 12;
/** Chunks of one message being assembled; more → the message is dropped and `too-many-chunks` reported. */
export const OPCUA_MAX_CHUNKS = 4096;
/** Bytes of one assembled message body; more → dropped, `message-too-large`. */
export const OPCUA_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Messages assembled at the same time per flow (per direction and request id). */
export const OPCUA_MAX_ASSEMBLIES = 64;
/**
 * Bytes held by all partial messages of one flow together (64 assemblies × 16 MiB would be far too much). All flows
 * together are bounded by the pipeline-wide session budget (SessionContext.reserve, MAX_TOTAL_SESSION_BYTES).
 */
export const OPCUA_MAX_ASSEMBLY_BYTES = 16 * 1024 * 1024;
/** Unanswered requests per flow before pairing stops and the flow is flagged `flooded` (Suricata gives up at 500). */
export const OPCUA_MAX_PENDING = 500;
/**
 * Session-budget estimate of one pending request: the entry and map slot, plus its decoded details at this many bytes
 * per message body byte (node ids as strings, objects per operand), at most OPCUA_PENDING_MAX_DETAIL_BYTES (details
 * keep at most OPCUA_MAX_OPERANDS operands and OPCUA_MAX_VALUE_TEXT characters per value).
 */
export const OPCUA_PENDING_ENTRY_BYTES = 256;
export const OPCUA_PENDING_BYTES_PER_BODY_BYTE = 4;
export const OPCUA_PENDING_MAX_DETAIL_BYTES = 512 * 1024;
/** A request unanswered for this long (packet time, seconds) becomes a `timeout` service event. */
export const OPCUA_REQUEST_TIMEOUT_S = 60;
/** Array length above which decoding stops (Wireshark uses 10000 too). */
export const OPCUA_MAX_ARRAY = 10000;
/** Nesting of Variant/DataValue/DiagnosticInfo (Wireshark: 100; we stop earlier, values only need to be readable). */
export const OPCUA_MAX_DEPTH = 32;
/** Values rendered as text for events are cut to this many characters; arrays to this many elements. */
export const OPCUA_MAX_VALUE_TEXT = 256;
export const OPCUA_MAX_VALUE_ITEMS = 16;
/** Operands kept per event (node ids, attributes, results); the rest is counted, not stored. */
export const OPCUA_MAX_OPERANDS = 1000;

export const SECURITY_POLICY_NONE = "http://opcfoundation.org/UA/SecurityPolicy#None";

/** MessageSecurityMode enum (Part 4 §7.20). */
export function securityModeName(v: number): "None" | "Sign" | "SignAndEncrypt" | "Invalid" {
  return v === 1 ? "None" : v === 2 ? "Sign" : v === 3 ? "SignAndEncrypt" : "Invalid";
}

/** Message types of Part 6 §7.1.2.2 (HEL/ACK/ERR/RHE) and §6.7.2 (OPN/MSG/CLO), as the 3 ASCII bytes packed big-endian. */
export const MT_HEL = 0x48454c;
export const MT_ACK = 0x41434b;
export const MT_ERR = 0x455252;
export const MT_RHE = 0x524845;
export const MT_OPN = 0x4f504e;
export const MT_MSG = 0x4d5347;
export const MT_CLO = 0x434c4f;

export type MessageType = "HEL" | "ACK" | "ERR" | "RHE" | "OPN" | "MSG" | "CLO";

export function messageTypeOf(b0: number, b1: number, b2: number): MessageType | undefined {
  switch ((b0 << 16) | (b1 << 8) | b2) {
    case MT_HEL: return "HEL";
    case MT_ACK: return "ACK";
    case MT_ERR: return "ERR";
    case MT_RHE: return "RHE";
    case MT_OPN: return "OPN";
    case MT_MSG: return "MSG";
    case MT_CLO: return "CLO";
    default: return undefined;
  }
}

/** Chunk type byte: 'F' final, 'C' intermediate, 'A' abort (Part 6 §6.7.2.2). */
export function isChunkType(b: number): b is 0x46 | 0x43 | 0x41 {
  return b === 0x46 || b === 0x43 || b === 0x41;
}
