// Child process for the kill -9 test of baseline-store: saves baselines in a loop, each one internally consistent
// (every entry of its payload equals its sequence number), and prints the sequence number after each save.
import { saveBaseline } from "./baseline-store.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: baseline-store.kill-child.ts <state file>");
for (let seq = 1; ; seq++) {
  const payload = Array.from({ length: 20_000 }, () => seq);
  saveBaseline(path, {
    version: 1, site: "kill-test", learn: { firstTs: 1, learnedSeconds: seq }, zones: { learnedOt: [] }, models: { test: { seq, payload } },
  });
  process.stdout.write(`${seq}\n`);
}
