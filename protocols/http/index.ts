// HTTP/1.x protocol module: ports 80/8080/8000/8008 first, then a content probe (a request line's method, or a
// status line) on any port. No framing is declared: the session parses the in-order byte stream itself, because
// HTTP message boundaries depend on headers (RFC 9112 §6.3), not on a fixed-size header.

import type { Dir, Dissector, FlowInfo, ProbeVerdict } from "../../src/core/types.ts";
import { HttpSession } from "./session.ts";
import { probeHttp } from "./wire.ts";

export const HTTP_PORTS: readonly number[] = [80, 8080, 8000, 8008];

export const httpDissector: Dissector = {
  name: "http",
  transport: "tcp",
  ports: HTTP_PORTS,
  probe(data: Uint8Array, dir: Dir): ProbeVerdict {
    return probeHttp(data, dir);
  },
  framing: undefined,
  createSession(flow: FlowInfo) {
    return new HttpSession(flow);
  },
};
