#!/usr/bin/env python3
"""PadChest localizations on the OpenI dev reports: `hilum label --scheme padchest` against the locations of the
human indexing mapped to PadChest terms (`gold_padchest.jsonl` of ../shared/data/openi-dev, read in place).

Report level, over the reports with indexed findings: each gold location of a mapped finding against the report's
`Localizations` cell. Side-only localizations (`loc left`, `loc right`, `loc bilateral`) are left out on both sides:
the gold gives sides as laterality, not as locations. Prints micro precision, recall and F1 and the most frequent
missed and extra localizations.

Usage: openi_locations_eval.py [--bin .build/release/hilum] [--shared ../shared] [--ontology DIR] [--top N]
"""
import argparse
import ast
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

SIDES = {"left", "right", "bilateral"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/hilum")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--ontology")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    dev = os.path.join(a.shared, "data", "openi-dev")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "openi.jsonl")
        with open(src, "w", encoding="utf-8") as out:
            for line in open(os.path.join(dev, "reports.jsonl"), encoding="utf-8"):
                r = json.loads(line)
                parts = ["%s: %s" % (h, r[k]) for k, h in (("indication", "INDICATION"), ("comparison", "COMPARISON"),
                                                          ("findings", "FINDINGS"), ("impression", "IMPRESSION")) if r.get(k)]
                out.write(json.dumps({"id": r["uid"], "text": "\n".join(parts), "lang": "en"}) + "\n")
        pred_csv = os.path.join(tmp, "padchest.csv")
        cmd = [a.bin, "label", src, "--scheme", "padchest", "-o", pred_csv]
        if a.ontology:
            cmd += ["--ontology", a.ontology]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        pred = {}
        for row in csv.DictReader(open(pred_csv, encoding="utf-8")):
            cell = row["Localizations"]
            locs = ast.literal_eval(cell) if cell else []
            pred[row["ReportID"]] = {l[4:] if l.startswith("loc ") else l for l in locs} - SIDES
    tp = fp = fn = 0
    missed, extra = collections.Counter(), collections.Counter()
    for line in open(os.path.join(dev, "gold_padchest.jsonl"), encoding="utf-8"):
        r = json.loads(line)
        if not r["findings"]:
            continue
        gold = set()
        for f in r["findings"]:
            if f["mapped"]:
                gold |= set(f["locations"])
        gold -= SIDES
        got = pred.get(r["uid"], set())
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
        missed.update(gold - got)
        extra.update(got - gold)
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
    print("openi dev PadChest localizations: P %.3f R %.3f F1 %.3f (tp %d, fp %d, fn %d)" % (p, rec, f1, tp, fp, fn))
    print("most missed: " + ", ".join("%s %d" % kv for kv in missed.most_common(a.top)))
    print("most extra:  " + ", ".join("%s %d" % kv for kv in extra.most_common(a.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
