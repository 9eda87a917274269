// Ordering of OPC UA message security, to tell a downgrade from a change: MessageSecurityMode (Part 4 §7.20: None < Sign
// < SignAndEncrypt) and the strength of the standard security policies (Part 7 security policy profiles; Basic128Rsa15
// and Basic256 are deprecated). A pair is weaker than a learned set when its mode or its policy ranks below the weakest
// learned one. Unknown policies and modes are not ranked (no verdict rather than a guess).

const MODE_RANK: Record<string, number> = { None: 0, Sign: 1, SignAndEncrypt: 2 };
const POLICY_RANK: Record<string, number> = {
  None: 0,
  Basic128Rsa15: 1,
  Basic256: 2,
  Aes128_Sha256_RsaOaep: 3,
  Basic256Sha256: 3,
  Aes256_Sha256_RsaPss: 4,
};

function rankOf(pair: string): { policy: number | undefined; mode: number | undefined } {
  const i = pair.lastIndexOf("/");
  return { policy: POLICY_RANK[pair.slice(0, i)], mode: MODE_RANK[pair.slice(i + 1)] };
}

/** True when `pair` ("<policy>/<mode>") is weaker than every pair in `learned` (which must not be empty). */
export function isWeakerThanLearned(pair: string, learned: readonly string[]): boolean {
  if (learned.length === 0 || learned.includes(pair)) return false;
  const seen = rankOf(pair);
  // A mode the dissector could not establish (mid-stream pickup, "unknown"/"Invalid") gives no verdict at all.
  if (seen.mode === undefined) return false;
  let minMode = Infinity;
  let minPolicy = Infinity;
  for (const p of learned) {
    const r = rankOf(p);
    if (r.mode !== undefined) minMode = Math.min(minMode, r.mode);
    if (r.policy !== undefined) minPolicy = Math.min(minPolicy, r.policy);
  }
  if (seen.mode !== undefined && Number.isFinite(minMode) && seen.mode < minMode) return true;
  return seen.policy !== undefined && Number.isFinite(minPolicy) && seen.policy < minPolicy;
}
