// Wraps a dissector so that an exception thrown by its probe or session is recorded with its stack and the exact input
// bytes, then rethrown unchanged: the pipeline still sees (and counts) it at the session boundary, and the fuzz report
// can name the file, the input hex and the stack.
import type { Dir, Dissector, FlowInfo, ProtocolSession, ProbeVerdict, SessionContext } from "../../src/core/types.ts";

export interface Crash {
  dissector: string;
  op: string;
  dir: Dir | undefined;
  inputHex: string;
  stack: string;
}

/** Longest input kept in a crash record (hex characters are twice this). */
const MAX_CRASH_INPUT = 4096;

function hexOf(b: Uint8Array | undefined): string {
  return b === undefined ? "" : Buffer.from(b.subarray(0, MAX_CRASH_INPUT)).toString("hex");
}

export function recordCrashes(d: Dissector, crashes: Crash[], maxKept = 20): Dissector {
  const note = (op: string, dir: Dir | undefined, data: Uint8Array | undefined, err: unknown): void => {
    if (crashes.length >= maxKept) return;
    const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err);
    crashes.push({ dissector: d.name, op, dir, inputHex: hexOf(data), stack });
  };
  return {
    name: d.name,
    transport: d.transport,
    ports: d.ports,
    framing: d.framing,
    probe(data: Uint8Array, dir: Dir): ProbeVerdict {
      try {
        return d.probe(data, dir);
      } catch (err) {
        note("probe", dir, data, err);
        throw err;
      }
    },
    createSession(flow: FlowInfo): ProtocolSession {
      const s = d.createSession(flow);
      const wrapped: ProtocolSession = {
        onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
          try {
            s.onPdu(dir, pdu, ctx);
          } catch (err) {
            note("onPdu", dir, pdu, err);
            throw err;
          }
        },
        onEnd(ctx: SessionContext): void {
          try {
            s.onEnd(ctx);
          } catch (err) {
            note("onEnd", undefined, undefined, err);
            throw err;
          }
        },
      };
      if (s.onGap !== undefined) {
        wrapped.onGap = (dir, bytes, ctx) => {
          try {
            s.onGap?.(dir, bytes, ctx);
          } catch (err) {
            note(`onGap(${bytes})`, dir, undefined, err);
            throw err;
          }
        };
      }
      if (s.onTick !== undefined) {
        wrapped.onTick = (ctx) => {
          try {
            s.onTick?.(ctx);
          } catch (err) {
            note("onTick", undefined, undefined, err);
            throw err;
          }
        };
      }
      return wrapped;
    },
  };
}
