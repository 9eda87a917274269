// Browse (OPC UA Part 4 §5.8.2: View, RequestedMaxReferencesPerNode, NodesToBrowse: BrowseDescription[] → Results:
// BrowseResult[], DiagnosticInfos).
import { readNodeId } from "../types/node-id.ts";
import { skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { pushBounded, readBrowseResult } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

/** Results: BrowseResult[] then DiagnosticInfos; shared with BrowseNext. */
export function readBrowseResults(c: Cursor): { results: number[]; referenceCount: number } {
  const n = c.arrayLength(12);
  const results: number[] = [];
  let referenceCount = 0;
  for (let i = 0; i < n; i++) referenceCount += readBrowseResult(c, results);
  skipDiagnosticInfoArray(c);
  return { results, referenceCount };
}

export const browse: ServiceCodec = {
  name: "Browse",
  requestId: 527,
  responseId: 530,
  request(c) {
    readNodeId(c); // View.ViewId
    c.skip(8 + 4); // View.Timestamp, View.ViewVersion
    c.skip(4); // RequestedMaxReferencesPerNode
    const n = c.arrayLength(1);
    const nodes: string[] = [];
    for (let i = 0; i < n; i++) {
      pushBounded(nodes, readNodeId(c));
      c.skip(4); // BrowseDirection
      readNodeId(c); // ReferenceTypeId
      c.skip(1 + 4 + 4); // IncludeSubtypes, NodeClassMask, ResultMask
    }
    return { nodes };
  },
  response(c) {
    return readBrowseResults(c);
  },
};
