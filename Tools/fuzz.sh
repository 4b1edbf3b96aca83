#!/usr/bin/env bash
# Builds the libFuzzer binary (address sanitizer on) and runs one or all targets for a bounded time.
# usage: Tools/fuzz.sh [TARGET|all] [SECONDS per target] [extra libFuzzer flags...]
#   e.g. a campaign of one million executions: Tools/fuzz.sh png 7200 -runs=1000000
#   FUZZ_BIN=path runs an already built binary (a copy) instead of building.
# Targets: analyzer envelope csv chexpert jsonl jsonl-raw openi-xml gzip png chexmask-rle coco boxes ontology.
# Seeds: Tests/fuzz/seeds/<target>/ (small files written for Hilum) plus Corpora/; the growing corpus lives in
# .build-fuzz/corpus/<target>/ and crashes in .build-fuzz/crashes/. Prints executions and crashes per target.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${1:-all}"; SECS="${2:-60}"; shift $(( $# > 2 ? 2 : $# )) || true
ALL="analyzer envelope csv chexpert jsonl jsonl-raw openi-xml gzip png chexmask-rle coco boxes ontology"
mkdir -p .build-fuzz
BIN="${FUZZ_BIN:-.build-fuzz/release/HilumFuzz}"
if [ -n "${FUZZ_BIN:-}" ]; then
  # A long campaign runs a copy of the binary, so that source edits and rebuilds meanwhile do not change it.
  [ -x "$BIN" ] || { echo "no fuzz binary at $BIN"; exit 1; }
else
set +e
HILUM_FUZZ=1 swift build --scratch-path .build-fuzz -c release --product HilumFuzz \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address > .build-fuzz/build.log 2>&1
built=$?
set -e
grep -E "error|warning: unable|Build" .build-fuzz/build.log | head -20 || true
# A failed build must not leave the previous binary to be fuzzed.
[ "$built" -eq 0 ] && [ -x "$BIN" ] || { echo "fuzz build failed"; exit 1; }
fi
status=0
for t in $( [ "$TARGET" = all ] && echo $ALL || echo "$TARGET" ); do
  mkdir -p ".build-fuzz/corpus/$t" .build-fuzz/crashes
  seeds="Tests/fuzz/seeds/$t"; [ -d "$seeds" ] || seeds=""
  log=".build-fuzz/$t.log"
  set +e
  LSAN_OPTIONS="suppressions=$PWD/Tests/fuzz/lsan.supp:print_suppressions=0" HILUM_FUZZ_TARGET="$t" "$BIN" ".build-fuzz/corpus/$t" $seeds -max_total_time="$SECS" -rss_limit_mb=3072 \
    -timeout=20 -max_len=65536 -artifact_prefix=".build-fuzz/crashes/$t-" -print_final_stats=1 "$@" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -E "stat::number_of_executed_units" "$log" | awk '{print $2}' | tail -1)
  crashes=$(ls .build-fuzz/crashes/ 2>/dev/null | grep -c "^$t-" || true)
  echo "fuzz $t: ${execs:-?} executions in ${SECS}s, exit $rc, crash files $crashes"
  if [ "$rc" -ne 0 ]; then status=1; grep -E "ERROR|SUMMARY|Fatal|panic" "$log" | head -5; fi
done
exit $status
