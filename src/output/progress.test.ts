// Progress bar: drawn with bytes read / total and packets per second, throttled, cleared at the end.
import { describe, expect, it } from "vitest";
import { ProgressBar } from "./progress.ts";

describe("ProgressBar", () => {
  it("draws the fraction of the file read and clears its line when done", () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s) > 0, isTTY: true, columns: 120 });
    bar.update(512 * 1024, 1024 * 1024, 1000);
    bar.update(600 * 1024, 1024 * 1024, 2000); // within the redraw interval: skipped
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\r\[#{15}\.{15}\]  50\.0% 0\.5\/1\.0 MiB  1,000 packets  [\d,]+ packets\/s\x1b\[K$/);
    bar.done();
    expect(out[1]).toBe("\r\x1b[K");
  });
});
