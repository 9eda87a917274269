// Write (OPC UA Part 4 §5.10.4: NodesToWrite: WriteValue[] (NodeId, AttributeId, IndexRange, Value: DataValue) →
// Results: StatusCode[], DiagnosticInfos).
import type { OpcuaValue } from "../events.ts";
import { readDataValue, readStatusCodeArray, skipDiagnosticInfoArray } from "../types/builtins.ts";
import { readNodeId } from "../types/node-id.ts";
import { pushBounded, pushBoundedNumber } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

const NO_VALUE: OpcuaValue = { type: "Null", value: "" };

export const write: ServiceCodec = {
  name: "Write",
  requestId: 673,
  responseId: 676,
  request(c, d) {
    const n = c.arrayLength(12);
    const nodes: string[] = (d.nodes = []);
    const attributes: number[] = (d.attributes = []);
    const writes: { node: string; attribute: number; value: OpcuaValue }[] = (d.writes = []);
    for (let i = 0; i < n; i++) {
      const node = readNodeId(c);
      const attribute = c.u32();
      c.skipString(); // IndexRange
      const value = readDataValue(c).value ?? NO_VALUE;
      pushBounded(nodes, node);
      pushBoundedNumber(attributes, attribute);
      pushBounded(writes, { node, attribute, value });
    }
  },
  response(c, d) {
    readStatusCodeArray(c, (d.results = []));
    skipDiagnosticInfoArray(c);
  },
};
