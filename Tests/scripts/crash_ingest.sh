#!/usr/bin/env bash
# Crash test of the store: kill -9 `hilum db ingest` at random points, then check that the database
# passes PRAGMA integrity_check, that every stored report is complete (report, findings, labels together
# or not at all), and that a rerun completes the rest with no duplicates.
# Usage: Tests/scripts/crash_ingest.sh HILUM_BINARY [ROUNDS]
set -euo pipefail
bin=$1
rounds=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/../.."
# A corpus of 6,000 reports built from the shipped samples (unique ids).
python3 - "$work/corpus.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for f in ("Corpora/reports/sample-en.jsonl", "Corpora/reports/sample-es.jsonl") for l in open(f, encoding="utf-8")]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for i in range(6000):
        r = dict(rows[i % len(rows)]); r["id"] = f"crash-{i}"
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
PY
db="$work/crash.db"
for round in $(seq 1 "$rounds"); do
  "$bin" db ingest --db "$db" --batch 100 "$work/corpus.jsonl" 2>/dev/null &
  pid=$!
  sleep "$((RANDOM % 3)).$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$bin" db check --db "$db" > "$work/check.json"
  echo "round $round after kill -9: $(cat "$work/check.json")"
done
"$bin" db ingest --db "$db" "$work/corpus.jsonl" 2>/dev/null
"$bin" db check --db "$db" | tee "$work/final.json"
grep -q '"reports": 6000' "$work/final.json"
grep -q '"incomplete_reports": 0' "$work/final.json"
echo "crash test ok: every kill -9 left a sound database, and the rerun completed the corpus with no duplicates"
