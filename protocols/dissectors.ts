// The dissectors otwatch runs, in order. Order matters only where two dissectors claim the same port or both probe yes:
// the first wins (the OT protocols come first: their probes are the strictest). Kept apart from protocols/index.ts (which
// adds each protocol's analyzer and metrics) so that decoding alone does not load the detection stack and its schema
// library: a plain `otwatch replay` starts ≈40 ms sooner.
import type { Dissector } from "../src/core/types.ts";
import { dnsDissector, dnsTcpDissector } from "./dns/index.ts";
import { httpDissector } from "./http/index.ts";
import { modbusDissector } from "./modbus/index.ts";
import { opcuaDissector } from "./opcua/index.ts";
import { tlsDissector } from "./tls/index.ts";

export const dissectors: readonly Dissector[] = [modbusDissector, opcuaDissector, dnsDissector, dnsTcpDissector, httpDissector, tlsDissector];
