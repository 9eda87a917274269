// CreateSubscription (OPC UA Part 4 §5.13.2: RequestedPublishingInterval, RequestedLifetimeCount, RequestedMaxKeepAliveCount,
// MaxNotificationsPerPublish, PublishingEnabled, Priority → SubscriptionId, RevisedPublishingInterval, …).
import type { ServiceCodec } from "./service.ts";

export const createSubscription: ServiceCodec = {
  name: "CreateSubscription",
  requestId: 787,
  responseId: 790,
  request(c, d) {
    d.publishingInterval = c.f64();
    c.skip(4 + 4 + 4 + 1 + 1);
  },
  response(c, d) {
    d.subscriptionId = c.u32();
    d.publishingInterval = c.f64();
    c.skip(4 + 4);
  },
};
