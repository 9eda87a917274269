// Call (OPC UA Part 4 §5.11.2: MethodsToCall: CallMethodRequest[] (ObjectId, MethodId, InputArguments: Variant[]) →
// Results: CallMethodResult[] (StatusCode, InputArgumentResults, InputArgumentDiagnosticInfos, OutputArguments)).
import type { OpcuaValue } from "../events.ts";
import { readStatusCode, readStatusCodeArray, readVariant, skipDiagnosticInfoArray } from "../types/builtins.ts";
import { readNodeId } from "../types/node-id.ts";
import { pushBounded, pushBoundedNumber } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const call: ServiceCodec = {
  name: "Call",
  requestId: 712,
  responseId: 715,
  request(c, d) {
    const n = c.arrayLength(6);
    const nodes: string[] = (d.nodes = []);
    const calls: { object: string; method: string; args: OpcuaValue[] }[] = (d.calls = []);
    for (let i = 0; i < n; i++) {
      const object = readNodeId(c);
      const method = readNodeId(c);
      const m = c.arrayLength(1);
      const args: OpcuaValue[] = [];
      for (let j = 0; j < m; j++) pushBounded(args, readVariant(c));
      pushBounded(nodes, object);
      pushBounded(nodes, method);
      pushBounded(calls, { object, method, args });
    }
  },
  response(c, d) {
    const n = c.arrayLength(16);
    const results: number[] = (d.results = []);
    const values: OpcuaValue[] = (d.values = []);
    for (let i = 0; i < n; i++) {
      pushBoundedNumber(results, readStatusCode(c));
      readStatusCodeArray(c, undefined); // InputArgumentResults
      skipDiagnosticInfoArray(c);
      const m = c.arrayLength(1);
      for (let j = 0; j < m; j++) pushBounded(values, readVariant(c)); // OutputArguments
    }
    skipDiagnosticInfoArray(c);
  },
};
