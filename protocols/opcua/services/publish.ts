// Publish (OPC UA Part 4 §5.13.5: SubscriptionAcknowledgements → SubscriptionId, AvailableSequenceNumbers,
// MoreNotifications, NotificationMessage, Results, DiagnosticInfos). NotificationData bodies of the three standard
// notification types (Part 4 §7.20: DataChangeNotification 811, EventNotificationList 916, StatusChangeNotification 820)
// are walked for their values and status codes.
import type { OpcuaValue } from "../events.ts";
import {
  readDataValue, readExtensionObject, readStatusCode, readStatusCodeArray, readVariant, skipDiagnosticInfo,
  skipDiagnosticInfoArray,
} from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { pushBounded } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

function readNotification(typeId: number, b: Cursor, values: OpcuaValue[]): void {
  if (typeId === 811) {
    const n = b.arrayLength(5);
    for (let i = 0; i < n; i++) {
      b.skip(4); // ClientHandle
      const v = readDataValue(b).value;
      if (v) pushBounded(values, v);
    }
    skipDiagnosticInfoArray(b);
  } else if (typeId === 916) {
    const n = b.arrayLength(8);
    for (let i = 0; i < n; i++) {
      b.skip(4);
      const m = b.arrayLength(1);
      for (let j = 0; j < m; j++) pushBounded(values, readVariant(b));
    }
  } else if (typeId === 820) {
    readStatusCode(b);
    skipDiagnosticInfo(b);
  } else {
    b.skipped++;
  }
}

export const publish: ServiceCodec = {
  name: "Publish",
  requestId: 826,
  responseId: 829,
  request(c, d) {
    const n = (d.itemCount = c.arrayLength(8));
    c.skip(8 * n);
  },
  response(c, d) {
    d.subscriptionId = c.u32();
    const k = c.arrayLength(4);
    c.skip(4 * k); // AvailableSequenceNumbers
    c.skip(1); // MoreNotifications
    c.skip(4 + 8); // NotificationMessage.SequenceNumber, PublishTime
    const values: OpcuaValue[] = (d.values = []);
    const n = c.arrayLength(6);
    for (let i = 0; i < n; i++) readExtensionObject(c, (t, b) => readNotification(t, b, values));
    d.itemCount = values.length;
    readStatusCodeArray(c, (d.results = []));
    skipDiagnosticInfoArray(c);
  },
};
