// formatIp/formatMac against fixed RFC 5952 examples and against tshark itself on ~600 generated addresses
// (runs of zeros in every position, IPv4-mapped/compatible forms).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatIp, formatMac } from "./format.ts";
import { ethernet, ip, ipv4, ipv6, udp, writePcap } from "../../test/fixtures/capture-builder.ts";

describe("formatIp / formatMac", () => {
  it("follows RFC 5952 §4", () => {
    expect(formatIp(ip("2001:db8:0:0:0:0:2:1"))).toBe("2001:db8::2:1");
    expect(formatIp(ip("2001:db8:0:1:1:1:1:1"))).toBe("2001:db8:0:1:1:1:1:1"); // a single zero group is not compressed
    expect(formatIp(ip("2001:0:0:1:0:0:0:1"))).toBe("2001:0:0:1::1"); // the longest run
    expect(formatIp(ip("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1"); // the first of equal runs
    expect(formatIp(ip("2001:DB8::AbCd"))).toBe("2001:db8::abcd");
    expect(formatIp(ip("::"))).toBe("::");
    expect(formatIp(ip("::1"))).toBe("::1");
    expect(formatIp(ip("::ffff:10.1.2.3"))).toBe("::ffff:10.1.2.3");
    expect(formatIp(ip("192.168.0.254"))).toBe("192.168.0.254");
    expect(formatMac(Uint8Array.of(0, 0x1b, 0xa0, 0xff, 0x0a, 0x5e))).toBe("00:1b:a0:ff:0a:5e");
  });

  it("prints exactly what tshark prints for ipv6.src, ip.src and eth.src", () => {
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const v6: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) {
      const b = new Uint8Array(16);
      for (let gi = 0; gi < 8; gi++) {
        const kind = rnd(4);
        const v = kind < 2 ? 0 : kind === 2 ? rnd(16) : rnd(0x10000);
        b[gi * 2] = v >> 8;
        b[gi * 2 + 1] = v & 0xff;
      }
      if (i % 10 === 0) b.fill(0, 0, 10); // IPv4-compatible/mapped candidates
      if (i % 20 === 0) b[10] = b[11] = 0xff;
      v6.push(b);
    }
    const frames = v6.map((a, i) => {
      const v4 = `${rnd(256)}.${rnd(256)}.${rnd(256)}.${i % 256}`;
      const inner = ipv4({ src: v4, dst: "10.0.0.1", proto: 17, payload: udp({ sport: 1, dport: 2 }) });
      const f = ethernet({ ethertype: 0x86dd, payload: ipv6({ src: "::", dst: "::1", next: 4, payload: inner }) });
      f.set(a, 14 + 8); // raw address bytes, so the text under test never feeds the capture
      f.set(a.subarray(10, 16), 6);
      return f;
    });
    const dir = mkdtempSync(join(tmpdir(), "otwatch-fmt-"));
    try {
      const file = join(dir, "v6.pcap");
      writeFileSync(file, writePcap(frames.map((data) => ({ data }))));
      const out = execFileSync("tshark", ["-n", "-r", file, "-T", "fields", "-e", "ipv6.src", "-e", "ip.src", "-e", "eth.src"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      const lines = out.trimEnd().split("\n");
      expect(lines.length).toBe(frames.length);
      lines.forEach((line, i) => {
        const f = frames[i]!;
        const [t6, t4, tmac] = line.split("\t");
        expect(formatIp(v6[i]!)).toBe(t6);
        expect(formatIp(f.subarray(14 + 40 + 12, 14 + 40 + 16))).toBe(t4);
        expect(formatMac(f.subarray(6, 12))).toBe(tmac);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
