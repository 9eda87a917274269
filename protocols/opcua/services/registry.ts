// Service table: binary encoding id (OPC UA Part 6 §5.2.2.15; ids from the spec's NodeIds.csv "<Type>_Encoding_DefaultBinary",
// cross-checked with node-opcua-constants) → service name, request or response, and the decoder when we decode the body.
// Built once at module load from static rows; every standard service is named even when only its header is decoded.

import type { Cursor } from "../types/cursor.ts";
import type { MutableDetails, ServiceCodec } from "./service.ts";
import { activateSession } from "./activate-session.ts";
import { addNodes } from "./add-nodes.ts";
import { browse } from "./browse.ts";
import { browseNext } from "./browse-next.ts";
import { call } from "./call.ts";
import { closeSession } from "./close-session.ts";
import { createMonitoredItems } from "./create-monitored-items.ts";
import { createSession } from "./create-session.ts";
import { createSubscription } from "./create-subscription.ts";
import { deleteSubscriptions } from "./delete-subscriptions.ts";
import { findServers } from "./find-servers.ts";
import { getEndpoints } from "./get-endpoints.ts";
import { publish } from "./publish.ts";
import { read } from "./read.ts";
import { findServersOnNetwork, registerServer, registerServer2 } from "./register-server.ts";
import { translateBrowsePaths } from "./translate-browse-paths.ts";
import { write } from "./write.ts";

const DECODED: readonly ServiceCodec[] = [
  findServers, getEndpoints, createSession, activateSession, closeSession, browse, browseNext, translateBrowsePaths, read,
  write, call, createSubscription, createMonitoredItems, publish, deleteSubscriptions, addNodes, registerServer,
  registerServer2, findServersOnNetwork,
];

/** [request id, response id, name] of the services whose bodies we do not decode (header and ServiceResult only). */
const NAMED_ONLY: readonly (readonly [number, number, string])[] = [
    [446, 449, "OpenSecureChannel"], [452, 455, "CloseSecureChannel"], [479, 482, "Cancel"],
  [494, 497, "AddReferences"], [500, 503, "DeleteNodes"], [506, 509, "DeleteReferences"],
  [560, 563, "RegisterNodes"], [566, 569, "UnregisterNodes"], [615, 618, "QueryFirst"], [621, 624, "QueryNext"],
  [664, 667, "HistoryRead"], [700, 703, "HistoryUpdate"], [763, 766, "ModifyMonitoredItems"],
  [769, 772, "SetMonitoringMode"], [775, 778, "SetTriggering"], [781, 784, "DeleteMonitoredItems"],
  [793, 796, "ModifySubscription"], [799, 802, "SetPublishingMode"], [832, 835, "Republish"],
  [841, 844, "TransferSubscriptions"],
];

export interface ServiceEntry {
  readonly name: string;
  readonly kind: "request" | "response";
  /** The body decoder of this direction (codec.request or codec.response), kept on the entry itself: every entry has
   *  the same shape, so the per-message call site reads it monomorphically (the codecs' shapes differ). */
  readonly decode: ((c: Cursor, d: MutableDetails) => void) | undefined;
}

/** Entries by type id; ids of standard services are small, so a sparse array indexed by id (a Map lookup per message
 *  showed in the profile, twice per service: decoding and naming). */
const BY_TYPE_ID: (ServiceEntry | undefined)[] = [];
function add(id: number, e: ServiceEntry): void {
  BY_TYPE_ID[id] = e;
}
for (const s of DECODED) {
  add(s.requestId, { name: s.name, kind: "request", decode: s.request });
  add(s.responseId, { name: s.name, kind: "response", decode: s.response });
}
for (const [req, res, name] of NAMED_ONLY) {
  add(req, { name, kind: "request", decode: undefined });
  add(res, { name, kind: "response", decode: undefined });
}
const MAX_TYPE_ID = BY_TYPE_ID.length - 1;

export function lookupService(typeId: number): ServiceEntry | undefined {
  return typeId >= 0 && typeId <= MAX_TYPE_ID ? BY_TYPE_ID[typeId] : undefined;
}

/** Name of the service a request type id belongs to, or "Unknown(<id>)". */
export function serviceName(typeId: number): string {
  return lookupService(typeId)?.name ?? `Unknown(${typeId})`;
}
