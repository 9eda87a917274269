// Events the Modbus/TCP dissector emits. A transaction is a request paired with its response (or a timeout, or a response
// nobody asked for), like Suricata's transaction and ICSNPP's modbus_detailed record. Field names follow Wireshark's
// modbus.* fields where one exists (reference_num → address, word_cnt/bit_cnt → quantity …).

import type { EventBase, Ts } from "../../src/core/types.ts";

/** One decoded ADU (request or response). Fields are present only where the function code defines them. */
export interface ModbusPdu {
  readonly frame: number;
  readonly ts: Ts;
  /** Function code byte as on the wire (exception responses keep the 0x80 bit). */
  readonly fc: number;
  /** MBAP fields. */
  readonly tid: number;
  readonly protocolId: number;
  readonly length: number;
  readonly unit: number;
  /** Start address (modbus.reference_num), quantity of registers or coils (word_cnt / bit_cnt), byte count. */
  readonly address?: number;
  readonly quantity?: number;
  readonly byteCount?: number;
  /** Register values (uint16) or coil/input bits (0/1) in address order; FC5/FC6 carry one value (FC5: 1 = ON). */
  readonly values?: readonly number[];
  /** FC23 read/write multiple registers. */
  readonly readAddress?: number;
  readonly readQuantity?: number;
  readonly writeAddress?: number;
  readonly writeQuantity?: number;
  /** FC22 mask write register. */
  readonly andMask?: number;
  readonly orMask?: number;
  /** FC8 diagnostics sub-function. */
  readonly subFunction?: number;
  /** FC43 encapsulated interface: MEI type (13 CANopen, 14 device identification), read device id code, object id. */
  readonly mei?: number;
  readonly readDeviceId?: number;
  readonly objectId?: number;
  /** FC43/14 response objects (0 VendorName, 1 ProductCode, 2 MajorMinorRevision, …). */
  readonly objects?: readonly { readonly id: number; readonly value: string }[];
  /** FC20/FC21 file record sub-requests/sub-responses (§6.14, §6.15). FC20 responses carry only refType and data. */
  readonly records?: readonly ModbusFileRecord[];
  /** Exception code of an exception response. */
  readonly exception?: number;
  /** Hex of the PDU data (after the function code) for functions decoded only partly (vendor, user-defined, FC20/21/24
   * extras, FC8 data), at most MODBUS_RAW_HEX_MAX bytes. */
  readonly data?: string;
  /** Lenient-decoding flags, e.g. "protocol-id", "byte-count-mismatch", "short-pdu", "trailing-bytes". */
  readonly issues?: readonly string[];
}

/** One FC20/FC21 file record group; `data` is the record data as hex (at most MODBUS_RAW_HEX_MAX bytes). */
export interface ModbusFileRecord {
  readonly refType: number;
  readonly file?: number;
  readonly record?: number;
  /** Record length in registers. */
  readonly length?: number;
  readonly data?: string;
}

export interface ModbusTransactionEvent extends EventBase {
  readonly type: "modbus";
  readonly tid: number;
  readonly unit: number;
  /** Function code without the exception bit. */
  readonly fc: number;
  readonly fcName: string;
  readonly status: "ok" | "exception" | "timeout" | "unsolicited";
  readonly exception?: number;
  readonly request?: ModbusPdu;
  readonly response?: ModbusPdu;
  /** Response time in seconds of packet time. */
  readonly rtt?: number;
}

export type ModbusEvent = ModbusTransactionEvent;
