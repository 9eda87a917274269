import type { Dir, EventBase, SessionContext, FlowInfo } from "../../src/core/types.ts";
import { fuzzTargets } from "./targets.ts";
import { createMutator } from "./mutate.ts";
import { Prng } from "./prng.ts";
const flow: FlowInfo = { id: "F1", transport: "tcp", client: "10.0.0.1", clientPort: 5000, server: "10.0.0.2", serverPort: 502, clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 0 };
const n = Number(process.argv[2] ?? 1e6);
for (const t of fuzzTargets()) {
  const rng = new Prng(99);
  const m = createMutator(rng, t.seeds);
  let ev = 0, ex = 0;
  const ctx: SessionContext & { ts: number; frame: number } = { flow, frame: 0, ts: 1000, emit: (_e: EventBase) => { ev++; }, count: () => {}, weird: () => {} };
  let s = t.dissectors[0]!.createSession(flow);
  const seen = new Set<string>();
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    if (i % 500 === 0) s = t.dissectors[0]!.createSession(flow);
    ctx.frame = i; ctx.ts += rng.int(100) / 100;
    let pdu = m.mutate(rng.pick(t.seeds));
    if (rng.chance(0.3)) pdu = m.mutate({ ...rng.pick(t.seeds), bytes: pdu });
    const dir: Dir = rng.chance(0.5) ? 0 : 1;
    try {
      t.dissectors[0]!.probe(pdu, dir);
      s.onPdu(dir, pdu, ctx);
      if (rng.chance(0.01)) s.onGap?.(dir, rng.int(1000), ctx);
      if (rng.chance(0.01)) s.onTick?.(ctx);
    } catch (e) {
      ex++;
      const key = String((e as Error).stack).split("\n").slice(0, 3).join("|");
      if (!seen.has(key)) { seen.add(key); console.log(t.name, Buffer.from(pdu).toString("hex").slice(0, 400), (e as Error).stack?.split("\n").slice(0, 6).join("\n")); }
    }
  }
  console.log(t.name, n, "events", ev, "exceptions", ex, ((Date.now() - t0) / 1000).toFixed(1), "s");
}
