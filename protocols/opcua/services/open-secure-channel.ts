// OpenSecureChannel (OPC UA Part 4 §5.5.2: ClientProtocolVersion, RequestType (0 Issue, 1 Renew), SecurityMode,
// ClientNonce, RequestedLifetime → ServerProtocolVersion, SecurityToken (ChannelId, TokenId, CreatedAt, RevisedLifetime),
// ServerNonce) and CloseSecureChannel (§5.5.3, header only). These travel in OPN and CLO messages (Part 6 §6.7.4).
import type { Cursor } from "../types/cursor.ts";

export const OPEN_SECURE_CHANNEL_REQUEST = 446;
export const OPEN_SECURE_CHANNEL_RESPONSE = 449;
export const CLOSE_SECURE_CHANNEL_REQUEST = 452;
export const CLOSE_SECURE_CHANNEL_RESPONSE = 455;

export interface OpenRequest {
  requestType: number;
  securityMode: number;
  requestedLifetime: number;
}

export interface OpenResponse {
  channelId: number;
  tokenId: number;
  revisedLifetime: number;
}

export function readOpenRequest(c: Cursor): OpenRequest {
  c.skip(4); // ClientProtocolVersion
  const requestType = c.u32();
  const securityMode = c.u32();
  c.skipString(); // ClientNonce
  const requestedLifetime = c.u32();
  return { requestType, securityMode, requestedLifetime };
}

export function readOpenResponse(c: Cursor): OpenResponse {
  c.skip(4); // ServerProtocolVersion
  const channelId = c.u32();
  const tokenId = c.u32();
  c.skip(8); // CreatedAt
  const revisedLifetime = c.u32();
  c.skipString(); // ServerNonce
  return { channelId, tokenId, revisedLifetime };
}
