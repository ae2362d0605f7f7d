#!/usr/bin/env bash
# The whole test suite, as the README's test command (`npm test`) and CI (.ci/run) run it:
# system packages and node_modules (installed when missing), build, typecheck, the structure check
# (no import cycle, no file over 300 lines), every vitest suite
# (unit, contract, integration on the native cluster, browser, faults, static config checks),
# and `npm audit` of the production dependencies. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
# HAProxy maxconn and 10k-client tests need descriptors; raise the soft limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

node scripts/build.mjs
npx --no-install tsc --noEmit -p tsconfig.json
echo "typecheck: ok"
# No import cycle anywhere, no file in app/src or chat-front/src over 300 lines.
node scripts/check-structure.mjs

mkdir -p .run
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile=.run/vitest.json "$@" || status=$?

audit=0
if [ "${SKIP_AUDIT:-}" != "1" ]; then
  node scripts/audit.mjs || audit=$?
fi

node -e '
const r = JSON.parse(require("fs").readFileSync(".run/vitest.json", "utf8"));
// A file whose setup failed (a beforeAll, an import) fails no test of its own: it is counted apart.
const broken = (r.testResults || []).filter((t) => t.status === "failed" && !(t.assertionResults || []).some((a) => a.status === "failed"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "") +
  (broken.length ? `; ${broken.length} file(s) failed outside any test: ${broken.map((t) => require("path").relative(process.cwd(), t.name)).join(", ")}` : ""));
' || true
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$audit"
