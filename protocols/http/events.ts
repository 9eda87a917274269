// Events the HTTP/1.x dissector emits: one per request, paired with its response status (pipelined requests are
// paired in order, RFC 9112 §9.3.2). The shape lives in src/detect/behaviour/types.ts so the analyzers can read it.

export type { HttpEvent } from "../../src/detect/behaviour/types.ts";
export { HTTP_EVENT } from "../../src/detect/behaviour/types.ts";
