// TLS record and hello decoders: record header (RFC 8446 §5.1, RFC 5246 §6.2.1), ClientHello and ServerHello
// (RFC 8446 §4.1.2-4.1.3, RFC 5246 §7.4.1.2-7.4.1.3) and the extensions we report: server_name (RFC 6066 §3),
// supported_groups (RFC 8446 §4.2.7), ec_point_formats (RFC 8422 §5.1.2), signature_algorithms (RFC 8446 §4.2.3),
// ALPN (RFC 7301 §3.1), supported_versions (RFC 8446 §4.2.1). Pure and lenient: truncation is flagged in `issues`.

export const TLS_RECORD_HEADER_LEN = 5;
/** RFC 8446 §5.2: a TLSCiphertext fragment is at most 2^14 + 256 bytes; older stacks allow 2^14 + 2048. */
export const TLS_MAX_RECORD = 16384 + 2048;
export const TLS_CONTENT_HANDSHAKE = 22;
export const TLS_HS_CLIENT_HELLO = 1;
export const TLS_HS_SERVER_HELLO = 2;

export const EXT_SERVER_NAME = 0;
export const EXT_SUPPORTED_GROUPS = 10;
export const EXT_EC_POINT_FORMATS = 11;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_ALPN = 16;
export const EXT_SUPPORTED_VERSIONS = 43;

/** Values the hello lists carry; names of ciphers etc. are not needed by anything downstream. */
export interface ClientHello {
  readonly version: number;
  readonly sessionIdLen: number;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: readonly number[];
  /** Extension types in wire order (GREASE included; fingerprints drop it). */
  readonly extensions: readonly number[];
  readonly sni: string;
  readonly alpn: readonly string[];
  readonly supportedGroups: readonly number[];
  readonly ecPointFormats: readonly number[];
  readonly signatureAlgorithms: readonly number[];
  readonly supportedVersions: readonly number[];
  readonly issues: readonly string[];
}

export interface ServerHello {
  readonly version: number;
  readonly cipherSuite: number;
  readonly compression: number;
  readonly extensions: readonly number[];
  readonly selectedVersion: number;
  readonly alpn: string;
  readonly issues: readonly string[];
}

/** RFC 8701 GREASE values: 0x0a0a, 0x1a1a, … 0xfafa. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

/** A bounds-checked big-endian cursor; reading past the end sets `short` and yields zeros. */
class Cursor {
  short = false;
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    public end: number,
  ) {}
  left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.pos + 1 > this.end) return this.fail();
    return this.b[this.pos++] ?? 0;
  }
  u16(): number {
    if (this.pos + 2 > this.end) return this.fail();
    const v = ((this.b[this.pos] ?? 0) << 8) | (this.b[this.pos + 1] ?? 0);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.end) {
      this.fail();
      return new Uint8Array(0);
    }
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  sub(n: number): Cursor {
    const c = new Cursor(this.b, this.pos, Math.min(this.end, this.pos + n));
    if (this.pos + n > this.end) this.short = true;
    this.pos = Math.min(this.end, this.pos + n);
    return c;
  }
  u16List(n: number): number[] {
    const c = this.sub(n);
    const out: number[] = [];
    while (c.left() >= 2) out.push(c.u16());
    return out;
  }
  private fail(): number {
    this.short = true;
    this.pos = this.end;
    return 0;
  }
}

function ascii(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** Decodes a ClientHello body (after the 4-byte handshake header). */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const c = new Cursor(body, 0, body.length);
  const version = c.u16();
  c.bytes(32);
  const sessionIdLen = c.u8();
  c.bytes(sessionIdLen);
  const cipherSuites = c.u16List(c.u16());
  const compressionMethods = [...c.bytes(c.u8())];
  const extensions: number[] = [];
  let sni = "";
  const alpn: string[] = [];
  let supportedGroups: number[] = [];
  let ecPointFormats: number[] = [];
  let signatureAlgorithms: number[] = [];
  let supportedVersions: number[] = [];
  const issues: string[] = [];
  if (c.left() >= 2) {
    const exts = c.sub(c.u16());
    while (exts.left() >= 4) {
      const type = exts.u16();
      const e = exts.sub(exts.u16());
      extensions.push(type);
      switch (type) {
        case EXT_SERVER_NAME: {
          const list = e.sub(e.u16());
          while (list.left() >= 3) {
            const nameType = list.u8();
            const name = list.bytes(list.u16());
            if (nameType === 0 && sni === "") sni = ascii(name).toLowerCase();
          }
          break;
        }
        case EXT_ALPN: {
          const list = e.sub(e.u16());
          while (list.left() >= 1) alpn.push(ascii(list.bytes(list.u8())));
          break;
        }
        case EXT_SUPPORTED_GROUPS:
          supportedGroups = e.u16List(e.u16());
          break;
        case EXT_EC_POINT_FORMATS:
          ecPointFormats = [...e.bytes(e.u8())];
          break;
        case EXT_SIGNATURE_ALGORITHMS:
          signatureAlgorithms = e.u16List(e.u16());
          break;
        case EXT_SUPPORTED_VERSIONS: {
          supportedVersions = e.u16List(e.u8()).filter((v) => !isGrease(v));
          break;
        }
      }
      if (e.short) issues.push(`bad-extension-${type}`);
    }
    if (exts.short || exts.left() !== 0) issues.push("truncated-extensions");
  }
  if (c.short) issues.push("truncated");
  return {
    version, sessionIdLen, cipherSuites, compressionMethods, extensions, sni, alpn, supportedGroups, ecPointFormats,
    signatureAlgorithms, supportedVersions, issues,
  };
}

/** Decodes a ServerHello body (after the 4-byte handshake header). */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const c = new Cursor(body, 0, body.length);
  const version = c.u16();
  c.bytes(32);
  c.bytes(c.u8());
  const cipherSuite = c.u16();
  const compression = c.u8();
  const extensions: number[] = [];
  let selectedVersion = version;
  let alpn = "";
  const issues: string[] = [];
  if (c.left() >= 2) {
    const exts = c.sub(c.u16());
    while (exts.left() >= 4) {
      const type = exts.u16();
      const e = exts.sub(exts.u16());
      extensions.push(type);
      if (type === EXT_SUPPORTED_VERSIONS) selectedVersion = e.u16();
      else if (type === EXT_ALPN) {
        const list = e.sub(e.u16());
        alpn = ascii(list.bytes(list.u8()));
      }
      if (e.short) issues.push(`bad-extension-${type}`);
    }
    if (exts.short) issues.push("truncated-extensions");
  }
  if (c.short) issues.push("truncated");
  return { version, cipherSuite, compression, extensions, selectedVersion, alpn, issues };
}

/** Record-layer plausibility: a known content type, major version 3, a length within the spec limit. */
export function recordLength(header: Uint8Array): number {
  const type = header[0] ?? 0;
  const major = header[1] ?? 0;
  const minor = header[2] ?? 0;
  const len = ((header[3] ?? 0) << 8) | (header[4] ?? 0);
  if (type < 20 || type > 24 || major !== 3 || minor > 4 || len === 0 || len > TLS_MAX_RECORD) return -1;
  return TLS_RECORD_HEADER_LEN + len;
}
