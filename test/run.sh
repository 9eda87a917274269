#!/usr/bin/env bash
# The test command of the README: installs what the tests need, runs the whole vitest suite with a JSON report and prints
# the plain summary line "N passed, N failed" derived from that report. Exit status is vitest's.
set -uo pipefail
cd "$(dirname "$0")/.."
bash appliance/scripts/ensure-deps.sh || exit 1
mkdir -p .tmp
report=.tmp/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node -e '
const fs = require("fs");
const f = process.argv[1];
if (!fs.existsSync(f)) { console.log("0 passed, 1 failed"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(f, "utf8"));
let passed = 0, failed = 0, skipped = 0;
for (const file of r.testResults ?? []) {
  const asserts = file.assertionResults ?? [];
  if (asserts.length === 0 && file.status === "failed") failed++;   // a file that failed to load counts as a failure
  for (const a of asserts) {
    if (a.status === "passed") passed++;
    else if (a.status === "failed") failed++;
    else skipped++;
  }
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report"
exit $status
