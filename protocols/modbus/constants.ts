// Modbus/TCP constants: MBAP header layout, function codes, FC8 sub-functions, FC43 MEI types, exception codes, and the
// named limits of the session. References: "MODBUS Application Protocol Specification V1.1b3" (§5.1 public function codes,
// §6 function descriptions, §7 exception codes) and "MODBUS Messaging on TCP/IP Implementation Guide V1.0b" (§3.1.3 MBAP).

/** MBAP header (Implementation Guide §3.1.3): transaction id (2), protocol id (2), length (2), unit id (1). */
export const MBAP_HEADER_LEN = 7;
/** Offset of the length field; it counts the unit id and the PDU, so ADU length = 6 + length. */
export const MBAP_LENGTH_OFFSET = 4;
/** Smallest length field: unit id + function code. */
export const MBAP_MIN_LENGTH = 2;
/** Largest length field: unit id + 253-byte PDU (Application Protocol §4.1: PDU ≤ 253 bytes). */
export const MBAP_MAX_LENGTH = 254;
/**
 * Largest length field the framing accepts. Above MBAP_MAX_LENGTH is out of spec, but Schneider UMAS (FC90) echo
 * requests carry 254-byte PDUs (length 255, modicon_test.pcap): such ADUs are decoded and flagged "oversized-pdu".
 */
export const MBAP_TOLERATED_MAX_LENGTH = 260;
/** Largest ADU the framer assembles: 6 + MBAP_TOLERATED_MAX_LENGTH (the spec's own limit is 6 + 254 = 260). */
export const MODBUS_MAX_ADU = 6 + MBAP_TOLERATED_MAX_LENGTH;
export const MODBUS_TCP_PORT = 502;

/** Unanswered requests kept per flow before pairing stops and the flow is flagged `flooded` (Suricata uses 500). */
export const MODBUS_MAX_PENDING = 500;
/**
 * Session-budget estimate of one pending request (SessionContext.reserve): the decoded ADU object and its map slot
 * (~200 bytes measured for FC3), plus per decoded value and per file record / device-id object.
 */
export const MODBUS_PENDING_ENTRY_BYTES = 256;
export const MODBUS_PENDING_BYTES_PER_VALUE = 8;
export const MODBUS_PENDING_BYTES_PER_RECORD = 128;
/** A request without a response after this many seconds of packet time is reported with status "timeout". */
export const MODBUS_TRANSACTION_TIMEOUT_S = 10;
/** Bytes of undecoded PDU data kept as hex in `data`. */
export const MODBUS_RAW_HEX_MAX = 64;

export const FC = {
  READ_COILS: 1,
  READ_DISCRETE_INPUTS: 2,
  READ_HOLDING_REGISTERS: 3,
  READ_INPUT_REGISTERS: 4,
  WRITE_SINGLE_COIL: 5,
  WRITE_SINGLE_REGISTER: 6,
  READ_EXCEPTION_STATUS: 7,
  DIAGNOSTICS: 8,
  GET_COMM_EVENT_COUNTER: 11,
  GET_COMM_EVENT_LOG: 12,
  WRITE_MULTIPLE_COILS: 15,
  WRITE_MULTIPLE_REGISTERS: 16,
  REPORT_SERVER_ID: 17,
  READ_FILE_RECORD: 20,
  WRITE_FILE_RECORD: 21,
  MASK_WRITE_REGISTER: 22,
  READ_WRITE_MULTIPLE_REGISTERS: 23,
  READ_FIFO_QUEUE: 24,
  ENCAPSULATED_INTERFACE: 43,
  /** Schneider Electric UMAS ("Unity"), vendor-specific. */
  SCHNEIDER_UMAS: 90,
} as const;

/** Exception responses set the top bit of the function code (§7). */
export const EXCEPTION_BIT = 0x80;

/** §5.1 public function codes and the well-known vendor code 90. */
const FUNCTION_NAMES: Readonly<Record<number, string>> = {
  1: "read-coils",
  2: "read-discrete-inputs",
  3: "read-holding-registers",
  4: "read-input-registers",
  5: "write-single-coil",
  6: "write-single-register",
  7: "read-exception-status",
  8: "diagnostics",
  11: "get-comm-event-counter",
  12: "get-comm-event-log",
  15: "write-multiple-coils",
  16: "write-multiple-registers",
  17: "report-server-id",
  20: "read-file-record",
  21: "write-file-record",
  22: "mask-write-register",
  23: "read-write-multiple-registers",
  24: "read-fifo-queue",
  43: "encapsulated-interface",
  90: "schneider-umas",
};

/** Stable name of a function code (without the exception bit); user-defined (65–72, 100–110) and others get a generic id. */
export function functionName(fc: number): string {
  const code = fc & 0x7f;
  const known = FUNCTION_NAMES[code];
  if (known !== undefined) return known;
  if ((code >= 65 && code <= 72) || (code >= 100 && code <= 110)) return `user-defined-${code}`;
  return `unknown-${code}`;
}

/** True for the public codes of §5.1 (those this decoder knows the layout of). */
export function isPublicFunction(fc: number): boolean {
  const code = fc & 0x7f;
  return code !== FC.SCHNEIDER_UMAS && FUNCTION_NAMES[code] !== undefined;
}

/** FC8 sub-function codes (§6.8.1). */
export const DIAGNOSTIC_NAMES: Readonly<Record<number, string>> = {
  0: "return-query-data",
  1: "restart-communications-option",
  2: "return-diagnostic-register",
  3: "change-ascii-input-delimiter",
  4: "force-listen-only-mode",
  10: "clear-counters-and-diagnostic-register",
  11: "return-bus-message-count",
  12: "return-bus-communication-error-count",
  13: "return-bus-exception-error-count",
  14: "return-server-message-count",
  15: "return-server-no-response-count",
  16: "return-server-nak-count",
  17: "return-server-busy-count",
  18: "return-bus-character-overrun-count",
  20: "clear-overrun-counter-and-flag",
};

/** FC43 MEI types (§6.19–6.21). */
export const MEI_CANOPEN = 13;
export const MEI_READ_DEVICE_ID = 14;
export const MEI_NAMES: Readonly<Record<number, string>> = {
  [MEI_CANOPEN]: "canopen-general-reference",
  [MEI_READ_DEVICE_ID]: "read-device-identification",
};

/** FC43/14 read device id codes (§6.21): 1 basic, 2 regular, 3 extended (stream access), 4 one specific object. */
export const READ_DEVICE_ID_NAMES: Readonly<Record<number, string>> = {
  1: "basic",
  2: "regular",
  3: "extended",
  4: "specific",
};

/** FC43/14 object ids 0–6 are ASCII strings (§6.21 table "Basic/Regular" categories). */
export const DEVICE_ID_OBJECT_NAMES: Readonly<Record<number, string>> = {
  0: "VendorName",
  1: "ProductCode",
  2: "MajorMinorRevision",
  3: "VendorUrl",
  4: "ProductName",
  5: "ModelName",
  6: "UserApplicationName",
};

/** Exception codes (§7). */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: "illegal-function",
  2: "illegal-data-address",
  3: "illegal-data-value",
  4: "server-device-failure",
  5: "acknowledge",
  6: "server-device-busy",
  8: "memory-parity-error",
  10: "gateway-path-unavailable",
  11: "gateway-target-device-failed-to-respond",
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `unknown-${code}`;
}

/** FC5 coil values (§6.5): 0xFF00 = ON, 0x0000 = OFF; anything else is out of spec. */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;
