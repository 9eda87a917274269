// `otwatch capture` core (runCapture) on `lo` with real tcpdump: a Modbus/TCP exchange on a non-standard port between two
// loopback addresses used by no other test comes out as flow.start, a paired modbus transaction found by content
// probing, and flow.end (FIN), in the JSONL file.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventBase } from "../../src/core/types.ts";
import { runCapture } from "./capture.ts";

const SERVER = "127.88.5.1";
const CLIENT = "127.88.5.2";
const PORT = 15020;
const dir = mkdtempSync(join(tmpdir(), "otwatch-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// FC3 read holding registers 100..101 (unit 1, tid 7) and its response with values 10, 11.
const REQUEST = Buffer.from("000700000006010300640002", "hex");
const RESPONSE = Buffer.from("00070000000701030400" + "0a000b", "hex");

describe("otwatch capture", () => {
  it("decodes a live Modbus exchange on lo until stopped", async () => {
    const events: EventBase[] = [];
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    let ready!: () => void;
    const listening = new Promise<void>((r) => (ready = r));
    const out = join(dir, "live.jsonl");
    const result = runCapture({
      iface: "lo",
      filter: `host ${SERVER} and tcp port ${PORT}`,
      until,
      eventsPath: out,
      quiet: true,
      consumers: [{ onEvent: (e) => void events.push(e) }],
      onReady: () => ready(),
    });
    await Promise.race([listening, result]);

    const server = createServer((s) => s.on("data", () => s.end(RESPONSE)));
    await new Promise<void>((r) => server.listen(PORT, SERVER, () => r()));
    const sock = connect({ host: SERVER, port: PORT, localAddress: CLIENT });
    await new Promise<void>((r) => sock.on("connect", () => r()));
    sock.write(REQUEST);
    sock.on("data", () => sock.end());
    await new Promise<void>((r) => sock.on("close", () => r()));
    server.close();
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.type === "flow.end") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    const { summary } = await result;

    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((e) => e.type)).toEqual(["flow.start", "modbus", "flow.end"]);
    expect(lines[0]).toMatchObject({ src: CLIENT, dst: SERVER, dport: PORT, midstream: false });
    expect(lines[1]).toMatchObject({ status: "ok", fc: 3, tid: 7, unit: 1, src: CLIENT, dst: SERVER });
    expect(lines[1]?.request).toMatchObject({ address: 100, quantity: 2 });
    expect(lines[1]?.response).toMatchObject({ values: [10, 11] });
    expect(lines[2]).toMatchObject({ reason: "fin", established: true, service: "modbus" });
    expect(summary.counters["registry.probed.modbus"]).toBe(1);
    expect(summary.counters["capture.dropped"] ?? 0).toBe(0);
  });
});
