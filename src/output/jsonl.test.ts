// JSONL formatting: every ts/startTs key (top level and nested records) becomes ISO µs; look-alikes inside strings stay.
import { describe, expect, it } from "vitest";
import { formatEvent } from "./jsonl.ts";
import type { WeirdEvent } from "../core/types.ts";

describe("formatEvent", () => {
  it("rewrites time keys only, at any depth, and keeps field order", () => {
    const e = {
      type: "x",
      ts: 1748933201.10378,
      frame: 3,
      flow: "F1",
      src: "a",
      sport: 1,
      dst: "b",
      dport: 2,
      startTs: 1748933200,
      request: { ts: 1748933201.5, values: [1, 2] },
      note: 'he wrote "ts":5 and {"startTs":7}',
    };
    const line = formatEvent(e);
    expect(line).toBe(
      '{"type":"x","ts":"2025-06-03T06:46:41.103780Z","frame":3,"flow":"F1","src":"a","sport":1,"dst":"b","dport":2,' +
        '"startTs":"2025-06-03T06:46:40.000000Z","request":{"ts":"2025-06-03T06:46:41.500000Z","values":[1,2]},' +
        '"note":"he wrote \\"ts\\":5 and {\\"startTs\\":7}"}',
    );
    expect(JSON.parse(line).note).toBe(e.note);
  });

  it("keeps string fields that happen to be named ts", () => {
    const w: WeirdEvent = { type: "weird", ts: 0.000001, frame: 1, flow: "", src: "", sport: 0, dst: "", dport: 0, proto: "tcp", name: "n", detail: "d" };
    expect(formatEvent(w)).toContain('"ts":"1970-01-01T00:00:00.000001Z"');
  });
});
