// Public entry of the decoder: createPacket/decodeFrame (decode.ts) and address formatting (format.ts).
export { createPacket, decodeFrame, MAX_VLAN_TAGS } from "./decode.ts";
export { formatIp, formatMac } from "./format.ts";
