// TranslateBrowsePathsToNodeIds (OPC UA Part 4 §5.8.4: BrowsePaths: BrowsePath[] (StartingNode, RelativePath) →
// Results: BrowsePathResult[] (StatusCode, Targets: BrowsePathTarget[]), DiagnosticInfos).
import { readStatusCode, skipDiagnosticInfoArray, skipQualifiedName } from "../types/builtins.ts";
import { readExpandedNodeId, readNodeId, skipNodeId } from "../types/node-id.ts";
import { pushBounded, pushBoundedNumber } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

export const translateBrowsePaths: ServiceCodec = {
  name: "TranslateBrowsePathsToNodeIds",
  requestId: 554,
  responseId: 557,
  request(c, d) {
    const n = c.arrayLength(5);
    const nodes: string[] = (d.nodes = []);
    for (let i = 0; i < n; i++) {
      pushBounded(nodes, readNodeId(c)); // StartingNode
      const m = c.arrayLength(5); // RelativePath.Elements
      for (let j = 0; j < m; j++) {
        skipNodeId(c); // ReferenceTypeId
        c.skip(2); // IsInverse, IncludeSubtypes
        skipQualifiedName(c); // TargetName
      }
    }
  },
  response(c, d) {
    const n = c.arrayLength(8);
    const results: number[] = (d.results = []);
    const nodes: string[] = (d.nodes = []);
    for (let i = 0; i < n; i++) {
      pushBoundedNumber(results, readStatusCode(c));
      const m = c.arrayLength(5);
      for (let j = 0; j < m; j++) {
        pushBounded(nodes, readExpandedNodeId(c)); // TargetId
        c.skip(4); // RemainingPathIndex
      }
    }
    skipDiagnosticInfoArray(c);
  },
};
