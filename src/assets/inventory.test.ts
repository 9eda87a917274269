// Inventory: vendor from the IEEE registry (oui-data), roles from Modbus/OPC UA events, FC43/14 device identification,
// zones, first/last seen in packet time, sorted snapshot; an address that never answered is not an asset.
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import { arp, flowEnd, flowStart, transaction } from "../detect/test-events.ts";
import { ZoneMap } from "../detect/zones.ts";
import { AssetInventory } from "./inventory.ts";
import { isLocallyAdministered, vendorOf } from "./oui.ts";

const T0 = 1_760_000_000;

describe("vendorOf", () => {
  it("finds MA-L vendors and prefers the longer MA-M/MA-S prefix", () => {
    expect(vendorOf("00:30:de:00:00:20")).toBe("WAGO Kontakttechnik GmbH");
    expect(vendorOf("00-D0-C9-11-22-33")).toBe("ADVANTECH CO., LTD.");
    expect(vendorOf("00:1b:17:aa:bb:cc")).toBe("Palo Alto Networks");
    // C8:5C:E2 is an IEEE Registration Authority block subdivided into MA-S entries (the package's own example)
    expect(vendorOf("c8:5c:e2:7a:bc:de")).toBe("SYNERGY SYSTEMS AND SOLUTIONS");
    expect(vendorOf("02:00:00:00:00:01")).toBeUndefined();
    expect(vendorOf("not a mac")).toBeUndefined();
    expect(isLocallyAdministered("02:00:00:00:00:01")).toBe(true);
    expect(isLocallyAdministered("00:30:de:00:00:20")).toBe(false);
  });
});

