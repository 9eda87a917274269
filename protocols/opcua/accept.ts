// "Learn this" for OPC UA anomalies: folds the fact named in the evidence (client, server, port and the node, method,
// service, token, certificate, application or security pair) into the channel's model. Rate kinds (browse storm,
// session churn) have no single fact and are refused.

import type { Anomaly } from "../../src/detect/types.ts";
import { anomalySeconds, parseEvidence } from "../../src/detect/evidence.ts";
import { addToRange } from "../../src/detect/learned-stats.ts";
import { OPCUA_MAX_CHANNELS, OPCUA_MAX_SMALL_SET, OpcuaChannelState, opcuaChannelKey, type OpcuaBaseline, type ListField } from "./model.ts";

export function acceptOpcuaAnomaly(baseline: OpcuaBaseline, anomaly: Anomaly): boolean {
  const ev = parseEvidence(anomaly);
  if (ev === undefined) return false;
  const str = (k: string): string | undefined => (typeof ev[k] === "string" ? (ev[k] as string) : undefined);
  const client = str("client");
  const server = str("server");
  const port = typeof ev.port === "number" ? ev.port : undefined;
  if (client === undefined || server === undefined || port === undefined) return false;
  const key = opcuaChannelKey(client, server, port);
  let ch = baseline.channels.get(key);
  if (ch === undefined) {
    if (anomaly.kind !== "opcua.new-client" || baseline.channels.size >= OPCUA_MAX_CHANNELS) return false;
    ch = OpcuaChannelState.create(client, server, port, anomalySeconds(anomaly));
    baseline.channels.set(key, ch);
    return true;
  }
  const m = ch.m;
  const chan = ch;
  const fold = (field: ListField, v: string | undefined, limit?: number): boolean => (v === undefined ? false : baseline.add(chan, field, v, limit));
  switch (anomaly.kind) {
    case "opcua.new-client":
      return true;
    case "opcua.new-service": {
      const s = str("service");
      if (s === undefined) return false;
      m.services[s] = (m.services[s] ?? 0) + 1;
      return true;
    }
    case "opcua.write-new-node":
      return fold("written", str("node"));
    case "opcua.write-out-of-range": {
      const node = str("node");
      if (node === undefined || typeof ev.value !== "number") return false;
      m.values[node] = addToRange(m.values[node], ev.value);
      return true;
    }
    case "opcua.call-new-method":
      return fold("called", str("method"));
    case "opcua.new-certificate":
      return fold("certificates", str("thumbprint"), OPCUA_MAX_SMALL_SET);
    case "opcua.new-application":
      return fold("applicationUris", str("applicationUri"), OPCUA_MAX_SMALL_SET);
    case "opcua.anonymous-login":
      return fold("identityTokens", "anonymous", OPCUA_MAX_SMALL_SET);
    case "opcua.security-downgrade": {
      const pair = str("security");
      return fold("security", pair, OPCUA_MAX_SMALL_SET) && fold("sessionSecurity", pair, OPCUA_MAX_SMALL_SET);
    }
    default:
      return false;
  }
}
