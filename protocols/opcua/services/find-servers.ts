// FindServers (OPC UA Part 4 §5.5.2: EndpointUrl, LocaleIds, ServerUris → Servers: ApplicationDescription[]).
import { readApplicationDescription, skipStringArray } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const findServers: ServiceCodec = {
  name: "FindServers",
  requestId: 422,
  responseId: 425,
  request(c, d) {
    d.endpointUrl = c.string() ?? "";
    skipStringArray(c); // LocaleIds
    skipStringArray(c); // ServerUris
  },
  response(c, d) {
    const n = c.arrayLength(4);
    for (let i = 0; i < n; i++) {
      const app = readApplicationDescription(c);
      if (i > 0) continue;
      d.serverUri = app.uri;
      d.productUri = app.productUri;
      d.applicationName = app.name;
    }
  },
};
