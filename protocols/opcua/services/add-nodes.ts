// AddNodes (OPC UA Part 4 §5.7.2: NodesToAdd: AddNodesItem[] (ParentNodeId, ReferenceTypeId, RequestedNewNodeId,
// BrowseName, NodeClass, NodeAttributes, TypeDefinition) → Results: AddNodesResult[] (StatusCode, AddedNodeId)).
// Node management from a client is rare in a running plant and worth seeing: the parents and new nodes are kept.
import {
  readExtensionObject, readStatusCode, readVariant, skipDiagnosticInfoArray, skipLocalizedText, skipQualifiedName,
} from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { readExpandedNodeId, readNodeId, skipExpandedNodeId, skipNodeId } from "../types/node-id.ts";
import { pushBounded, pushBoundedNumber } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

/**
 * NodeAttributes bodies (Part 4 §7.19): only VariableAttributes (357) and VariableTypeAttributes (366) hold a NodeId
 * (DataType) and a Value; the other attribute sets (Object, Method, ObjectType, ReferenceType, DataType, View) hold
 * texts, masks and flags only, so their bodies are left unread.
 */
function readNodeAttributes(typeId: number, b: Cursor): void {
  if (typeId !== 357 && typeId !== 366) return;
  b.skip(4); // SpecifiedAttributes
  skipLocalizedText(b); // DisplayName
  skipLocalizedText(b); // Description
  b.skip(4 + 4); // WriteMask, UserWriteMask
  readVariant(b); // Value
  skipNodeId(b); // DataType
}

export const addNodes: ServiceCodec = {
  name: "AddNodes",
  requestId: 488,
  responseId: 491,
  request(c, d) {
    const n = (d.itemCount = c.arrayLength(16));
    const nodes: string[] = (d.nodes = []);
    for (let i = 0; i < n; i++) {
      pushBounded(nodes, readExpandedNodeId(c)); // ParentNodeId
      skipNodeId(c); // ReferenceTypeId
      skipExpandedNodeId(c); // RequestedNewNodeId
      skipQualifiedName(c);
      c.skip(4); // NodeClass
      readExtensionObject(c, readNodeAttributes); // NodeAttributes
      skipExpandedNodeId(c); // TypeDefinition
    }
  },
  response(c, d) {
    const n = c.arrayLength(5);
    const results: number[] = (d.results = []);
    const nodes: string[] = (d.nodes = []);
    for (let i = 0; i < n; i++) {
      pushBoundedNumber(results, readStatusCode(c));
      pushBounded(nodes, readNodeId(c));
    }
    skipDiagnosticInfoArray(c);
  },
};
