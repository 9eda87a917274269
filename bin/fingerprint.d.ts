// Types for bin/fingerprint.js (plain JS, so the launcher runs without a loader) for the tests that import it.
export declare const SOURCE_DIRS: readonly string[];
export declare const SOURCE_FILES: readonly string[];
export declare function sourceFingerprint(root: string): string;
