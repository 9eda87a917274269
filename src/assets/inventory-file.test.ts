// Inventory file round trip: an inventory saved (atomically, as the service does) and loaded into a new inventory gives
// the same snapshot, and keeps learning from traffic after; a damaged or hostile file is refused by the schema.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import { writeFileAtomic } from "../detect/baseline-store.ts";
import { arp, flowEnd, flowStart, transaction } from "../detect/test-events.ts";
import { ZoneMap } from "../detect/zones.ts";
import { AssetInventory, MAX_PER_ASSET } from "./inventory.ts";
import { parseInventoryFile } from "./inventory-file.ts";

const T0 = 1_760_000_000.123456;
const zones = new ZoneMap(parseSiteConfig(`
site: t
zones:
  - { name: scada, level: 2, cidrs: [192.168.1.0/24] }
  - { name: cell, level: 1, cidrs: [192.168.2.0/24] }
`, "t"));

function plant(): AssetInventory {
  const inv = new AssetInventory(zones);
  const s = flowStart({ ts: T0, src: "192.168.1.10", dst: "192.168.2.20", dport: 502, service: "modbus", srcMac: "00:D0:C9:00:00:10", dstMac: "00:30:de:00:00:20" });
  inv.observe(s);
  inv.observe(transaction("modbus", T0 + 1, "192.168.1.10", "192.168.2.20", 502, { unit: 1, fc: 3 }));
  inv.observe(transaction("modbus", T0 + 3, "192.168.1.10", "192.168.2.20", 502, {
    unit: 1, fc: 43, response: { mei: 14, objects: [{ id: 0, value: "WAGO" }, { id: 1, value: "750-8212" }, { id: 0x80, value: "x" }] },
  }));
  inv.observe(transaction("opcua.service", T0 + 4, "192.168.1.10", "192.168.1.7", 4840, {
    service: "CreateSession",
    request: { clientUri: "urn:hmi:client", productUri: "urn:vendor:hmi", applicationName: "HMI Panel", serverUri: "urn:scada:server", endpointUrl: "opc.tcp://scada:4840" },
  }));
  inv.observe(flowEnd(s, T0 + 60.4567));
  inv.observe(arp(T0 + 70, "10.0.0.1", "00:1b:17:00:00:01"));
  inv.observe(arp(T0 + 71, "fe80::1", "00:30:de:00:00:03"));
  return inv;
}

describe("inventory file", () => {
  it("saved and loaded into a new inventory gives the same snapshot, and the new one keeps learning", () => {
    const inv = plant();
    const file = join(mkdtempSync(join(tmpdir(), "otwatch-inv-")), "inventory.json");
    writeFileAtomic(file, inv.toJSON());
    const loaded = new AssetInventory(zones);
    expect(loaded.importSnapshot(parseInventoryFile(readFileSync(file, "utf8")))).toBe(5);
    expect(loaded.snapshot()).toEqual(inv.snapshot());
    expect(loaded.toJSON()).toBe(inv.toJSON());
    expect(loaded.get("192.168.2.20")).toMatchObject({ vendor: "WAGO Kontakttechnik GmbH", zone: "cell", level: 1, roles: ["modbus-server"], services: ["modbus"] });

    // After the restart: known assets go on (last seen, a new unit), new ones appear, a second load merges.
    for (const i of [inv, loaded]) {
      i.observe(transaction("modbus", T0 + 500, "192.168.1.10", "192.168.2.20", 502, { unit: 9, fc: 3 }));
      i.observe(arp(T0 + 501, "192.168.2.30", "00:30:de:00:00:30"));
    }
    expect(loaded.snapshot()).toEqual(inv.snapshot());
    expect(loaded.get("192.168.2.20")?.modbus?.server_units).toEqual([1, 9]);
    loaded.importSnapshot(parseInventoryFile(inv.toJSON()));
    expect(loaded.snapshot()).toEqual(inv.snapshot());
  });

  it("refuses files that are not an inventory, and bounds what it accepts", () => {
    const good = JSON.parse(plant().toJSON()) as Record<string, unknown>[];
    expect(() => parseInventoryFile("{")).toThrow();
    expect(() => parseInventoryFile(JSON.stringify({ assets: good }))).toThrow();
    expect(() => parseInventoryFile(JSON.stringify([{ ...good[0], first_seen: "yesterday" }]))).toThrow();
    expect(() => parseInventoryFile(JSON.stringify([{ ...good[0], ip: 42 }]))).toThrow();
    const macs = Array.from({ length: MAX_PER_ASSET + 1 }, (_, i) => ({ mac: `00:30:de:00:01:${i.toString(16).padStart(2, "0")}`, vendor: null }));
    expect(() => parseInventoryFile(JSON.stringify([{ ...good[0], macs }]))).toThrow();
    expect(() => parseInventoryFile(JSON.stringify([{ ...good[0], modbus: { client_units: [300], server_units: [], device_id: {} } }]))).toThrow();
    expect(parseInventoryFile(JSON.stringify(good))).toHaveLength(5);
  });
});
