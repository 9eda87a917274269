// ServiceFault (OPC UA Part 4 §7.35): a ResponseHeader and nothing else; its ServiceResult says why the call failed.
// Binary encoding id 397. It answers any request, so the session pairs it by request id like any response.
export const SERVICE_FAULT_ID = 397;