describe("AssetInventory", () => {
  const zones = new ZoneMap(parseSiteConfig(`
site: t
zones:
  - { name: scada, level: 2, cidrs: [192.168.1.0/24] }
  - { name: cell, level: 1, cidrs: [192.168.2.0/24] }
`, "t"));

  it("learns MACs, vendors, zones, roles, units, device identity and OPC UA descriptions", () => {
    const inv = new AssetInventory(zones);
    const s = flowStart({ ts: T0, src: "192.168.1.10", dst: "192.168.2.20", dport: 502, service: "modbus",
      srcMac: "00:D0:C9:00:00:10", dstMac: "00:30:de:00:00:20" });
    inv.observe(s);
    inv.observe(transaction("modbus", T0 + 1, "192.168.1.10", "192.168.2.20", 502, { unit: 1, fc: 3 }));
    inv.observe(transaction("modbus", T0 + 2, "192.168.1.10", "192.168.2.20", 502, { unit: 7, fc: 3, status: "timeout" }));
    inv.observe(transaction("modbus", T0 + 3, "192.168.1.10", "192.168.2.20", 502, {
      unit: 1, fc: 43, response: { mei: 14, objects: [{ id: 0, value: "WAGO" }, { id: 1, value: "750-8212" }, { id: 2, value: "03.10.08" }, { id: 0x80, value: "x" }] },
    }));
    inv.observe(transaction("opcua.service", T0 + 4, "192.168.1.10", "192.168.1.7", 4840, {
      service: "CreateSession",
      request: { clientUri: "urn:hmi:client", productUri: "urn:vendor:hmi", applicationName: "HMI Panel", serverUri: "urn:scada:server",
        endpointUrl: "opc.tcp://scada:4840" },
    }));
    inv.observe(flowEnd(s, T0 + 60));

    const hmi = inv.get("192.168.1.10");
    expect(hmi).toMatchObject({
      macs: [{ mac: "00:d0:c9:00:00:10", vendor: "ADVANTECH CO., LTD." }], vendor: "ADVANTECH CO., LTD.", zone: "scada", level: 2,
      roles: ["modbus-client", "opcua-client"], first_seen: "2025-10-09T08:53:20.000Z", last_seen: "2025-10-09T08:54:20.000Z",
      modbus: { client_units: [1, 7], server_units: [] },
      opcua: { application_uri: "urn:hmi:client", product_uri: "urn:vendor:hmi", application_name: "HMI Panel", endpoint_urls: [] },
    });
    const plc = inv.get("192.168.2.20");
    expect(plc).toMatchObject({
      vendor: "WAGO Kontakttechnik GmbH", zone: "cell", level: 1, roles: ["modbus-server"], services: ["modbus"],
      modbus: { client_units: [], server_units: [1], device_id: { MajorMinorRevision: "03.10.08", ProductCode: "750-8212", VendorName: "WAGO", object_128: "x" } },
    });
    expect(inv.get("192.168.1.7")).toMatchObject({
      roles: ["opcua-server"], opcua: { application_uri: "urn:scada:server", endpoint_urls: ["opc.tcp://scada:4840"] },
    });
  });

  it("does not list an address that never answered, and sorts the snapshot by address", () => {
    const inv = new AssetInventory(zones);
    const scan = flowStart({ ts: T0, src: "192.168.1.50", dst: "192.168.2.77", dport: 22 });
    inv.observe(scan);
    inv.observe(flowEnd(scan, T0 + 1, { established: false, rejected: true, pktsToClient: 0 }));
    inv.observe(arp(T0 + 2, "192.168.2.3", "00:30:de:00:00:03"));
    inv.observe(arp(T0 + 3, "10.0.0.1", "00:1b:17:00:00:01"));
    inv.observe(arp(T0 + 4, "0.0.0.0", "00:30:de:00:00:09"));
    const snap = inv.snapshot();
    expect(snap.map((a) => a.ip)).toEqual(["10.0.0.1", "192.168.1.50", "192.168.2.3"]);
    expect(snap[0]).toMatchObject({ zone: "unknown", level: null, vendor: "Palo Alto Networks" });
    const text = inv.toJSON();
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(snap)));
    expect(text.indexOf('"first_seen"')).toBeLessThan(text.indexOf('"ip"')); // keys sorted
  });

  it("keeps per-window summaries equal to the snapshot and lists only assets changed since the last call", () => {
    const zm = new ZoneMap();
    const inv = new AssetInventory(zm);
    const fromSnapshot = () => inv.snapshot().map((a) => ({
      ip: a.ip, zone: a.zone, role: a.roles[0] ?? "host", vendor: a.vendor ?? "unknown", firstSeen: Date.parse(a.first_seen) / 1000,
    }));
    const ips = (recs: { ip: string }[]) => recs.map((r) => r.ip);
    inv.observe(arp(T0 + 5.0004, "10.0.0.9", "02:00:00:00:00:09"));
    expect(ips(inv.changedRecords())).toEqual(["10.0.0.9"]); // first call: every asset
    expect(inv.changedRecords()).toEqual([]);
    // a second, registered MAC gives the vendor; a smaller role replaces the first one; an earlier packet the first seen
    inv.observe(transaction("opcua.service", T0 + 6, "10.0.0.10", "10.0.0.9", 4840, { status: "ok" }));
    inv.observe(arp(T0 + 7, "10.0.0.9", "00:30:de:00:00:20"));
    inv.observe(transaction("modbus", T0 + 8, "10.0.0.10", "10.0.0.9", 502, { unit: 1, fc: 3, status: "ok" }));
    inv.observe(transaction("modbus", T0 + 2.0006, "10.0.0.2", "10.0.0.9", 502, { unit: 1, fc: 3, status: "ok" }));
    expect(inv.summaries()).toEqual(fromSnapshot());
    expect(inv.summaries()[1]).toMatchObject({ ip: "10.0.0.9", role: "modbus-server", vendor: "WAGO Kontakttechnik GmbH" });
    expect(inv.summaries()[1]?.firstSeen).toBeCloseTo(T0 + 2.001, 6);
    expect(ips(inv.changedRecords())).toEqual(["10.0.0.2", "10.0.0.9", "10.0.0.10"]);
    const rows = inv.summaries();
    inv.observe(transaction("modbus", T0 + 9, "10.0.0.10", "10.0.0.9", 502, { unit: 1, fc: 3, status: "ok" }));
    expect(inv.summaries()).toBe(rows); // nothing but last seen changed: the same rows
    expect(inv.changedRecords()).toEqual([]);
    inv.observe(transaction("modbus", T0 + 10, "10.0.0.10", "10.0.0.9", 502, { unit: 2, fc: 3, status: "ok" }));
    expect(ips(inv.changedRecords())).toEqual(["10.0.0.9", "10.0.0.10"]); // a new unit on both ends
    inv.observe(flowEnd(flowStart({ ts: T0 + 3, src: "10.0.0.2", dst: "10.0.0.9", dport: 502, service: "modbus" }), T0 + 11, { established: true }));
    expect(ips(inv.changedRecords())).toEqual(["10.0.0.9"]); // served modbus: a service; 10.0.0.2 only seen again
    // a host learned as OT changes zone: summaries follow, and every asset is compared again
    zm.learnOt("10.0.0.9");
    expect(inv.summaries()).toEqual(fromSnapshot());
    expect(inv.summaries()[1]?.zone).toBe("learned-ot");
    expect(ips(inv.changedRecords())).toEqual(["10.0.0.2", "10.0.0.9", "10.0.0.10"]);
  });
});
