// BrowseNext (OPC UA Part 4 §5.8.3: ReleaseContinuationPoints, ContinuationPoints → Results: BrowseResult[]).
import { readBrowseResults } from "./browse.ts";
import type { ServiceCodec } from "./service.ts";

export const browseNext: ServiceCodec = {
  name: "BrowseNext",
  requestId: 533,
  responseId: 536,
  request(c) {
    c.skip(1); // ReleaseContinuationPoints
    const n = c.arrayLength(4);
    for (let i = 0; i < n; i++) c.byteString();
    return { itemCount: n };
  },
  response(c) {
    return readBrowseResults(c);
  },
};
