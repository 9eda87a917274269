// DeleteSubscriptions (OPC UA Part 4 §5.13.8: SubscriptionIds → Results: StatusCode[], DiagnosticInfos).
import { readStatusCodeArray, skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { ServiceCodec } from "./service.ts";

export const deleteSubscriptions: ServiceCodec = {
  name: "DeleteSubscriptions",
  requestId: 847,
  responseId: 850,
  request(c) {
    const n = c.arrayLength(4);
    const first = n > 0 ? c.u32() : undefined;
    c.skip(4 * Math.max(0, n - 1));
    return first === undefined ? { itemCount: n } : { itemCount: n, subscriptionId: first };
  },
  response(c) {
    const results: number[] = [];
    readStatusCodeArray(c, results);
    skipDiagnosticInfoArray(c);
    return { results };
  },
};
