// Service names for the network baseline and for conduits in the site config: (transport, server port, dissector name)
// → "modbus", "opcua", "dns", "rdp", … else "tcp/<port>". One table, so config validation and detection agree.

/** Well-known server ports by transport. A dissector's name (content-detected) always wins over the port. */
const TCP_PORTS: ReadonlyMap<number, string> = new Map([
  [20, "ftp-data"], [21, "ftp"], [22, "ssh"], [23, "telnet"], [25, "smtp"], [53, "dns"], [80, "http"], [88, "kerberos"],
  [102, "s7comm"], [110, "pop3"], [135, "msrpc"], [139, "smb"], [143, "imap"], [389, "ldap"], [443, "https"], [445, "smb"],
  [502, "modbus"], [636, "ldaps"], [789, "redlion"], [1433, "mssql"], [1883, "mqtt"], [1911, "niagara-fox"],
  [1962, "pcworx"], [2222, "enip-io"], [2404, "iec104"], [3306, "mysql"], [3389, "rdp"], [4840, "opcua"], [4843, "opcua"],
  [5020, "modbus"], [5094, "hart-ip"], [5432, "postgres"], [5900, "vnc"], [5985, "winrm"], [5986, "winrm"], [8883, "mqtt"],
  [9600, "fins"], [18245, "srtp"], [20000, "dnp3"], [44818, "enip"],
]);
const UDP_PORTS: ReadonlyMap<number, string> = new Map([
  [53, "dns"], [67, "dhcp"], [68, "dhcp"], [69, "tftp"], [123, "ntp"], [137, "netbios"], [138, "netbios"], [161, "snmp"],
  [162, "snmp"], [514, "syslog"], [1900, "ssdp"], [2222, "enip-io"], [5353, "mdns"], [5355, "llmnr"], [9600, "fins"],
  [20000, "dnp3"], [34962, "profinet"], [34963, "profinet"], [34964, "profinet"], [44818, "enip"], [47808, "bacnet"],
]);

/** Names accepted in conduits besides "any" and "tcp/<port>" / "udp/<port>". */
export const KNOWN_SERVICES: ReadonlySet<string> = new Set([...TCP_PORTS.values(), ...UDP_PORTS.values()]);

/** Industrial protocols: a host answering one of these as a server is OT (when the site config does not say otherwise). */
export const INDUSTRIAL_SERVICES: ReadonlySet<string> = new Set([
  "modbus", "opcua", "s7comm", "dnp3", "enip", "enip-io", "iec104", "bacnet", "fins", "hart-ip", "pcworx", "redlion",
  "profinet", "srtp", "niagara-fox",
]);

/**
 * First port of the IANA dynamic range. A server port up there with no well-known name and no dissector is named
 * "<transport>/dynamic": DCOM/RPC, FTP data and similar negotiated ports change every session, and a fresh ephemeral
 * number is not a new service.
 */
export const DYNAMIC_PORT_MIN = 49152;

export function wellKnownService(transport: "tcp" | "udp", port: number): string | undefined {
  return (transport === "tcp" ? TCP_PORTS : UDP_PORTS).get(port);
}

/** The service name of a flow, from its transport, server port and the dissector that claimed it (if any). */
export function serviceName(transport: "tcp" | "udp", serverPort: number, dissector?: string): string {
  if (dissector) return dissector;
  const known = wellKnownService(transport, serverPort);
  if (known) return known;
  if (serverPort >= DYNAMIC_PORT_MIN) return `${transport}/dynamic`;
  return `${transport}/${serverPort}`;
}

/** True when `service` is a valid conduit service: a known name, "any", or "tcp/<1-65535>" / "udp/<1-65535>". */
export function isServiceSpec(service: string): boolean {
  if (service === "any" || KNOWN_SERVICES.has(service)) return true;
  const m = /^(tcp|udp)\/(\d{1,5})$/.exec(service);
  if (!m) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}

/** Does a conduit's service spec cover this flow? "tcp/502" matches a Modbus flow on 502, "modbus" one on any port. */
export function serviceMatches(spec: string, transport: "tcp" | "udp", serverPort: number, service: string): boolean {
  return spec === "any" || spec === service || spec === `${transport}/${serverPort}`;
}
