// ActivateSession (OPC UA Part 4 §5.6.3: ClientSignature, ClientSoftwareCertificates, LocaleIds, UserIdentityToken,
// UserTokenSignature → ServerNonce, Results, DiagnosticInfos). The identity token is an ExtensionObject whose type id
// says which token it is (Part 4 §7.36): 321 Anonymous, 324 UserName, 327 X509, 940 Issued (binary encoding ids).
import type { OpcuaServiceDetails } from "../events.ts";
import { readExtensionObject, readStatusCodeArray, skipDiagnosticInfoArray } from "../types/builtins.ts";
import type { Cursor } from "../types/cursor.ts";
import { skipSignatureData, skipSignedSoftwareCertificates, skipStringArray } from "../types/structures.ts";
import type { ServiceCodec } from "./service.ts";

function tokenKind(typeId: number): NonNullable<OpcuaServiceDetails["identityToken"]> {
  switch (typeId) {
    case 321: return "anonymous";
    case 324: return "username";
    case 327: return "certificate";
    case 940: return "issued";
    default: return "unknown";
  }
}

export const activateSession: ServiceCodec = {
  name: "ActivateSession",
  requestId: 467,
  responseId: 470,
  request(c, d) {
    skipSignatureData(c);
    skipSignedSoftwareCertificates(c);
    skipStringArray(c); // LocaleIds
    const typeId = readExtensionObject(c, (t: number, b: Cursor) => {
      // Every token starts with PolicyId; UserName then carries UserName, Password, EncryptionAlgorithm.
      d.policyId = b.string() ?? "";
      if (t === 324) d.userName = b.string() ?? "";
    });
    d.identityToken = tokenKind(typeId);
    skipSignatureData(c);
  },
  response(c, d) {
    c.skipString(); // ServerNonce
    const results: number[] = (d.results = []);
    readStatusCodeArray(c, results);
    skipDiagnosticInfoArray(c);
  },
};
