// Test peer helper: a node-opcua server with a small plant address space (variables, writable setpoints, a method) and
// clients bound to chosen loopback addresses, each with its PKI in a temporary folder (ENVIRONMENT.md). node-opcua's
// client has no local-address option: its transport calls `net.createConnection` through the module object at connect
// time, so the source address is injected there from the async context of the client that connects.
import { AsyncLocalStorage } from "node:async_hooks";
import net from "node:net";
import { join } from "node:path";
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  OPCUAServer,
  RegisterServerMethod,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  Variant,
  type ClientSession,
  type ISessionContext,
  type UAObject,
} from "node-opcua";

export { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant };
export type { ClientSession };

export interface OpcuaVariableSpec {
  /** String identifier in namespace 1, e.g. "Kiln3.Temperature" (node id "ns=1;s=Kiln3.Temperature"). */
  readonly id: string;
  readonly type: "Double" | "Int32" | "UInt16" | "Boolean" | "String";
  readonly initial: number | boolean | string;
  readonly writable?: boolean;
  /** Optional drift applied on each read (a live process value). */
  readonly drift?: (v: number) => number;
}

export interface OpcuaMethodSpec {
  /** Method node string id, e.g. "Kiln3.ResetAlarm"; its object is the folder before the first dot. */
  readonly id: string;
  readonly inputs: readonly { readonly name: string; readonly type: "Double" | "UInt32" | "String" | "Boolean" }[];
}

export interface OpcuaPlantSpec {
  readonly host: string;
  readonly port: number;
  readonly pkiDir: string;
  readonly variables: readonly OpcuaVariableSpec[];
  readonly methods?: readonly OpcuaMethodSpec[];
  readonly productUri?: string;
}

export interface OpcuaPlant {
  readonly server: OPCUAServer;
  readonly endpoint: string;
  /** Current values, by variable id (writes from clients land here). */
  readonly values: Map<string, number | boolean | string>;
  /** Method calls the server executed: method id and input argument values. */
  readonly calls: { method: string; args: unknown[] }[];
  stop(): Promise<void>;
}

function objectOf(id: string): string {
  const dot = id.indexOf(".");
  return dot > 0 ? id.slice(0, dot) : "Plant";
}

export async function startOpcuaPlant(spec: OpcuaPlantSpec): Promise<OpcuaPlant> {
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: join(spec.pkiDir, "server"),
    automaticallyAcceptUnknownCertificate: true,
  });
  await serverCertificateManager.initialize();
  const server = new OPCUAServer({
    host: spec.host,
    hostname: spec.host,
    port: spec.port,
    serverCertificateManager,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    serverInfo: { productUri: spec.productUri ?? "urn:otwatch:test-scada", applicationUri: "urn:otwatch:test-scada" },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.getOwnNamespace();
  const objects = new Map<string, UAObject>();
  const object = (name: string): UAObject => {
    let o = objects.get(name);
    if (!o) {
      o = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: name, nodeId: `s=${name}` });
      objects.set(name, o);
    }
    return o;
  };
  const values = new Map<string, number | boolean | string>();
  for (const v of spec.variables) {
    values.set(v.id, v.initial);
    const dataType = DataType[v.type];
    ns.addVariable({
      componentOf: object(objectOf(v.id)),
      nodeId: `s=${v.id}`,
      browseName: v.id.slice(v.id.indexOf(".") + 1),
      dataType: v.type,
      accessLevel: v.writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      userAccessLevel: v.writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      // Getter-backed values: without it node-opcua clamps sampling to 1 s (warning W30).
      minimumSamplingInterval: 50,
      value: {
        get: () => {
          let cur = values.get(v.id)!;
          if (v.drift && typeof cur === "number") {
            cur = v.drift(cur);
            values.set(v.id, cur);
          }
          return new Variant({ dataType, value: cur });
        },
        set: (variant: Variant) => {
          values.set(v.id, variant.value as number | boolean | string);
          return StatusCodes.Good;
        },
      },
    });
  }
  const calls: { method: string; args: unknown[] }[] = [];
  for (const m of spec.methods ?? []) {
    const method = ns.addMethod(object(objectOf(m.id)), {
      nodeId: `s=${m.id}`,
      browseName: m.id.slice(m.id.indexOf(".") + 1),
      inputArguments: m.inputs.map((i) => ({ name: i.name, dataType: DataType[i.type], description: i.name })),
      outputArguments: [{ name: "accepted", dataType: DataType.Boolean, description: "accepted" }],
    });
    method.bindMethod(async (inputArguments: Variant[], _context: ISessionContext) => {
      calls.push({ method: m.id, args: inputArguments.map((a: Variant) => a.value as unknown) });
      return { statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.Boolean, value: true })] };
    });
  }
  await server.start();
  return {
    server,
    endpoint: `opc.tcp://${spec.host}:${spec.port}`,
    values,
    calls,
    async stop() {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
    },
  };
}

/**
 * The loopback source address of the client whose code is running: set with AsyncLocalStorage around everything a client
 * does, so its discovery channel, its session channel and any reconnect all leave from its own address.
 */
const localAddressOf = new AsyncLocalStorage<string>();
const originalCreateConnection = net.createConnection;
let patched = false;

function patchCreateConnection(): void {
  if (patched) return;
  patched = true;
  const wrapped = (...args: unknown[]): net.Socket => {
    const [opts, ...rest] = args;
    const localAddress = localAddressOf.getStore();
    if (localAddress !== undefined && typeof opts === "object" && opts !== null) {
      return (originalCreateConnection as (...a: unknown[]) => net.Socket)({ ...opts, localAddress }, ...rest);
    }
    return (originalCreateConnection as (...a: unknown[]) => net.Socket)(...args);
  };
  (net as { createConnection: unknown }).createConnection = wrapped;
}

export interface OpcuaClientOptions {
  readonly endpoint: string;
  /** Loopback source address for the client's TCP connections (discovery channel included). */
  readonly localAddress?: string;
  readonly pkiDir: string;
  readonly mode?: MessageSecurityMode;
  readonly policy?: SecurityPolicy;
  readonly applicationName?: string;
  readonly userName?: string;
  readonly password?: string;
}

export interface OpcuaPeerClient {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  close(): Promise<void>;
}

export async function connectOpcuaClient(o: OpcuaClientOptions): Promise<OpcuaPeerClient> {
  patchCreateConnection();
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: join(o.pkiDir, `client-${o.applicationName ?? "client"}`),
    automaticallyAcceptUnknownCertificate: true,
  });
  await clientCertificateManager.initialize();
  const client = OPCUAClient.create({
    applicationName: o.applicationName ?? "otwatch-test-client",
    applicationUri: `urn:otwatch:${o.applicationName ?? "client"}`,
    clientCertificateManager,
    securityMode: o.mode ?? MessageSecurityMode.None,
    securityPolicy: o.policy ?? SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  });
  const open = async (): Promise<ClientSession> => {
    await client.connect(o.endpoint);
    return client.createSession(o.userName ? { type: UserTokenType.UserName, userName: o.userName, password: o.password ?? "" } : undefined);
  };
  const session = o.localAddress === undefined ? await open() : await localAddressOf.run(o.localAddress, open);
  return {
    client,
    session,
    async close() {
      await session.close();
      await client.disconnect();
      await clientCertificateManager.dispose();
    },
  };
}

/** The client certificate node-opcua presents (DER), for thumbprint checks. */
export function clientCertificateDer(c: OpcuaPeerClient): Buffer {
  const cert = c.client.getCertificate();
  return Buffer.from(cert);
}
