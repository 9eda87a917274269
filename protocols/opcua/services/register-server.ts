// Discovery registration (OPC UA Part 4 §5.5.5 RegisterServer: Server: RegisteredServer → header; §5.5.6 RegisterServer2:
// Server, DiscoveryConfiguration: ExtensionObject[] → ConfigurationResults, DiagnosticInfos) and §5.5.3
// FindServersOnNetwork (StartingRecordId, MaxRecordsToReturn, ServerCapabilityFilter → LastCounterResetTime,
// Servers: ServerOnNetwork[]). A server registering itself with a discovery server is worth an event of its own.
import { readExtensionObject, readLocalizedText, readStatusCodeArray, skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { skipStringArray } from "../types/structures.ts";
import type { MutableDetails, ServiceCodec } from "./service.ts";

/** RegisteredServer (Part 4 §7.32): ServerUri, ProductUri, ServerNames, ServerType, GatewayServerUri, DiscoveryUrls, … */
function readRegisteredServer(c: Cursor, d: MutableDetails): void {
  d.serverUri = c.string() ?? "";
  d.productUri = c.string() ?? "";
  const n = c.arrayLength(1);
  for (let i = 0; i < n; i++) {
    const name = readLocalizedText(c);
    if (i === 0) d.applicationName = name;
  }
  c.skip(4); // ServerType
  c.skipString(); // GatewayServerUri
  const m = c.arrayLength(4);
  for (let i = 0; i < m; i++) {
    const url = c.string() ?? "";
    if (i === 0) d.endpointUrl = url;
  }
  c.skipString(); // SemaphoreFilePath
  c.skip(1); // IsOnline
}

export const registerServer: ServiceCodec = {
  name: "RegisterServer",
  requestId: 437,
  responseId: 440,
  request: readRegisteredServer,
  response() {},
};

export const registerServer2: ServiceCodec = {
  name: "RegisterServer2",
  requestId: 12211,
  responseId: 12212,
  request(c, d) {
    readRegisteredServer(c, d);
    const n = c.arrayLength(5);
    // MdnsDiscoveryConfiguration (12901): MdnsServerName, ServerCapabilities; no NodeIds inside.
    for (let i = 0; i < n; i++) readExtensionObject(c, (_t, b) => void b.skip(b.remaining));
  },
  response(c, d) {
    readStatusCodeArray(c, (d.results = []));
    skipDiagnosticInfoArray(c);
  },
};

export const findServersOnNetwork: ServiceCodec = {
  name: "FindServersOnNetwork",
  requestId: 12208,
  responseId: 12209,
  request(c) {
    c.skip(4 + 4); // StartingRecordId, MaxRecordsToReturn
    skipStringArray(c); // ServerCapabilityFilter
  },
  response(c, d) {
    c.skip(8); // LastCounterResetTime
    const n = (d.itemCount = c.arrayLength(16));
    for (let i = 0; i < n; i++) {
      c.skip(4); // RecordId
      c.skipString(); // ServerName
      const url = c.string() ?? "";
      if (i === 0) d.endpointUrl = url;
      skipStringArray(c); // ServerCapabilities
    }
  },
};
