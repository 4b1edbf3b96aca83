#!/usr/bin/env bash
# SIGTERM during `hilum serve` under load: requests already accepted are answered (200), then the server exits 0.
# usage: sigterm_serve.sh PATH/TO/hilum
set -euo pipefail
BIN="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"; kill $PID 2>/dev/null || true' EXIT
PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --port "$PORT" 2> "$work/serve.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# 24 concurrent requests, each a long report (a few hundred ms of work), then SIGTERM while they run.
python3 -c 'import json, sys; print(json.dumps({"text": "Small left pleural effusion. No pneumothorax. Mild cardiomegaly. " * int(sys.argv[1])}))' "${REPEAT:-4000}" > "$work/body.json"
for i in $(seq 1 24); do
  curl -s -o "$work/out.$i" -w "%{http_code}\n" --data-binary @"$work/body.json" "http://127.0.0.1:$PORT/v1/analyze" > "$work/code.$i" &
done
sleep 0.3
kill -TERM "$PID"
wait "$PID"; rc=$?
wait
ok=$(cat "$work"/code.* | grep -c '^200$' || true)
refused=$(cat "$work"/code.* | grep -c '^000$' || true)
echo "sigterm under load: server exit $rc; $ok answered 200, $refused not accepted (connection refused after shutdown began)"
[ "$rc" -eq 0 ] || { echo "FAIL: server exit $rc"; exit 1; }
# Every request that got a status got a complete answer.
for i in $(seq 1 24); do
  c=$(cat "$work/code.$i")
  if [ "$c" = "200" ]; then python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["result"]["findings"]' "$work/out.$i"; fi
  if [ "$c" != "200" ] && [ "$c" != "000" ]; then echo "FAIL: request $i answered $c"; exit 1; fi
done
[ "$ok" -ge 1 ] || { echo "FAIL: no accepted request was answered"; exit 1; }
echo "sigterm: ok"
