#!/usr/bin/env bash
# Loads the Workbench page of a real `hilum serve` in headless Chromium, submits an English and a Spanish report
# (the page's ?auto=1 mode), and checks the DOM for the expected highlights. Screenshots go to .build/.
# usage: workbench_browser.sh PATH/TO/hilum
set -euo pipefail
BIN="$1"
OUT=.build/workbench
mkdir -p "$OUT"
CHROME=$(command -v chromium-headless-shell || command -v chromium || true)
[ -n "$CHROME" ] || { echo "no headless chromium"; exit 1; }
PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --port "$PORT" 2> "$OUT/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
# Up to 60 s for the server to load the ontology (a debug build on a busy machine).
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# The page is read whole before it is searched: `curl | grep -q` under pipefail fails at random when grep exits
# after the first chunk and curl's next write meets a closed pipe.
curl -sf --retry 3 --retry-connrefused "http://127.0.0.1:$PORT/" > "$OUT/page.html" || true
grep -q '<html' "$OUT/page.html" || { echo "no page at /"; cat "$OUT/serve.log"; exit 1; }
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
run() {  # name lang text checks...
  local name=$1 lang=$2 text=$3; shift 3
  local url="http://127.0.0.1:$PORT/?auto=1&lang=$lang&text=$(enc "$text")"
  local flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=15000 --window-size=1280,1800)
  "$CHROME" "${flags[@]}" --dump-dom "$url" > "$OUT/$name.html" 2> "$OUT/$name.chrome.log"
  "$CHROME" "${flags[@]}" --screenshot="$OUT/$name.png" "$url" >/dev/null 2>&1 || true
  python3 Tests/scripts/workbench_check.py "$OUT/$name.html" "$@"
}
run en en "FINDINGS: Small left pleural effusion. No pneumothorax. Possible right lower lobe pneumonia. Stable mild cardiomegaly." \
  "pleural effusion=present" "pneumothorax=absent" "pneumonia=uncertain" "cardiomegaly=present" \
  --region "left costophrenic angle=present" --region "cardiac silhouette=present"
run es es "HALLAZGOS: Derrame pleural derecho. No se aprecia neumotórax. No se puede descartar neumonía en la base izquierda." \
  "derrame pleural=present" "neumotórax=absent" "neumonía=uncertain" --region "right costophrenic angle=present"
# The server logged no report text.
if grep -qi "pleural" "$OUT/serve.log"; then echo "FAIL: report text in the server log"; exit 1; fi
echo "workbench: ok (screenshots in $OUT)"
