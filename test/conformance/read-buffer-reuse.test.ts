// readCapture reuses one read buffer for a whole file (src/capture/source.ts): safe only if nothing downstream keeps a view
// of frame bytes past the frame's callback. Every shared capture (and the bundled demo, which runs every protocol and the
// full sensor's inputs) is replayed twice — with the normal 1 MiB reads and with 512-byte reads, so the buffer is overwritten
// every few packets — and the events, serialised only after the whole file was read, must be identical. A stray view kept
// in an event, a session or a reassembly buffer would show its bytes changed.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCapture } from "../../src/capture/source.ts";
import { Counters } from "../../src/core/counters.ts";
import type { EventBase } from "../../src/core/types.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/dissectors.ts";
import { repoRoot, sharedPath } from "../helpers/shared.ts";

async function replay(file: string, chunkBytes: number | undefined): Promise<{ events: string; counters: string }> {
  const kept: EventBase[] = [];
  const counters = new Counters();
  const p = new Pipeline({ dissectors, onEvent: (e) => kept.push(e), counters });
  await readCapture(file, (f) => p.handleFrame(f), counters, { chunkBytes });
  p.finish();
  // Serialised at the end, after the read buffer has been reused many times.
  return { events: kept.map((e) => JSON.stringify(e)).join("\n"), counters: JSON.stringify(counters.snapshot()) };
}

function captures(): string[] {
  const root = sharedPath("pcaps");
  const out: string[] = [join(repoRoot, "appliance/demo/plant-demo.pcap")];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === "ref") continue;
    for (const f of readdirSync(join(root, dir.name))) if (/\.(pcap|pcapng|cap)$/.test(f)) out.push(join(root, dir.name, f));
  }
  return out;
}

describe("one reused read buffer: nothing keeps frame bytes", () => {
  it("gives the same events with 512-byte reads as with 1 MiB reads, for every shared capture and the demo", async () => {
    const files = captures();
    expect(files.length).toBeGreaterThan(20);
    let events = 0;
    for (const file of files) {
      const normal = await replay(file, undefined);
      const tiny = await replay(file, 512);
      expect(tiny.events, file).toBe(normal.events);
      expect(tiny.counters, file).toBe(normal.counters);
      events += normal.events.length > 0 ? normal.events.split("\n").length : 0;
    }
    expect(events).toBeGreaterThan(10_000);
  }, 120_000);
});
