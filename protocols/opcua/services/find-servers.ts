// FindServers (OPC UA Part 4 §5.5.2: EndpointUrl, LocaleIds, ServerUris → Servers: ApplicationDescription[]).
import { pushBounded, readApplicationDescription, skipStringArray } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const findServers: ServiceCodec = {
  name: "FindServers",
  requestId: 422,
  responseId: 425,
  request(c) {
    const endpointUrl = c.string() ?? "";
    skipStringArray(c); // LocaleIds
    skipStringArray(c); // ServerUris
    return { endpointUrl };
  },
  response(c) {
    const n = c.arrayLength(4);
    const uris: string[] = [];
    let first: { uri: string; productUri: string; name: string } | undefined;
    for (let i = 0; i < n; i++) {
      const app = readApplicationDescription(c);
      first ??= app;
      pushBounded(uris, app.uri);
    }
    return first ? { serverUri: first.uri, productUri: first.productUri, applicationName: first.name } : {};
  },
};
