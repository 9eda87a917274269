// CloseSession (OPC UA Part 4 §5.6.4: DeleteSubscriptions → header only).
import type { ServiceCodec } from "./service.ts";

export const closeSession: ServiceCodec = {
  name: "CloseSession",
  requestId: 473,
  responseId: 476,
  request(c) {
    c.skip(1); // DeleteSubscriptions
  },
  response() {},
};
