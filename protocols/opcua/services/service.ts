// What a decoded service looks like to the session: its name, the binary encoding ids of request and response (the
// NodeIds of Part 6 §5.2.2.15 / NodeIds.csv "…_Encoding_DefaultBinary"), and body decoders that start after the
// Request/ResponseHeader and return the details events carry.

import type { OpcuaServiceDetails } from "../events.ts";
import type { Cursor } from "../types/cursor.ts";

export type MutableDetails = { -readonly [K in keyof OpcuaServiceDetails]: OpcuaServiceDetails[K] };

export interface ServiceCodec {
  readonly name: string;
  readonly requestId: number;
  readonly responseId: number;
  /** Fill `d` as fields are read, so a body that ends early keeps what was decoded before it ended. */
  readonly request?: (c: Cursor, d: MutableDetails) => void;
  readonly response?: (c: Cursor, d: MutableDetails) => void;
}
