#!/usr/bin/env python3
"""Checks a Workbench DOM dumped by headless Chromium: the page finished, and the expected findings are highlighted
with the expected assertion, the label tables are filled and the anatomy drawing is shaded.
usage: workbench_check.py DOM.html 'concept=assertion' ... [--region 'name=class'] ..."""
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.state = None; self.marks = []; self.regions = {}; self.label_rows = {}; self.table = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "body": self.state = a.get("data-state")
        if tag == "mark" and "finding" in cls:
            self.marks.append((a.get("data-concept"), a.get("data-assertion"), cls))
        if a.get("data-region") and "region" in cls:
            self.regions.setdefault(a["data-region"], set()).update(cls)
        if tag == "table" and (a.get("id") or "").startswith("labels-"): self.table = a["id"]
        if tag == "tr" and self.table and a.get("data-label"):
            self.label_rows.setdefault(self.table, []).append((a["data-label"], a.get("data-value")))

def main():
    path, args = sys.argv[1], sys.argv[2:]
    p = P(); p.feed(open(path, encoding="utf-8").read())
    errors = []
    if p.state != "done": errors.append(f"page state is {p.state!r}, not 'done'")
    i = 0
    while i < len(args):
        if args[i] == "--region":
            name, want = args[i + 1].split("="); i += 2
            if want not in p.regions.get(name, set()): errors.append(f"region {name!r} classes {sorted(p.regions.get(name, []))}, want {want!r}")
            continue
        concept, want = args[i].split("="); i += 1
        got = [m for m in p.marks if m[0] == concept]
        if not any(m[1] == want and want in m[2] for m in got): errors.append(f"no mark for {concept!r} with assertion {want!r} (found {got})")
    for t in ("labels-chexpert", "labels-chestxray14", "labels-padchest"):
        if not p.label_rows.get(t): errors.append(f"label table {t} is empty")
    print(f"{path}: state={p.state} marks={len(p.marks)} regions={len(p.regions)} label rows={sum(map(len, p.label_rows.values()))}")
    for e in errors: print("FAIL:", e)
    sys.exit(1 if errors else 0)

main()
