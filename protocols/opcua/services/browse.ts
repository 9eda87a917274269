// Browse (OPC UA Part 4 §5.8.2: View, RequestedMaxReferencesPerNode, NodesToBrowse: BrowseDescription[] → Results:
// BrowseResult[], DiagnosticInfos).
import { readNodeId, skipNodeId } from "../types/node-id.ts";
import { skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { pushBounded, readBrowseResult } from "../types/structures.ts";
import type { MutableDetails, ServiceCodec } from "./service.ts";

/** Results: BrowseResult[] then DiagnosticInfos; shared with BrowseNext. */
export function readBrowseResults(c: Cursor, d: MutableDetails): void {
  const n = c.arrayLength(12);
  const results: number[] = (d.results = []);
  d.referenceCount = 0;
  for (let i = 0; i < n; i++) d.referenceCount += readBrowseResult(c, results);
  skipDiagnosticInfoArray(c);
}

export const browse: ServiceCodec = {
  name: "Browse",
  requestId: 527,
  responseId: 530,
  request(c, d) {
    skipNodeId(c); // View.ViewId
    c.skip(8 + 4); // View.Timestamp, View.ViewVersion
    c.skip(4); // RequestedMaxReferencesPerNode
    const n = c.arrayLength(1);
    const nodes: string[] = (d.nodes = []);
    for (let i = 0; i < n; i++) {
      pushBounded(nodes, readNodeId(c));
      c.skip(4); // BrowseDirection
      skipNodeId(c); // ReferenceTypeId
      c.skip(1 + 4 + 4); // IncludeSubtypes, NodeClassMask, ResultMask
    }
  },
  response: readBrowseResults,
};
