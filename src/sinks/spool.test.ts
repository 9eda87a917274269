// Spool: order, persistence across instances, kill -9 of a writing process, torn last record, bounded size with
// counted drops of the oldest segment.
import { spawn } from "node:child_process";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, repoRootDir, tempDir } from "../../test/helpers/servers.ts";
import { Spool } from "./spool.ts";

afterAll(removeTempDirs);

function drain(s: Spool, batch = 7): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const recs = s.peek(batch);
    if (recs.length === 0) return out;
    for (const r of recs) out.push(...r.items);
    s.ack(recs);
  }
}

describe("Spool", () => {
  it("delivers records in order across segments and partial acks", () => {
    const dir = tempDir();
    const s = new Spool(dir, { maxBytes: 64 * 1024, segmentBytes: 1024, log: () => undefined });
    for (let i = 0; i < 300; i++) s.append([{ i }, { i: i + 0.5 }]);
    expect(s.depth).toBe(600);
    expect(readdirSync(dir).filter((f) => f.startsWith("seg-")).length).toBeGreaterThan(5);
    const first = s.peek(5);
    expect(first.map((r) => r.items)).toEqual([[{ i: 0 }, { i: 0.5 }], [{ i: 1 }, { i: 1.5 }], [{ i: 2 }, { i: 2.5 }]]);
    s.ack(first.slice(0, 1));
    expect(s.depth).toBe(598);
    const rest = drain(s);
    expect(rest.length).toBe(598);
    expect(rest[0]).toEqual({ i: 1 });
    expect(rest[597]).toEqual({ i: 299.5 });
    expect(s.depth).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith("seg-")).length).toBe(1);
    s.close();
  });

  it("a new instance on the same folder continues after the last ack", () => {
    const dir = tempDir();
    const a = new Spool(dir, { log: () => undefined });
    for (let i = 0; i < 10; i++) a.append([i]);
    a.ack(a.peek(4));
    a.close();
    const b = new Spool(dir, { log: () => undefined });
    expect(b.depth).toBe(6);
    b.append([10]);
    expect(drain(b)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    b.close();
    const c = new Spool(dir, { log: () => undefined });
    expect(c.depth).toBe(0);
    expect(c.peek(10)).toEqual([]);
  });

  it("keeps everything appended by a process killed with SIGKILL, and cuts a torn last record", async () => {
    const dir = tempDir();
    const script = `
      import { Spool } from ${JSON.stringify(join(repoRootDir, "src/sinks/spool.ts"))};
      const s = new Spool(${JSON.stringify(dir)}, { fsyncIntervalMs: 60000, log: () => undefined });
      let i = 0;
      setInterval(() => { for (let k = 0; k < 50; k++) { s.append([i]); i++; } process.stdout.write(i + "\\n"); }, 2);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRootDir, stdio: ["ignore", "pipe", "inherit"] });
    let written = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        const lines = d.toString().trim().split("\n");
        written = Number(lines[lines.length - 1]);
        if (written >= 2000) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((r) => child.once("exit", r));
    const segs = readdirSync(dir).filter((f) => f.startsWith("seg-"));
    appendFileSync(join(dir, segs[segs.length - 1] as string), '3\t[1,2'); // a write torn by a crash
    const s = new Spool(dir, { log: () => undefined });
    const items = drain(s, 500) as number[];
    expect(items.length).toBeGreaterThanOrEqual(written);
    expect(items).toEqual(items.map((_, i) => i));
    expect(s.corrupt).toBe(1);
  });

  it("when full drops the oldest waiting segment, counts and logs it, and keeps order", () => {
    const dir = tempDir();
    const logs: string[] = [];
    const s = new Spool(dir, { maxBytes: 8 * 1024, segmentBytes: 1024, log: (m) => logs.push(m) });
    for (let i = 0; i < 2000; i++) s.append([i]);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.bytes).toBeLessThanOrEqual(8 * 1024);
    expect(logs.some((l) => l.includes("spool full") && l.includes("dropped"))).toBe(true);
    const items = drain(s) as number[];
    expect(items.length + s.dropped).toBe(2000);
    // The segment being delivered (oldest) is kept, then a gap, then the newest items in order.
    expect(items[0]).toBe(0);
    expect(items[items.length - 1]).toBe(1999);
    expect([...items].sort((a, b) => a - b)).toEqual(items);
  });
});
