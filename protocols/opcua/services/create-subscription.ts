// CreateSubscription (OPC UA Part 4 §5.13.2: RequestedPublishingInterval, RequestedLifetimeCount, RequestedMaxKeepAliveCount,
// MaxNotificationsPerPublish, PublishingEnabled, Priority → SubscriptionId, RevisedPublishingInterval, …).
import type { ServiceCodec } from "./service.ts";

export const createSubscription: ServiceCodec = {
  name: "CreateSubscription",
  requestId: 787,
  responseId: 790,
  request(c) {
    const publishingInterval = c.f64();
    c.skip(4 + 4 + 4 + 1 + 1);
    return { publishingInterval };
  },
  response(c) {
    const subscriptionId = c.u32();
    const publishingInterval = c.f64();
    c.skip(4 + 4);
    return { subscriptionId, publishingInterval };
  },
};
