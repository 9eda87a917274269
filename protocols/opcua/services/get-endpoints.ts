// GetEndpoints (OPC UA Part 4 §5.5.4, Tables 7/8 in 1.04 numbering: EndpointUrl, LocaleIds, ProfileUris → Endpoints).
import { readEndpointArray, skipStringArray } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const getEndpoints: ServiceCodec = {
  name: "GetEndpoints",
  requestId: 428,
  responseId: 431,
  request(c, d) {
    d.endpointUrl = c.string() ?? "";
    skipStringArray(c); // LocaleIds
    skipStringArray(c); // ProfileUris
  },
  response(c, d) {
    d.endpoints = readEndpointArray(c);
  },
};
