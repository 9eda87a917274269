// BrowseNext (OPC UA Part 4 §5.8.3: ReleaseContinuationPoints, ContinuationPoints → Results: BrowseResult[]).
import { readBrowseResults } from "./browse.ts";
import type { ServiceCodec } from "./service.ts";

export const browseNext: ServiceCodec = {
  name: "BrowseNext",
  requestId: 533,
  responseId: 536,
  request(c, d) {
    c.skip(1); // ReleaseContinuationPoints
    const n = (d.itemCount = c.arrayLength(4));
    for (let i = 0; i < n; i++) c.skipString(); // ContinuationPoints
  },
  response: readBrowseResults,
};
