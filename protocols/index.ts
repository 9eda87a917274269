// The protocol modules otwatch knows. Adding a protocol = a new folder + one line here; nothing in src/ changes.
// Order matters only where two dissectors claim the same port or both probe yes: the first wins.
import type { Dissector } from "../src/core/types.ts";
import { modbusDissector } from "./modbus/index.ts";
import { opcuaDissector } from "./opcua/index.ts";

export const dissectors: readonly Dissector[] = [modbusDissector, opcuaDissector];
