// CreateSession (OPC UA Part 4 §5.6.2: ClientDescription, ServerUri, EndpointUrl, SessionName, ClientNonce,
// ClientCertificate, RequestedSessionTimeout, MaxResponseMessageSize → SessionId, AuthenticationToken, …, ServerEndpoints).
import { createHash } from "node:crypto";
import { skipNodeId } from "../types/node-id.ts";
import {
  readApplicationDescription, readEndpointArray, skipSignatureData, skipSignedSoftwareCertificates,
} from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

/** SHA-1 thumbprint in lower-case hex, as OPC UA tools show it; undefined for a null or empty certificate. */
export function thumbprint(cert: Uint8Array | undefined): string | undefined {
  if (!cert || cert.length === 0) return undefined;
  return createHash("sha1").update(cert).digest("hex");
}

export const createSession: ServiceCodec = {
  name: "CreateSession",
  requestId: 461,
  responseId: 464,
  request(c, d) {
    const app = readApplicationDescription(c);
    d.clientUri = app.uri;
    d.productUri = app.productUri;
    d.applicationName = app.name;
    d.serverUri = c.string() ?? "";
    d.endpointUrl = c.string() ?? "";
    d.sessionName = c.string() ?? "";
    c.skipString(); // ClientNonce
    const tp = thumbprint(c.byteString());
    if (tp) d.clientCertThumbprint = tp;
    c.skip(8 + 4); // RequestedSessionTimeout, MaxResponseMessageSize
  },
  response(c, d) {
    skipNodeId(c); // SessionId
    skipNodeId(c); // AuthenticationToken
    c.skip(8); // RevisedSessionTimeout
    c.skipString(); // ServerNonce
    c.skipString(); // ServerCertificate
    d.endpoints = readEndpointArray(c);
    skipSignedSoftwareCertificates(c);
    skipSignatureData(c);
    c.skip(4); // MaxRequestMessageSize
  },
};
