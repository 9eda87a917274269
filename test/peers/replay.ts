// Test peer helper: runs a capture file (or live frames) through the real pipeline with every protocol module and
// collects the events and counters, so real-peer tests assert on exactly what `otwatch replay` would report.
import { Counters } from "../../src/core/counters.ts";
import type { EventBase } from "../../src/core/types.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";

export interface Decoded {
  readonly events: EventBase[];
  readonly counters: Counters;
  readonly packets: number;
}

export function createCollector(): { pipeline: Pipeline; decoded: Decoded } {
  const counters = new Counters();
  const events: EventBase[] = [];
  const pipeline = new Pipeline({ dissectors, counters, onEvent: (e) => events.push(e) });
  const decoded = {
    events,
    counters,
    get packets() {
      return pipeline.packets;
    },
  };
  return { pipeline, decoded };
}

export async function decodeCapture(file: string): Promise<Decoded> {
  const { pipeline, decoded } = createCollector();
  await readCapture(file, (f) => pipeline.handleFrame(f), decoded.counters);
  pipeline.finish();
  return decoded;
}

export function ofType<T extends EventBase>(events: readonly EventBase[], type: T["type"]): T[] {
  return events.filter((e) => e.type === type) as T[];
}
