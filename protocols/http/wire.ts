// HTTP/1.x message head parser (RFC 9112 §2-§6: start line, header fields, message body length). Pure and lenient:
// bare LF line ends are accepted, odd header lines are skipped and flagged in `issues`.

/** Longest message head (start line + headers) we buffer; longer heads are reported and the direction resynchronises. */
export const HTTP_MAX_HEAD_BYTES = 16384;
/** Characters of URI, Host and User-Agent kept in events. */
export const HTTP_MAX_FIELD_CHARS = 512;

export const HTTP_METHODS: readonly string[] = [
  "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
  "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
];

export interface HttpHead {
  readonly kind: "request" | "response";
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly statusCode: number;
  readonly reason: string;
  /** Header fields, names lower-cased, first occurrence wins; values trimmed and bounded. */
  readonly headers: ReadonlyMap<string, string>;
  /** Content-Length, -1 when absent or invalid. */
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly issues: readonly string[];
}

/** Index just after the blank line ending the head ("\r\n\r\n" or "\n\n"), or -1 when not yet complete. */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function bound(s: string): string {
  return s.length > HTTP_MAX_FIELD_CHARS ? s.slice(0, HTTP_MAX_FIELD_CHARS) : s;
}

/** Parses a complete head (bytes up to and including the blank line). Returns undefined when the start line is not HTTP. */
export function parseHead(head: Uint8Array): HttpHead | undefined {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("latin1");
  const lines = text.split(/\r?\n/);
  const start = lines[0] ?? "";
  const issues: string[] = [];
  let kind: HttpHead["kind"];
  let method = "";
  let uri = "";
  let version = "";
  let statusCode = 0;
  let reason = "";
  if (start.startsWith("HTTP/")) {
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(start);
    if (m === null) return undefined;
    kind = "response";
    version = m[1] ?? "";
    statusCode = Number(m[2]);
    reason = bound(m[3] ?? "");
  } else {
    const m = /^([A-Z-]{3,16}) (\S+) HTTP\/(\d\.\d)$/.exec(start);
    if (m === null) return undefined;
    kind = "request";
    method = m[1] ?? "";
    uri = bound(m[2] ?? "");
    version = m[3] ?? "";
    if (!HTTP_METHODS.includes(method)) issues.push("unknown-method");
  }
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      if (!issues.includes("bad-header")) issues.push("bad-header");
      continue;
    }
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, bound(line.slice(colon + 1).trim()));
  }
  let contentLength = -1;
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    if (/^\d{1,15}$/.test(cl)) contentLength = Number(cl);
    else issues.push("bad-content-length");
  }
  const chunked = /(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "");
  return { kind, method, uri, version, statusCode, reason, headers, contentLength, chunked, issues };
}

/** Content probe: a client's first bytes start with a known method and a space; a server's with "HTTP/1.". */
export function probeHttp(data: Uint8Array, dir: 0 | 1): "yes" | "no" | "more" {
  const n = Math.min(data.length, 10);
  const s = Buffer.from(data.buffer, data.byteOffset, n).toString("latin1");
  if (dir === 1) {
    const want = "HTTP/1.";
    if (s.length < want.length) return want.startsWith(s) ? "more" : "no";
    return s.startsWith(want) ? "yes" : "no";
  }
  for (const m of HTTP_METHODS) {
    const want = m + " ";
    if (s.length >= want.length ? s.startsWith(want) : want.startsWith(s)) return s.length >= want.length ? "yes" : "more";
  }
  return "no";
}
