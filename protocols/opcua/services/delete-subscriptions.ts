// DeleteSubscriptions (OPC UA Part 4 §5.13.8: SubscriptionIds → Results: StatusCode[], DiagnosticInfos).
import { readStatusCodeArray, skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { ServiceCodec } from "./service.ts";

export const deleteSubscriptions: ServiceCodec = {
  name: "DeleteSubscriptions",
  requestId: 847,
  responseId: 850,
  request(c, d) {
    const n = (d.itemCount = c.arrayLength(4));
    if (n > 0) d.subscriptionId = c.u32();
    c.skip(4 * Math.max(0, n - 1));
  },
  response(c, d) {
    readStatusCodeArray(c, (d.results = []));
    skipDiagnosticInfoArray(c);
  },
};
