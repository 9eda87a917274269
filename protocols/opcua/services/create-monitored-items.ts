// CreateMonitoredItems (OPC UA Part 4 §5.12.2: SubscriptionId, TimestampsToReturn, ItemsToCreate:
// MonitoredItemCreateRequest[] (ItemToMonitor: ReadValueId, MonitoringMode, RequestedParameters) → Results:
// MonitoredItemCreateResult[] (StatusCode, MonitoredItemId, RevisedSamplingInterval, RevisedQueueSize, FilterResult)).
import { readExtensionObject, readStatusCode, skipDiagnosticInfoArray } from "../types/builtins.ts";
import { pushBoundedNumber, readReadValueId } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const createMonitoredItems: ServiceCodec = {
  name: "CreateMonitoredItems",
  requestId: 751,
  responseId: 754,
  request(c, d) {
    d.subscriptionId = c.u32();
    c.skip(4); // TimestampsToReturn
    const n = c.arrayLength(20);
    const nodes: string[] = (d.nodes = []);
    const attributes: number[] = (d.attributes = []);
    d.itemCount = n;
    for (let i = 0; i < n; i++) {
      readReadValueId(c, nodes, attributes);
      c.skip(4); // MonitoringMode
      c.skip(4 + 8); // ClientHandle, SamplingInterval
      readExtensionObject(c); // Filter
      c.skip(4 + 1); // QueueSize, DiscardOldest
    }
  },
  response(c, d) {
    const n = c.arrayLength(20);
    const results: number[] = (d.results = []);
    d.itemCount = n;
    for (let i = 0; i < n; i++) {
      pushBoundedNumber(results, readStatusCode(c));
      c.skip(4 + 8 + 4); // MonitoredItemId, RevisedSamplingInterval, RevisedQueueSize
      readExtensionObject(c); // FilterResult
    }
    skipDiagnosticInfoArray(c);
  },
};
