// Session-level fuzzing (a second stage after the whole-pipeline runs): mutated messages — sometimes mutated twice —
// handed straight to a dissector's probe and session (onPdu, with gaps and ticks now and then), skipping the framer, so
// far more malformed PDUs reach the decoders per second. An exception here is a dissector bug that the pipeline would
// have caught at the session boundary as internal.<proto>.exception; each distinct stack is kept with its input.
import type { Dir, EventBase, FlowInfo, SessionContext } from "../../src/core/types.ts";
import type { FuzzTarget } from "./harness.ts";
import { createMutator } from "./mutate.ts";
import { Prng } from "./prng.ts";
import type { Crash } from "./stacks.ts";

export interface DirectResult {
  target: string;
  pdus: number;
  seconds: number;
  events: number;
  weird: number;
  exceptions: number;
  crashes: Crash[];
}

/** A new session every this many PDUs, so fresh-state paths run as well as long-lived ones. */
const SESSION_PDUS = 500;

export function runDirect(target: FuzzTarget, pdus: number, seed: number): DirectResult {
  const d = target.dissectors[0];
  if (d === undefined) throw new Error(`${target.name}: no dissector`);
  const rng = new Prng(seed);
  const mutator = createMutator(rng, target.seeds);
  const flow: FlowInfo = {
    id: "F1", transport: target.transport, client: "10.0.0.1", clientPort: 50_000, server: "10.0.0.2", serverPort: target.port,
    clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 1_700_000_000,
  };
  let events = 0;
  let weird = 0;
  const ctx: SessionContext & { frame: number; ts: number } = {
    flow, frame: 0, ts: flow.startTs,
    emit: (_e: EventBase) => void events++,
    count: () => {},
    weird: () => void weird++,
    // A budget that sometimes says no, so the refusal paths of every session are fuzzed too.
    reserve: () => !rng.chance(0.05),
    release: () => undefined,
  };
  const crashes: Crash[] = [];
  const seen = new Set<string>();
  let exceptions = 0;
  let session = d.createSession(flow);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < pdus; i++) {
    if (i % SESSION_PDUS === 0) session = d.createSession(flow);
    ctx.frame = i + 1;
    ctx.ts += rng.int(100) / 100;
    let pdu = mutator.mutate(rng.pick(target.seeds));
    if (rng.chance(0.3)) pdu = mutator.mutate({ ...rng.pick(target.seeds), bytes: pdu });
    const dir: Dir = rng.chance(0.5) ? 0 : 1;
    let op = "probe";
    try {
      d.probe(pdu, dir);
      op = "onPdu";
      session.onPdu(dir, pdu, ctx);
      op = "onGap";
      if (rng.chance(0.01)) session.onGap?.(dir, rng.int(1000), ctx);
      op = "onTick";
      if (rng.chance(0.01)) session.onTick?.(ctx);
    } catch (err) {
      exceptions++;
      const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err);
      const key = stack.split("\n").slice(0, 3).join("|");
      if (!seen.has(key) && crashes.length < 20) {
        seen.add(key);
        crashes.push({ dissector: d.name, op, dir, inputHex: Buffer.from(pdu).toString("hex"), stack });
      }
      session = d.createSession(flow);
    }
  }
  return { target: target.name, pdus, seconds: Number(process.hrtime.bigint() - t0) / 1e9, events, weird, exceptions, crashes };
}
