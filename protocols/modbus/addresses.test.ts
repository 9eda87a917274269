// Address bookkeeping: which table/addresses each function code touches, compact range merging and its cap.
import { describe, expect, it } from "vitest";
import { addRange, formatRanges, MODBUS_MAX_RANGES, pollKeyOf, pollNumKeyOf, rangesContain, readOf, writesOf, type Ranges } from "./addresses.ts";
import type { ModbusPdu } from "./events.ts";

const pdu = (fc: number, extra: Partial<ModbusPdu>): ModbusPdu => ({ frame: 1, ts: 0, fc, tid: 1, protocolId: 0, length: 6, unit: 1, ...extra });

describe("what a request touches", () => {
  it("maps function codes to tables, addresses and values", () => {
    expect(writesOf(5, pdu(5, { address: 12, values: [1] }))).toEqual([{ table: "coils", address: 12, value: 1 }]);
    expect(writesOf(16, pdu(16, { address: 40, quantity: 2, values: [7, 8] }))).toEqual([
      { table: "holding-registers", address: 40, value: 7 },
      { table: "holding-registers", address: 41, value: 8 },
    ]);
    expect(writesOf(22, pdu(22, { address: 9, andMask: 1, orMask: 2 }))).toEqual([{ table: "holding-registers", address: 9, value: undefined }]);
    expect(writesOf(23, pdu(23, { readAddress: 0, readQuantity: 4, writeAddress: 100, writeQuantity: 1, values: [5] }))).toEqual([{ table: "holding-registers", address: 100, value: 5 }]);
    expect(writesOf(3, pdu(3, { address: 0, quantity: 4 }))).toEqual([]);
    expect(readOf(4, pdu(4, { address: 30, quantity: 2 }))).toEqual({ table: "input-registers", lo: 30, hi: 31 });
    expect(readOf(23, pdu(23, { readAddress: 0, readQuantity: 4, writeAddress: 100 }))).toEqual({ table: "holding-registers", lo: 0, hi: 3 });
    expect(pollKeyOf(2, pdu(2, { address: 0, quantity: 32 }))).toBe("2:0:32");
    expect(pollKeyOf(6, pdu(6, { address: 0, values: [1] }))).toBeUndefined();
  });
});

describe("compact ranges", () => {
  it("merges overlapping and adjacent ranges and finds addresses", () => {
    const r: Ranges = [];
    addRange(r, 10, 19);
    addRange(r, 30, 39);
    addRange(r, 20, 20);
    addRange(r, 0, 0);
    expect(r).toEqual([[0, 0], [10, 20], [30, 39]]);
    addRange(r, 15, 35);
    expect(r).toEqual([[0, 0], [10, 39]]);
    expect([rangesContain(r, 0), rangesContain(r, 5), rangesContain(r, 39), rangesContain(r, 40)]).toEqual([true, false, true, false]);
    expect(formatRanges(r)).toBe("0, 10..39");
  });

  it("stays bounded: past the cap the closest neighbours merge", () => {
    const r: Ranges = [];
    for (let i = 0; i < MODBUS_MAX_RANGES + 10; i++) addRange(r, i * 10, i * 10);
    expect(r.length).toBe(MODBUS_MAX_RANGES);
    for (let i = 0; i < MODBUS_MAX_RANGES + 10; i++) expect(rangesContain(r, i * 10)).toBe(true);
  });
});

describe("numeric poll keys", () => {
  it("name the same requests as the text keys: equal numbers exactly for equal texts, -1 exactly when no key", () => {
    // Deterministic pseudo-random requests over all codes, edge addresses and quantities (clipped, absent, bogus).
    let x = 12345;
    const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) >>> 0) % n);
    const fcs = [1, 2, 3, 4, 5, 6, 15, 16, 22, 23, 43];
    const addrs = [0, 1, 999, 65534, 65535, 65536, -1, 1.5];
    const qtys = [undefined, 0, 1, 2, 125, 1999, 2000, 2001, 65535];
    const byText = new Map<string, number>();
    const byNum = new Map<number, string>();
    for (let i = 0; i < 20000; i++) {
      const fc = fcs[rnd(fcs.length)] as number;
      const a = rnd(3) === 0 ? (addrs[rnd(addrs.length)] as number) : rnd(65536);
      const q = rnd(3) === 0 ? qtys[rnd(qtys.length)] : 1 + rnd(2000);
      const req = pdu(fc, { address: a, quantity: q, readAddress: a, readQuantity: q });
      const text = pollKeyOf(fc, req);
      const num = pollNumKeyOf(fc, req);
      if (text === undefined) {
        expect(num).toBe(-1);
        continue;
      }
      expect(Number.isSafeInteger(num) && num >= 0 && num < 2 ** 30).toBe(true);
      expect(byText.get(text) ?? num).toBe(num);
      expect(byNum.get(num) ?? text).toBe(text);
      byText.set(text, num);
      byNum.set(num, text);
    }
    expect(byText.size).toBeGreaterThan(1000);
  });
});
