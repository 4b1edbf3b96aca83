#!/usr/bin/env python3
"""Bounded loopback load test of `hilum serve` with a mix of valid, malformed, oversized and slow (slow-loris)
requests. Prints requests and errors by kind, latency of the valid ones, and the server's peak memory; fails when
a valid request is not answered 200, a bad one does not get its status, slow connections are not closed by the
idle timeout, or memory grows past the bound.
usage: load_mix.py PATH/TO/hilum [SECONDS]"""
import http.client, json, os, random, signal, socket, subprocess, sys, threading, time

BIN = sys.argv[1]
SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 10
PORT = random.randint(20000, 40000)
IDLE = 2
srv = subprocess.Popen([BIN, "serve", "--port", str(PORT), "--max-body", str(1 << 20), "--idle-timeout", str(IDLE)],
                       stderr=subprocess.PIPE)
def rss(kind):
    try:
        for line in open(f"/proc/{srv.pid}/status"):
            if line.startswith(kind): return int(line.split()[1]) / 1024
    except OSError: pass
    return 0.0
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close(); break
    except OSError: time.sleep(0.1)
stop = time.time() + SECS
stats = {k: {"sent": 0, "ok": 0, "bad": [], "lat": []} for k in ("valid", "malformed", "oversized", "slow")}
lock = threading.Lock()
REPORTS = ["Small left pleural effusion. No pneumothorax.", "Derrame pleural derecho. Cardiomegalia leve.",
           "FINDINGS: Stable mild cardiomegaly. Possible right lower lobe pneumonia.", "No acute cardiopulmonary process."]

def worker(kind):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    while time.time() < stop:
        if kind == "valid":
            body, want = json.dumps({"text": random.choice(REPORTS)}), 200
        elif kind == "malformed":
            body, want = random.choice(['{"text": ', 'not json', '{"text": 5}', '\xff\xfe', '[]']), 400
        else:
            body, want = json.dumps({"text": "x" * (2 << 20)}), 413
        t = time.perf_counter()
        try:
            conn.request("POST", "/v1/analyze", body=body.encode("utf-8", "surrogateescape"), headers={"Content-Type": "application/json"})
            r = conn.getresponse(); data = r.read(); status = r.status
            ok = status == want and (json.loads(data).get("ok") is (want == 200))
        except Exception as e:
            ok, status = False, repr(e)
            conn.close(); conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        dt = time.perf_counter() - t
        with lock:
            s = stats[kind]; s["sent"] += 1
            if ok: s["ok"] += 1
            else: s["bad"].append(status)
            if kind == "valid": s["lat"].append(dt)
        if kind == "oversized":   # the server may close after a 413: start again
            conn.close(); conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)

def slowloris():
    # 40 connections that dribble a request head one byte per 0.5 s: the idle timeout must close them.
    socks = []
    for _ in range(40):
        s = socket.create_connection(("127.0.0.1", PORT)); s.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\n"); socks.append(s)
    opened = time.time(); closed = {}
    while time.time() < stop and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed: continue
            try:
                s.sendall(b"X")
                s.setblocking(False)
                try:
                    if s.recv(1) == b"": closed[i] = time.time() - opened
                except BlockingIOError: pass
                s.setblocking(True)
            except OSError: closed[i] = time.time() - opened
        time.sleep(0.5)
    with lock:
        st = stats["slow"]; st["sent"] = len(socks); st["ok"] = len(closed)
        st["lat"] = sorted(closed.values())
        if len(closed) < len(socks): st["bad"].append(f"{len(socks) - len(closed)} slow connections still open")

threads = [threading.Thread(target=worker, args=("valid",)) for _ in range(4)]
threads += [threading.Thread(target=worker, args=("malformed",)), threading.Thread(target=worker, args=("oversized",)),
            threading.Thread(target=slowloris)]
peak = 0.0
for t in threads: t.start()
while any(t.is_alive() for t in threads):
    peak = max(peak, rss("VmRSS")); time.sleep(0.2)
hwm = rss("VmHWM")
srv.send_signal(signal.SIGTERM); srv.wait(timeout=30)
log = srv.stderr.read().decode("utf-8", "replace")
lat = sorted(stats["valid"]["lat"]); p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0
print(f"load mix over {SECS:.0f} s: " + ", ".join(f"{k} {v['ok']}/{v['sent']} as expected" for k, v in stats.items()))
print(f"valid latency p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms (python client); slow connections closed after "
      f"{(stats['slow']['lat'] or [0])[0]:.1f}-{(stats['slow']['lat'] or [0])[-1]:.1f} s (idle timeout {IDLE} s); server peak RSS {hwm:.0f} MB")
fail = [f"{k}: {v['bad'][:3]}" for k, v in stats.items() if v["bad"]]
if "pleural" in log.lower(): fail.append("report text in the server log")
if hwm > 600: fail.append(f"peak RSS {hwm:.0f} MB")
if stats["valid"]["sent"] == 0: fail.append("no valid requests")
for f in fail: print("FAIL:", f)
sys.exit(1 if fail else 0)
