#!/usr/bin/env bash
# test.sh — the whole test suite, as CI (.ci/run) and developers run it.
#
# setup.sh and build.sh, then the lit suite (build/test) and the Python tests (test/runtime,
# test/e2e, test/conformance: the ONNX node tests in expected_cpu.txt must still pass) — the
# second runs even when the first fails — and finally one line
# `N passed, N failed` over both (from their JUnit XML reports). Exits non-zero if anything
# failed, including the build (counted as one failure; the tests are not run on a stale build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${KILN_BUILD_DIR:-$root/build}"
export KILN_BUILD_DIR="$build"
results="$build/test-results"
lit="${LIT:-/usr/lib/llvm-22/bin/lit}"

if ! bash scripts/setup.sh || ! bash scripts/build.sh; then
  echo "test.sh: setup or build failed; no tests run" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
mkdir -p "$results"
rm -f "$results/lit.xml" "$results/pytest.xml"

status=0
echo "== lit: $build/test"
"$lit" -sv --xunit-xml-output "$results/lit.xml" "$build/test" || status=1

pydirs=()
for d in test/runtime test/e2e test/conformance; do [ -d "$d" ] && pydirs+=("$d"); done
echo "== pytest: ${pydirs[*]}"
.venv/bin/python -m pytest -q -p no:cacheprovider --junitxml "$results/pytest.xml" "${pydirs[@]}" \
  || status=1

# Totals from the JUnit reports: a testcase with <failure> or <error> failed, one with <skipped>
# (lit's UNSUPPORTED) is not counted, the rest passed. A suite that failed without writing its
# report (a crash, a configuration error) counts as one failure.
.venv/bin/python - "$results/lit.xml" "$results/pytest.xml" "$status" <<'PY' || status=1
import sys
import xml.etree.ElementTree as ET
passed = failed = 0
for path in sys.argv[1:3]:
    try:
        cases = ET.parse(path).getroot().iter("testcase")
    except (OSError, ET.ParseError):
        print(f"test.sh: no report {path}", file=sys.stderr)
        failed += 1
        continue
    for case in cases:
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" not in tags:
            passed += 1
if failed == 0 and sys.argv[3] != "0":
    failed = 1  # a runner failed without a failing test case (e.g. a collection error)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
exit "$status"
